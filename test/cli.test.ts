import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthReport } from '../src/synth/index.js';
import { smallDataset, tempDir } from './helpers.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

function reelset(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return reelsetWith({}, ...args);
}

function reelsetWith(
  env: Record<string, string>,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root = '';
let report: SynthReport;

beforeAll(async () => {
  tmp = await tempDir('cli');
  root = join(tmp.path, 'data');
  report = await smallDataset(root);
});
afterAll(() => tmp.remove());

describe('reelset inspect', () => {
  it('prints one JSON line per sample with id, label, labelId, brief, durationSec and source', () => {
    const run = reelset('inspect', root, '--json');
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const good = report.items.filter((item) => !item.bad);
    // Items whose txt parses and agrees with its folder: all good ones plus the broken media ones.
    expect(lines.length).toBeGreaterThanOrEqual(good.length);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['id', 'label', 'labelId', 'brief', 'durationSec', 'source']);
    }
    const first = good[0];
    const printed = lines.find((line) => line.id === first?.id && line.label === first?.label);
    expect(printed).toMatchObject({ brief: first?.brief, durationSec: 1 });
    expect(run.stderr).toMatch(/skipped .*REELSET_E_PY_LITERAL/);
    expect(run.stderr).toMatch(/skipped .*REELSET_E_BAD_ITEM/);
  });

  it('honours --limit, --labels and --require', () => {
    const limited = reelset('inspect', root, '--json', '--limit', '2');
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);
    const city = reelset('inspect', root, '--json', '--labels', 'City', '--require', 'txt', 'jpeg', 'mp4');
    const labels = city.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { label: string }).label);
    expect(new Set(labels)).toEqual(new Set(['City']));
    const text = reelset('inspect', root, '--limit', '3');
    expect(text.stdout).toMatch(/3 samples, \d+ skipped/);
  });

  it('fails with a one-line message and a non-zero exit on bad input', () => {
    for (const args of [
      ['inspect', join(tmp.path, 'missing')],
      ['inspect', root, '--limit', '0'],
      ['inspect', root, '--labels', 'Cats'],
      ['synth', join(tmp.path, 'x'), '--per-label', 'many'],
    ]) {
      const run = reelset(...args);
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^reelset: REELSET_E_/);
    }
    expect(reelset('no-such-command').status).not.toBe(0);
  });
});

