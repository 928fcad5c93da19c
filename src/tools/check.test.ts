/** @module check.test — `checkDataset` and `reelset check` on a synthesized set with every kind of bad item. */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, toolsDataset } from '../../test/helpers.js';
import { registerCheck } from '../cli/check.js';
import { isReelsetError } from '../errors.js';
import { paddedId } from '../loaders/layout/fields.js';
import { layoutSource } from '../loaders/layout/layout-source.js';
import { type BadKind, type SynthItem, type SynthReport, synthesize } from '../synth/index.js';
import { type CheckProblem, checkDataset } from './check.js';

let tmp: string;
let report: SynthReport;

/** The problem each bad kind must give: the file kind and the code. */
const EXPECTED: Record<BadKind, { kind: string; code: string }> = {
  'truncated-jpeg': { kind: 'jpeg', code: 'REELSET_E_BAD_IMAGE' },
  'empty-mp4': { kind: 'mp4', code: 'REELSET_E_BAD_MEDIA' },
  'missing-mp4': { kind: 'mp4', code: 'REELSET_E_MISSING_MEDIA' },
  'missing-jpeg': { kind: 'jpeg', code: 'REELSET_E_MISSING_MEDIA' },
  'missing-txt': { kind: 'txt', code: 'REELSET_E_MISSING_MEDIA' },
  'txt-not-dict': { kind: 'txt', code: 'REELSET_E_PY_LITERAL' },
  'txt-unterminated': { kind: 'txt', code: 'REELSET_E_PY_LITERAL' },
  'id-mismatch': { kind: 'txt', code: 'REELSET_E_BAD_ITEM' },
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-check-'));
  report = await toolsDataset(join(tmp, 'ds'));
});

