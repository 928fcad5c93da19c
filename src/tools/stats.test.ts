/** @module stats.test — `computeStats` on a synthesized set (catalog and root), the PNG chart, `reelset stats`. */
import { cp, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, toolsDataset } from '../../test/helpers.js';
import { registerStats } from '../cli/stats.js';
import { isReelsetError } from '../errors.js';
import { parseDuration } from '../loaders/layout/fields.js';
import { LABELS } from '../loaders/layout/labels.js';
import { layoutSource } from '../loaders/layout/layout-source.js';
import type { Skip } from '../loaders/sample.js';
import type { SynthReport } from '../synth/index.js';
import { computeStats, type DatasetStats } from './stats.js';
import { plotStats } from './stats-plot.js';

let tmp: string;
let report: SynthReport;
let rootStats: DatasetStats;
let catalogStats: DatasetStats;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-stats-'));
  report = await toolsDataset(join(tmp, 'ds'));
  rootStats = await computeStats(report.root);
  catalogStats = await computeStats(report.catalogPath);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function capture(args: string[]): Promise<string> {
  return (await runCli(registerStats, args)).join('');
}

const BAD_TXT = new Set(['missing-txt', 'txt-not-dict', 'txt-unterminated', 'id-mismatch']);

describe('computeStats on a layout root', () => {
  it('counts every label (zeros included), items, distinct and shared ids as the synthesizer wrote them', () => {
    expect(rootStats.source).toBe('layout');
    expect(rootStats.labels.map((l) => l.label)).toEqual(LABELS.map((l) => l.name));
    for (const line of rootStats.labels) {
      expect(line.count).toBe(report.items.filter((item) => item.label === line.label).length);
    }
    expect(rootStats.items).toBe(report.items.length);
    const ids = new Set(report.items.map((item) => item.id));
    expect(rootStats.distinctIds).toBe(ids.size);
    const shared = [...ids].filter((id) => report.items.filter((item) => item.id === id).length > 1);
    expect(shared.length).toBeGreaterThan(0);
    expect(rootStats.shared.count).toBe(shared.length);
    expect(rootStats.shared.maxLabels).toBe(2);
    for (const example of rootStats.shared.examples) {
      const labels = report.items.filter((item) => item.id === example.id).map((item) => item.label);
      expect(example.labels.sort()).toEqual(labels.sort());
    }
  });

  it('counts missing media, URL-named media and bytes equal to the files written', async () => {
    const disk = rootStats.disk;
    expect(disk).toBeDefined();
    if (!disk) return;
    for (const kind of ['txt', 'jpeg', 'mp4'] as const) {
      expect(disk.missing[kind]).toBe(report.items.filter((item) => !item.files[kind]).length);
      let bytes = 0;
      for (const item of report.items) {
        const file = item.files[kind];
        if (file) bytes += (await stat(file)).size;
      }
      expect(disk.bytes[kind]).toBe(bytes);
    }
    expect(disk.totalBytes).toBe(disk.bytes.txt + disk.bytes.jpeg + disk.bytes.mp4);
    const downloaded = report.items.filter((item) => item.naming === 'downloaded');
    expect(downloaded.length).toBeGreaterThan(0);
    expect(disk.urlNamed.jpeg).toBe(downloaded.filter((item) => item.files.jpeg).length);
    expect(disk.urlNamed.mp4).toBe(downloaded.filter((item) => item.files.mp4).length);
    for (const line of rootStats.labels) {
      let bytes = 0;
      for (const item of report.items.filter((i) => i.label === line.label)) {
        for (const file of Object.values(item.files)) bytes += (await stat(file)).size;
      }
      expect(line.bytes).toBe(bytes);
    }
  });

  it('reads durations from the .txt files: unknown for the bad ones', () => {
    const good = report.items.filter((item) => !BAD_TXT.has(item.bad ?? ''));
    expect(rootStats.durations.known).toBe(good.length);
    expect(rootStats.durations.unknown).toBe(report.items.length - good.length);
    const seconds = good.map((item) => parseDuration(item.mp4Time));
    expect(rootStats.durations.minSec).toBe(Math.min(...seconds));
    expect(rootStats.durations.maxSec).toBe(Math.max(...seconds));
    expect(rootStats.durations.bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(good.length);
    expect(rootStats.durations.bins.map((bin) => bin.label)).toEqual([
      '0-5s',
      '5-10s',
      '10-15s',
      '15-20s',
      '20-30s',
      '30-60s',
      '60s+',
    ]);
  });

  it('counts skips by code exactly as openDataset with every file required', async () => {
    const source = layoutSource(report.root, { require: ['txt', 'jpeg', 'mp4'] });
    for await (const _ of source.open(undefined, { epoch: 0 })) {
      // drain
    }
    const expected: Record<string, number> = {};
    for (const skip of source.skips) expected[skip.code] = (expected[skip.code] ?? 0) + 1;
    expect(rootStats.skips).toEqual(expected);
    expect(rootStats.skips).toEqual({
      REELSET_E_BAD_ITEM: 1,
      REELSET_E_MISSING_MEDIA: 3,
      REELSET_E_PY_LITERAL: 2,
    });
  });
});

describe('computeStats and the link rule', () => {
  it('skips a link to the root itself (label or item folder) exactly as openDataset does', async () => {
    const root = join(tmp, 'links');
    await cp(report.root, root, { recursive: true });
    await symlink(root, join(root, 'Beach', '999'));
    await symlink(root, join(root, 'Nature'));
    const stats = await computeStats(root);
    const source = layoutSource(root, { require: ['txt', 'jpeg', 'mp4'] });
    for await (const _ of source.open(undefined, { epoch: 0 })) {
      // drain
    }
    const expected: Record<string, number> = {};
    for (const skip of source.skips) expected[skip.code] = (expected[skip.code] ?? 0) + 1;
    expect(stats.skips).toEqual(expected);
    expect(stats.skips.REELSET_E_BAD_ITEM).toBe((rootStats.skips.REELSET_E_BAD_ITEM ?? 0) + 2);
    expect(stats.items).toBe(rootStats.items);
  });
});

describe('computeStats on the catalog', () => {
  it('agrees with the root on counts, ids and shared ids', () => {
    expect(catalogStats.source).toBe('catalog');
    expect(catalogStats.labels.map((l) => l.count)).toEqual(rootStats.labels.map((l) => l.count));
    expect(catalogStats.items).toBe(rootStats.items);
    expect(catalogStats.distinctIds).toBe(rootStats.distinctIds);
    expect(catalogStats.shared).toEqual(rootStats.shared);
    expect(catalogStats.disk).toBeUndefined();
    expect(catalogStats.labels[0]?.bytes).toBeUndefined();
    expect(catalogStats.skips).toEqual({});
  });

  it('has a duration for every line, and a median of the discrete values', () => {
    const seconds = report.items.map((item) => parseDuration(item.mp4Time)).sort((a, b) => a - b);
    const d = catalogStats.durations;
    expect(d.known).toBe(report.items.length);
    expect(d.unknown).toBe(0);
    const mid = (seconds.length - 1) / 2;
    expect(d.medianSec).toBe(((seconds[Math.floor(mid)] ?? 0) + (seconds[Math.ceil(mid)] ?? 0)) / 2);
    expect(d.mostCommon?.count).toBe(report.items.length);
  });

  it('refuses an input that does not exist', async () => {
    const err = await computeStats(join(tmp, 'nope')).catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_NOT_FOUND')).toBe(true);
  });
});

describe('plotStats', () => {
  it('writes a PNG of 1000 x 810 that is not blank', async () => {
    const file = join(tmp, 'stats.png');
    expect(await plotStats(rootStats, file, { chinese: true })).toEqual({ width: 1000, height: 810 });
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1000, 810]);
    const { channels } = await sharp(file).stats();
    expect(channels[0]?.stdev ?? 0).toBeGreaterThan(10);
    // The bars are blue: the blue channel's mean exceeds the red one's.
    expect(channels[2]?.mean ?? 0).toBeGreaterThan(channels[0]?.mean ?? 0);
  });

  it('refuses a file name that does not say PNG, before writing anything', async () => {
    const file = join(tmp, 'stats.jpg');
    await expect(plotStats(rootStats, file)).rejects.toThrow(
      /plotStats writes a PNG chart: its file must end in \.png, got ".*stats\.jpg"/,
    );
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });
});