describe('reelset --help and demo', () => {
  it('has --help for the program and every command', () => {
    const top = reelset('--help');
    expect(top.status).toBe(0);
    for (const command of ['synth', 'inspect', 'demo']) {
      expect(top.stdout).toContain(command);
      const help = reelset(command, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: reelset /);
    }
  });

  it('demo synthesizes, loads, records skips, and resumes', () => {
    const run = reelset('demo');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Synthesized \d+ items/);
    expect(run.stdout).toMatch(/REELSET_E_MISSING_MEDIA/);
    expect(run.stdout).toMatch(/Pipeline: Layout -> Shuffle\(seed=1, buffer=16\) -> Batch\(4\)/);
    expect(run.stdout).toMatch(/resuming gives the next batches/);
    expect(run.stdout).toMatch(/cover 64x64x3 {2}frames 4x64x64x3 at 0\.13, 0\.38, 0\.63, 0\.88 s/);
    expect(run.stdout).toMatch(
      /a collated batch: tokens \[4, 25\], image \[4, 64, 64, 3\], video \[4, 4, 64, 64, 3\]/,
    );
    expect(run.stdout).toMatch(/REELSET_E_BAD_IMAGE/);
    // Every recorded skip names its file or folder.
    expect(run.stdout).toMatch(/^ {2}REELSET_E_MISSING_MEDIA +(Beach|City|Green Screen)\/\d+: +missing /m);
    expect(run.stdout).toMatch(/REELSET_E_BAD_MEDIA +\S+\/\d+\/\d+\.mp4: +Empty file: \d+\.mp4/);
    // Then a tiny 'lite' model trained for a few epochs, and its evaluation table with the ablation.
    expect(run.stdout).toMatch(/^Training: a 'lite' baseline \([\d,]+ parameters\) on 24 new items/m);
    expect(run.stdout.match(/^ {2}epoch \d\/4 {2}loss \d/gm)).toHaveLength(4);
    for (const row of ['all three', 'text only', 'cover only', 'video only']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${row} +\\d\\.\\d{3} +\\d\\.\\d{3} +\\d\\.\\d{3}$`, 'm'));
    }
  });
});

/** A run that failed as the CLI promises: one line `reelset: ...` on stderr, no stack trace. */
function expectOneLine(run: ReturnType<typeof reelset>, status: number, pattern: RegExp): void {
  expect(run.stderr, run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(/^reelset: /);
  expect(run.stderr).toMatch(pattern);
  expect(run.status, run.stderr).toBe(status);
}

describe('bad inputs: one line, no stack trace, the documented exit code, nothing created', () => {
  it('fails each with exit 1 before creating any output', async () => {
    const never = (name: string): string => join(tmp.path, 'never', name);
    const missing = join(tmp.path, 'missing');
    const item = report.items.find((i) => !i.bad && i.label === 'Beach') as SynthReport['items'][number];
    const served = join(tmp.path, 'served.jsonl');
    await writeFile(served, '');
    const sheetFolder = join(tmp.path, 'sheet.jpg');
    await mkdir(sheetFolder, { recursive: true });
    const cases: Array<[string[], RegExp, string[]?]> = [
      [
        ['stats', root, '--plot', never('stats.jpg')],
        /--plot writes a PNG chart: its file must end in \.png/,
      ],
      [
        ['stats', root, '--plot', join(tmp.path, 'stats.jpg')],
        /must end in \.png/,
        [join(tmp.path, 'stats.jpg')],
      ],
      [
        ['preview', root, '--label', 'Beach', '--out', join(tmp.path, 'x.gif')],
        /--out writes a JPEG or PNG sheet/,
        [join(tmp.path, 'x.gif')],
      ],
      [
        ['preview', root, '--label', 'Beach', '--out', sheetFolder],
        /REELSET_E_NOT_A_FILE: --out .* is a folder/,
      ],
      [
        ['preview', root, '--label', 'beach', '--out', join(tmp.path, 'p.jpg')],
        /Unknown label "beach" \(did you mean "Beach"\?\)/,
        [join(tmp.path, 'p.jpg')],
      ],
      [
        ['synth', root, '--per-label', '1', '--labels', 'Sea'],
        /REELSET_E_INVALID_ARGUMENT: .*is not empty .*--force/,
        [join(root, 'Sea')],
      ],
      [['inspect', join(root, 'Beach')], /looks like the label folder of "Beach".*did you mean .*data\?$/m],
      [['inspect', item.folder], /looks like an item folder .*did you mean .*data\?$/m],
      [['stats', join(root, 'Beach')], /did you mean .*data\?$/m],
      [
        ['check', join(root, 'Beach'), '--report', join(tmp.path, 'r1.jsonl')],
        /did you mean/,
        [join(tmp.path, 'r1.jsonl')],
      ],
      [
        ['check', missing, '--report', join(tmp.path, 'r2.jsonl')],
        /REELSET_E_NOT_FOUND: The data set root .* does not exist/,
        [join(tmp.path, 'r2.jsonl')],
      ],
      [['check', root, '--report', tmp.path], /REELSET_E_NOT_A_FILE/],
      [
        ['inspect', root, '--labels', 'beach'],
        /REELSET_E_UNKNOWN_LABEL: Unknown label "beach" \(did you mean "Beach"\?\)/,
      ],
      [['inspect', root, '--limit', '8x'], /--limit must be a whole number ≥ 1, got "8x"/],
      [
        ['download', join(tmp.path, 'nope.json'), '--out', never('dl')],
        /REELSET_E_NOT_FOUND: The catalog was not found/,
        [never('dl')],
      ],
      [
        ['download', root, '--out', never('dl')],
        /REELSET_E_NOT_A_FILE: The catalog .* is a folder, not a file \(did you mean .*multimodal_data_info\.json\?\)/,
        [never('dl')],
      ],
      [
        ['download', served, '--out', never('dl'), '--report', never('r.jsonl')],
        /REELSET_E_NOT_FOUND: The folder of the report/,
        [never('dl')],
      ],
      [
        ['download', served, '--out', never('dl'), '--report', join(tmp.path, 'r.png')],
        /--report writes JSON Lines/,
        [never('dl')],
      ],
      [
        ['download', report.catalogPath, '--out', never('dl')],
        /REELSET_E_HOST_NOT_ALLOWED: Refusing to download .*reelset synth.*--base-url/,
        [never('dl')],
      ],
      [['download', served, '--out', never('dl'), '--labels', 'sea'], /did you mean "Sea"/, [never('dl')]],
      [['nope'], /^reelset: unknown command 'nope'/],
      [['inspect', root, '--bogus'], /^reelset: unknown option '--bogus'/],
      [['inspect'], /missing required argument 'root'/],
    ];
    for (const [args, pattern, absent] of cases) {
      const run = reelset(...args);
      expectOneLine(run, 1, pattern);
      for (const path of [never(''), ...(absent ?? [])]) {
        expect(existsSync(path), `${args.join(' ')} created ${path}`).toBe(false);
      }
    }
    // No ffprobe: said before the report is created.
    const noProbeReport = join(tmp.path, 'r-noprobe.jsonl');
    const noProbe = reelsetWith({ FFPROBE_PATH: never('ffprobe') }, 'check', root, '--report', noProbeReport);
    expectOneLine(noProbe, 1, /REELSET_E_FFMPEG_NOT_FOUND: FFPROBE_PATH=.* is not an executable file/);
    expect(existsSync(noProbeReport)).toBe(false);
    expect(existsSync(never(''))).toBe(false);
  });

  it('lists bad catalog lines with their numbers (stats, stats --report, download) ', async () => {
    const lines = (await readFile(report.catalogPath, 'utf8')).trimEnd().split('\n');
    const catalog = join(tmp.path, 'bad-lines.json');
    await writeFile(catalog, [lines[0], '{"mp4_id": "1", oops', lines[1], '', lines[2]].join('\n'));
    const stats = reelset('stats', catalog, '--report', join(tmp.path, 'stats-skips.jsonl'));
    expect(stats.status).toBe(0);
    expect(stats.stdout).toMatch(/^ {2}bad-lines\.json:2: invalid JSON.*\(REELSET_E_CATALOG_LINE\)$/m);
    expect(stats.stdout).toMatch(/^ {2}bad-lines\.json:4: blank line \(REELSET_E_CATALOG_LINE\)$/m);
    const skips = (await readFile(join(tmp.path, 'stats-skips.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(skips.map((line) => (JSON.parse(line) as { line: number }).line)).toEqual([2, 4]);
    const json = JSON.parse(reelset('stats', catalog, '--json').stdout) as { skipList: { line: number }[] };
    expect(json.skipList.map((skip) => skip.line)).toEqual([2, 4]);
    const dl = reelset(
      'download',
      catalog,
      '--out',
      join(tmp.path, 'dl-txt'),
      '--kinds',
      'txt',
      '--no-progress',
    );
    expect(dl.status).toBe(0);
    expect(dl.stdout).toMatch(/2 bad catalog lines skipped/);
    expect(dl.stderr).toMatch(/^reelset download: skipped .*bad-lines\.json:2: invalid JSON/m);
    expect(dl.stderr).toMatch(/^reelset download: skipped .*bad-lines\.json:4: blank line$/m);
  });

  it('exits 2 when a file failed, with plurals right; check names each path once', async () => {
    const catalog = join(tmp.path, 'one.json');
    const line = {
      mp4_id: '123',
      mp4_download_url: 'http://127.0.0.1:1/123.mp4',
      mp4_time: '0:01',
      mp4_background_image_url: 'http://127.0.0.1:1/123.jpeg',
      mp4_txt_brief: ' one',
      video_label: 'Sea',
    };
    await writeFile(catalog, `${JSON.stringify(line)}\n`);
    const dl = reelset(
      'download',
      catalog,
      '--out',
      join(tmp.path, 'dl-one'),
      '--kinds',
      'mp4',
      '--retries',
      '0',
      '--no-progress',
    );
    expect(dl.status).toBe(2);
    expect(dl.stdout).toMatch(/^download: 1 file of 1 item: /);
    expect(dl.stderr).toBe('reelset download: 1 file failed (use --report FILE for the list)\n');
    const one = reelset(
      'synth',
      join(tmp.path, 'one'),
      '--labels',
      'Sea',
      '--per-label',
      '1',
      '--seconds',
      '0.2',
    );
    expect(one.stdout).toMatch(/^synth: 1 item \(0 bad\) in 1 label, /);
    expect(reelset('inspect', join(tmp.path, 'one')).stdout).toMatch(/^1 sample, 0 skipped$/m);
    expect(reelset('stats', join(tmp.path, 'one')).stdout).toContain(
      'ids under several labels: 0 (at most 1 label for one id)',
    );
    expect(reelset('check', join(tmp.path, 'one')).stdout).toMatch(/^check: 1 item, 1 clean, 0 problems; /m);
    const check = reelset('check', root);
    expect(check.status).toBe(2);
    for (const problem of check.stdout.split('\n').filter((l) => l.startsWith('REELSET_E_'))) {
      const path = /^\S+ \S+ (.+?): /.exec(problem)?.[1] as string;
      expect(problem.split(path).length - 1, problem).toBe(1);
    }
    expect(check.stdout).toMatch(/REELSET_E_BAD_MEDIA mp4 \S+\.mp4: Empty file: \d+\.mp4$/m);
  });
});