const exitCode = process.exitCode;
afterEach(() => {
  process.exitCode = exitCode;
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copy(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(report.root, dir, { recursive: true });
  return dir;
}

/** A problem as `label/id kind code`, for comparing sets. */
function key(problem: CheckProblem): string {
  return `${problem.label}/${problem.id} ${problem.kind} ${problem.code}`;
}

function expectedKeys(items: readonly SynthItem[]): string[] {
  return items
    .filter((item) => item.bad)
    .map((item) => {
      const e = EXPECTED[item.bad as BadKind];
      return `${item.label}/${item.id} ${e.kind} ${e.code}`;
    })
    .sort();
}

async function run(args: string[]): Promise<string> {
  return (await runCli(registerCheck, args)).join('');
}

describe('checkDataset', () => {
  it('finds exactly the bad items, with the right kind and code, and nothing else', async () => {
    const seen: CheckProblem[] = [];
    const summary = await checkDataset(report.root, { onProblem: (p) => seen.push(p) });
    expect(summary.problems.map(key).sort()).toEqual(expectedKeys(report.items));
    expect(seen.map(key).sort()).toEqual(expectedKeys(report.items));
    expect(summary.items).toBe(report.items.length);
    expect(summary.cleanItems).toBe(report.items.length - report.badCount);
    expect(summary.problemCount).toBe(report.badCount);
    expect(summary.byKind).toEqual({ jpeg: 2, mp4: 2, txt: 4 });
    for (const problem of summary.problems) {
      const item = report.items.find((i) => i.id === problem.id && i.label === problem.label);
      expect(problem.path.startsWith(`${item?.folder}/`)).toBe(true);
      expect(problem.reason.length).toBeGreaterThan(0);
    }
    // URL-named media are listed for renaming, not reported as problems; nothing is renamed without fix.
    const urlNamed = report.items
      .filter((item) => item.naming === 'downloaded')
      .flatMap((item) => [item.files.jpeg, item.files.mp4].filter((f): f is string => f !== undefined));
    expect(urlNamed.length).toBeGreaterThan(0);
    expect(summary.renames.map((r) => r.from).sort()).toEqual(urlNamed.sort());
    expect(summary.renames.every((r) => !r.done)).toBe(true);
    expect(summary.toRename).toBe(urlNamed.length);
    expect(summary.renamed).toBe(0);
  });

  it('with fix renames URL-named media to <id>.*, and a second check has nothing to rename', async () => {
    const root = await copy('fix');
    const first = await checkDataset(root, { fix: true, concurrency: 2 });
    const downloaded = report.items.filter((item) => item.naming === 'downloaded');
    expect(first.renamed).toBe(first.renames.length);
    expect(first.renamed).toBeGreaterThan(0);
    for (const item of downloaded) {
      const folder = join(root, relative(report.root, item.folder));
      const names = await readdir(folder);
      expect(names.some((name) => /_(iconl|main_xl)\./.test(name))).toBe(false);
      if (item.files.jpeg) {
        expect(names).toContain(`${item.id}.jpeg`);
        expect(await readFile(join(folder, `${item.id}.jpeg`))).toEqual(await readFile(item.files.jpeg));
      }
      if (item.files.mp4) expect(names).toContain(`${item.id}.mp4`);
    }
    expect(first.problems.map(key).sort()).toEqual(expectedKeys(report.items));
    const second = await checkDataset(root);
    expect(second.renames).toEqual([]);
    expect(second.toRename).toBe(0);
    expect(second.problems.map(key).sort()).toEqual(expectedKeys(report.items));
    // The truncated cover keeps its problem under its new name.
    const truncated = second.problems.find((p) => p.code === 'REELSET_E_BAD_IMAGE');
    expect(basename(truncated?.path ?? '')).toBe(`${truncated?.id}.jpeg`);
  });

  it('reports a URL-named copy beside <id>.* as a conflict and never overwrites', async () => {
    const root = await copy('conflict');
    const item = report.items.find((i) => !i.bad && i.naming === 'renamed') as SynthItem;
    const folder = join(root, relative(report.root, item.folder));
    const duplicate = join(folder, `${paddedId(item.id)}_iconl.jpeg`);
    await writeFile(duplicate, 'not the same bytes');
    const original = await readFile(join(folder, `${item.id}.jpeg`));
    await mkdir(join(root, 'Cats'));
    await mkdir(join(root, 'Beach', 'not-an-id'));
    const summary = await checkDataset(root, { fix: true });
    const extra = summary.problems.filter((p) => !expectedKeys(report.items).includes(key(p)));
    expect(extra.map((p) => [p.kind, p.code, basename(p.path)]).sort()).toEqual([
      ['folder', 'REELSET_E_BAD_ITEM', 'not-an-id'],
      ['folder', 'REELSET_E_UNKNOWN_LABEL', 'Cats'],
      ['jpeg', 'REELSET_E_BAD_ITEM', basename(duplicate)],
    ]);
    expect(await readFile(join(folder, `${item.id}.jpeg`))).toEqual(original);
    expect(await readFile(duplicate, 'utf8')).toBe('not the same bytes');
  });

  it('follows the layout link rule: a link to the root itself leaves it, one inside is followed', async () => {
    const root = await copy('links');
    await symlink(root, join(root, 'Beach', '999'));
    await symlink(root, join(root, 'Nature'));
    // A good item's .txt moved to the root (files there are not items) and linked back: followed.
    const item = report.items.find((i) => !i.bad && i.label === 'City') as SynthItem;
    const txt = join(root, relative(report.root, item.folder), `${item.id}.txt`);
    await rename(txt, join(root, 'moved.txt'));
    await symlink(join(root, 'moved.txt'), txt);
    const summary = await checkDataset(root);
    const extra = summary.problems.filter((p) => !expectedKeys(report.items).includes(key(p)));
    expect(extra.map((p) => [relative(root, p.path), p.kind, p.code, p.reason])).toEqual([
      ['Beach/999', 'folder', 'REELSET_E_BAD_ITEM', 'a symbolic link that leaves the root'],
      ['Nature', 'folder', 'REELSET_E_BAD_ITEM', 'a symbolic link that leaves the root'],
    ]);
    const source = layoutSource(root, { require: ['txt', 'jpeg', 'mp4'] });
    const samples: string[] = [];
    for await (const { value } of source.open(undefined, { epoch: 0 }))
      samples.push(`${value.label}/${value.id}`);
    expect(samples).toContain(`City/${item.id}`);
    const links = source.skips.filter((skip) => skip.reason.includes('leaves the root'));
    expect(links.map((skip) => relative(root, skip.where))).toEqual(['Beach/999', 'Nature']);
  });

  it('names each file once: the path in `path`, the file name alone in `reason`', async () => {
    const summary = await checkDataset(report.root);
    for (const problem of summary.problems) {
      expect(problem.reason, problem.path).not.toContain(report.root);
    }
    const jpeg = summary.problems.find((p) => p.code === 'REELSET_E_BAD_IMAGE') as CheckProblem;
    expect(jpeg.reason).toMatch(new RegExp(`^The image ${basename(jpeg.path)} is truncated`));
    const mp4 = summary.problems.find((p) => p.code === 'REELSET_E_BAD_MEDIA') as CheckProblem;
    expect(mp4.reason).toBe(`Empty file: ${basename(mp4.path)}`);
    // A file ffmpeg cannot read: its message starts with the path, which is not repeated.
    const root = await copy('garbage');
    const item = report.items.find((i) => !i.bad && i.files.mp4 && i.naming === 'renamed') as SynthItem;
    const clip = join(root, relative(report.root, item.files.mp4 as string));
    await writeFile(clip, 'not a clip at all');
    const found = (await checkDataset(root, { labels: [item.label] })).problems.find((p) => p.path === clip);
    expect(found?.code).toBe('REELSET_E_BAD_MEDIA');
    expect(found?.reason).toBe(`Cannot read ${basename(clip)}: Invalid data found when processing input`);
  });

  it('warns of a label folder given as the root', async () => {
    const summary = await checkDataset(join(report.root, 'Sea'));
    expect(summary.items).toBe(0);
    expect(summary.warnings).toEqual([
      expect.stringMatching(/Sea looks like the label folder of "Sea".*did you mean/),
    ]);
    expect((await checkDataset(report.root)).warnings).toEqual([]);
  });

  it('names options given with the wrong type', async () => {
    for (const [options, message] of [
      [{ concurrency: '8' }, 'concurrency must be a whole number from 1 to 256, got the string "8"'],
      [{ probeTimeoutMs: '10' }, 'probeTimeoutMs must be a whole number ≥ 1, got the string "10"'],
      [{ fix: 'yes' }, 'fix must be true or false, got the string "yes"'],
      [{ labels: 'Beach' }, 'labels must be an array of label names, got the string "Beach"'],
      [{ labels: ['beach'] }, 'Unknown label "beach" (did you mean "Beach"?)'],
    ] as const) {
      const err = await checkDataset(report.root, options as never).catch((e: unknown) => e);
      expect((err as Error).message).toBe(message);
    }
  });

  it('rejects a bad concurrency and a missing root', async () => {
    const bad = await checkDataset(report.root, { concurrency: 0 }).catch((e: unknown) => e);
    expect(isReelsetError(bad, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    const missing = await checkDataset(join(tmp, 'nope')).catch((e: unknown) => e);
    expect(isReelsetError(missing, 'REELSET_E_NOT_FOUND')).toBe(true);
  });
});

describe('reelset check', () => {
  it('prints problems and a summary, writes the JSONL report and exits 2', async () => {
    const reportFile = join(tmp, 'problems.jsonl');
    const out = await run(['check', report.root, '--report', reportFile, '--concurrency', '3']);
    expect(process.exitCode).toBe(2);
    const lines = (await readFile(reportFile, 'utf8')).trim().split('\n');
    const problems = lines.map((line) => JSON.parse(line) as CheckProblem);
    expect(problems.map(key).sort()).toEqual(expectedKeys(report.items));
    expect(Object.keys(problems[0] ?? {}).sort()).toEqual(['code', 'id', 'kind', 'label', 'path', 'reason']);
    expect(out).toMatch(
      new RegExp(
        `^check: ${report.items.length} items, ${report.items.length - 8} clean, 8 problems \\(.*\\); \\d+ URL-named files? to rename \\(--fix\\)$`,
        'm',
      ),
    );
    expect(out.split('\n').filter((line) => line.startsWith('REELSET_E_'))).toHaveLength(8);
  });

  it('checks the root and --report before creating the report; refuses a label folder as the root', async () => {
    const reportFile = join(tmp, 'never.jsonl');
    for (const [root, extra, pattern] of [
      [join(tmp, 'nope'), [], /The data set root .*nope does not exist/],
      [join(report.root, 'Beach'), [], /Beach looks like the label folder of "Beach".*did you mean .*ds\?/],
      [report.catalogPath, [], /is a file, not a folder/],
      [report.root, ['--report', join(tmp, 'problems.png')], /--report writes JSON Lines/],
    ] as const) {
      const err = await run(['check', root, '--report', reportFile, ...extra]).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(pattern);
      await expect(readFile(reportFile)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    const folder = await run(['check', report.root, '--report', tmp]).catch((e: unknown) => e);
    expect(isReelsetError(folder, 'REELSET_E_NOT_A_FILE')).toBe(true);
  });

  it('exits 0 on a clean set and prints JSON with --json', async () => {
    const clean = await synthesize(join(tmp, 'clean'), {
      labels: ['Sea'],
      perLabel: 2,
      seconds: 0.2,
      seed: 1,
    });
    const out = await run(['check', clean.root, '--json', '--fix']);
    expect(process.exitCode).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.problemCount).toBe(0);
    expect(summary.items).toBe(2);
  });
});