describe('reelset stats', () => {
  it('prints JSON equal to computeStats', async () => {
    const out = await capture(['stats', report.catalogPath, '--json']);
    expect(JSON.parse(out)).toEqual(catalogStats);
  });

  it('prints a table and writes the plot', async () => {
    const file = join(tmp, 'cli.png');
    const out = await capture(['stats', report.root, '--plot', file]);
    expect(out).toMatch(/^ {2}8 {2}Beach +5 +[\d.]+ KB$/m);
    expect(out).toMatch(new RegExp(`^ +total +${report.items.length} +[\\d.]+ KB$`, 'm'));
    expect(out).toContain('ids under several labels: 2 (at most 2 labels for one id)');
    expect(out).toContain('missing: txt 1, jpeg 1, mp4 1');
    expect(out).toContain(`plot: ${file} (1000x810)`);
    expect((await sharp(file).metadata()).width).toBe(1000);
  });

  it('rejects a bad --concurrency', async () => {
    const err = await capture(['stats', report.root, '--concurrency', '0']).catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('skips listed with their reasons', () => {
  it('lists each bad catalog line with its number and reason (skipList, onSkip, --report, --json, text)', async () => {
    const catalog = join(tmp, 'bad-lines.json');
    const good = (await readFile(report.catalogPath, 'utf8')).trimEnd().split('\n');
    await writeFile(
      catalog,
      [good[0], '{"mp4_id": "1", oops', good[1], '', good[2]?.replace('"Beach"', '"beach"'), good[3]].join(
        '\n',
      ),
    );
    const seen: Skip[] = [];
    const stats = await computeStats(catalog, { onSkip: (skip) => seen.push(skip) });
    expect(stats.skips).toEqual({ REELSET_E_CATALOG_LINE: 3 });
    expect(stats.skipList).toEqual(seen);
    expect(stats.skipList.map((s) => [s.where, s.line])).toEqual([
      [`${catalog}:2`, 2],
      [`${catalog}:4`, 4],
      [`${catalog}:5`, 5],
    ]);
    expect(stats.skipList[0]?.reason).toMatch(/^invalid JSON/);
    expect(stats.skipList[1]?.reason).toBe('blank line');
    expect(stats.warnings).toEqual([]);
    const json = JSON.parse(await capture(['stats', catalog, '--json'])) as DatasetStats;
    expect(json.skipList).toEqual(stats.skipList);
    const reportFile = join(tmp, 'skips.jsonl');
    const text = await capture(['stats', catalog, '--report', reportFile]);
    expect(text).toContain('skips: REELSET_E_CATALOG_LINE 3\n  bad-lines.json:2: invalid JSON');
    expect(text).toContain('  bad-lines.json:4: blank line (REELSET_E_CATALOG_LINE)');
    const lines = (await readFile(reportFile, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as Skip).line)).toEqual([2, 4, 5]);
  });

  it('lists the skips of a root (folder and reason) as openDataset would skip them', () => {
    const total = Object.values(rootStats.skips).reduce((a, b) => a + b, 0);
    expect(rootStats.skipList).toHaveLength(total);
    for (const skip of rootStats.skipList) {
      expect(skip.where.startsWith(report.root)).toBe(true);
      expect(skip.reason).not.toContain(report.root);
    }
    expect(rootStats.skipList.find((s) => s.code === 'REELSET_E_MISSING_MEDIA')?.reason).toMatch(/^missing /);
  });

  it('warns of a label folder given as the root; the CLI refuses it with the hint', async () => {
    const beach = join(report.root, 'Beach');
    const stats = await computeStats(beach);
    expect(stats.items).toBe(0);
    expect(stats.warnings).toEqual([
      expect.stringMatching(/Beach looks like the label folder of "Beach".*did you mean .*ds\?$/),
    ]);
    const err = await capture(['stats', beach]).catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/did you mean/);
  });

  it('checks --plot and --report before reading anything: a PNG must end in .png', async () => {
    for (const [args, pattern] of [
      [
        ['--plot', join(tmp, 'stats.jpg')],
        /--plot writes a PNG chart: its file must end in \.png, got ".*stats\.jpg"/,
      ],
      [['--report', join(tmp, 'skips.csv')], /--report writes JSON Lines/],
      [['--plot', join(tmp, 'no-dir', 'x.png')], /folder of the --plot file/],
      [['--report', tmp], /is a folder, not a file/],
    ] as const) {
      const err = await capture(['stats', join(tmp, 'nope'), ...args]).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(pattern);
    }
    await expect(stat(join(tmp, 'stats.jpg'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('names numbers given as strings by their type', async () => {
    const err = await computeStats(report.root, { concurrency: '8' as unknown as number }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe(
      'concurrency must be a whole number from 1 to 1024, got the string "8"',
    );
  });
});
