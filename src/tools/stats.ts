/**
 * @module stats — statistics of a data set, streamed from its catalog (JSON Lines) or its on-disk layout:
 * counts per label, clips listed under several labels, durations, missing media, bytes on disk, skips.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ReelsetError } from '../errors.js';
import { readCatalog } from '../loaders/catalog/catalog.js';
import { readItemTxt } from '../loaders/layout/item-files.js';
import { LABELS } from '../loaders/layout/labels.js';
import type { MediaKind } from '../loaders/layout/naming.js';
import { MEDIA_KINDS } from '../loaders/layout/naming.js';
import { layoutRootHint } from '../loaders/layout/root-hint.js';
import { readItemFolder, scanLayout } from '../loaders/layout/scan.js';
import type { Skip } from '../loaders/sample.js';
import { forEachLimit } from '../util/concurrency.js';
import { checkFunction, checkInteger, describeValue, invalidArgument } from '../util/options.js';

/**
 * One label's line of {@link DatasetStats}: how many items (catalog lines, or item folders) it has, and
 * for a layout root the bytes of its items' files.
 *
 * @example
 * ```ts
 * const beach: LabelCount = { label: 'Beach', labelId: 8, chinese: '海滩', count: 20113, bytes: 30e9 };
 * ```
 */
export interface LabelCount {
  label: string;
  labelId: number;
  chinese: string;
  count: number;
  /** Bytes of the files of this label's items (layout root only). */
  bytes?: number;
}

/**
 * One bin of the duration histogram: `fromSec <= d < toSec` (`toSec` null: no upper bound).
 *
 * @example
 * ```ts
 * const bin: DurationBin = { label: '10-15s', fromSec: 10, toSec: 15, count: 120000 };
 * ```
 */
export interface DurationBin {
  label: string;
  fromSec: number;
  toSec: number | null;
  count: number;
}

/**
 * The durations (`mp4_time`, whole seconds) of the items: histogram and summary. For a layout root they
 * come from the `.txt` files; items without a readable `.txt` count as `unknown`.
 *
 * @example
 * ```ts
 * const { bins, medianSec, mostCommon } = stats.durations;
 * ```
 */
export interface DurationStats {
  bins: DurationBin[];
  known: number;
  unknown: number;
  minSec: number | null;
  /** The median (mean of the two middle values for an even count). */
  medianSec: number | null;
  maxSec: number | null;
  /** How many distinct durations (the real catalog has 184). */
  distinct: number;
  mostCommon: { sec: number; count: number } | null;
}

/**
 * Clips (ids) listed under several labels.
 *
 * @example
 * ```ts
 * const shared: SharedIds = { count: 52000, maxLabels: 9, examples: [{ id: '12', labels: ['Beach', 'Sea'] }] };
 * ```
 */
export interface SharedIds {
  /** Ids listed under two labels or more. */
  count: number;
  /** The most labels one id is listed under (1 when none is shared, 0 for an empty data set). */
  maxLabels: number;
  /** Up to 5 shared ids, those with the most labels first, then by numeric id. */
  examples: Array<{ id: string; labels: string[] }>;
}

/**
 * What a layout root holds on disk: items lacking each file, bytes per file kind, URL-named media.
 *
 * @example
 * ```ts
 * console.log(stats.disk?.missing.mp4, stats.disk?.bytes.mp4);
 * ```
 */
export interface DiskStats {
  missing: Record<MediaKind, number>;
  bytes: Record<MediaKind, number>;
  totalBytes: number;
  /** Media still named after their URL (`<id9>_iconl.jpeg`, `<id9>_main_xl.mp4`). */
  urlNamed: { jpeg: number; mp4: number };
}

/**
 * The statistics {@link computeStats} returns.
 *
 * @example
 * ```ts
 * const stats: DatasetStats = await computeStats('data/multimodal_data_info.json');
 * console.log(stats.items, stats.distinctIds, stats.shared.count);
 * ```
 */
export interface DatasetStats {
  /** `'catalog'` for a JSON Lines file, `'layout'` for a root folder. */
  source: 'catalog' | 'layout';
  /** The input, resolved to an absolute path. */
  input: string;
  /** All 31 labels in id order, zeros included. */
  labels: LabelCount[];
  /** Catalog lines read, or item folders found (folders whose name is an mp4_id). */
  items: number;
  distinctIds: number;
  shared: SharedIds;
  durations: DurationStats;
  /**
   * Skips by code. Catalog: lines that are not valid entries. Layout: what `openDataset(root, { require:
   * ['txt', 'jpeg', 'mp4'] })` skips (missing files, bad `.txt`, bad folders, unknown label folders).
   */
  skips: Record<string, number>;
  /**
   * The first {@link MAX_SKIPS_LISTED} skips themselves, in the order met: for a catalog each bad line with
   * its number and reason (`{ where: 'file:line', line, id?, reason, code }`), for a root each item or
   * folder (`{ where: folder, id?, reason, code }`). All of them go to `onSkip`.
   */
  skipList: Skip[];
  /**
   * What looks wrong with the input as a whole, e.g. a label folder given as the root
   * (`data/Beach looks like a label folder ...: did you mean data?`). Empty when nothing does.
   */
  warnings: string[];
  /** Layout root only. */
  disk?: DiskStats;
}

/**
 * How many skips {@link DatasetStats.skipList} keeps (the counts in `skips` cover all of them).
 *
 * @example
 * ```ts
 * if (stats.skipList.length === MAX_SKIPS_LISTED) console.log('see onSkip for the rest');
 * ```
 */
export const MAX_SKIPS_LISTED = 1000;

/**
 * Options of {@link computeStats}.
 *
 * @example
 * ```ts
 * const options: StatsOptions = { concurrency: 32 };
 * ```
 */
export interface StatsOptions {
  /** Item folders read at once (layout root only). Default 16. */
  concurrency?: number;
  /** Called with every skip (bad catalog line, or skipped item or folder of a root), as it is met. */
  onSkip?: (skip: Skip) => void;
}

/**
 * The bin edges of the duration histogram, in seconds.
 *
 * @example
 * ```ts
 * console.log(DURATION_EDGES); // [0, 5, 10, 15, 20, 30, 60]
 * ```
 */
export const DURATION_EDGES: readonly number[] = Object.freeze([0, 5, 10, 15, 20, 30, 60]);

/** Per-pass counters; the only per-item memory is the id -> labels bit mask map. */
class Tally {
  readonly counts = new Array<number>(LABELS.length).fill(0);
  readonly bytesPerLabel = new Array<number>(LABELS.length).fill(0);
  /** id -> bit mask of its labels (31 labels fit in 31 bits): one small string and one number per id. */
  readonly ids = new Map<string, number>();
  readonly durations = new Map<number, number>();
  unknownDurations = 0;
  items = 0;
  readonly skips: Record<string, number> = {};
  readonly skipList: Skip[] = [];

  constructor(readonly onSkip?: (skip: Skip) => void) {}

  add(id: string, labelId: number): void {
    this.items++;
    this.counts[labelId] = (this.counts[labelId] ?? 0) + 1;
    this.ids.set(id, (this.ids.get(id) ?? 0) | (1 << labelId));
  }

  duration(sec: number | null): void {
    if (sec === null) this.unknownDurations++;
    else this.durations.set(sec, (this.durations.get(sec) ?? 0) + 1);
  }

  skip(skip: Skip): void {
    this.skips[skip.code] = (this.skips[skip.code] ?? 0) + 1;
    if (this.skipList.length < MAX_SKIPS_LISTED) this.skipList.push(skip);
    this.onSkip?.(skip);
  }
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

function sharedIds(ids: Map<string, number>): SharedIds {
  let count = 0;
  let maxLabels = ids.size > 0 ? 1 : 0;
  let examples: Array<{ id: string; n: number; mask: number }> = [];
  for (const [id, mask] of ids) {
    const n = popcount(mask);
    if (n < 2) continue;
    count++;
    if (n > maxLabels) maxLabels = n;
    examples.push({ id, n, mask });
    if (examples.length > 50) {
      examples.sort((a, b) => b.n - a.n || compareIds(a.id, b.id));
      examples = examples.slice(0, 5);
    }
  }
  examples.sort((a, b) => b.n - a.n || compareIds(a.id, b.id));
  return {
    count,
    maxLabels,
    examples: examples.slice(0, 5).map(({ id, mask }) => ({
      id,
      labels: LABELS.filter((label) => (mask & (1 << label.id)) !== 0).map((label) => label.name),
    })),
  };
}

function durationStats(durations: Map<number, number>, unknown: number): DurationStats {
  const bins: DurationBin[] = DURATION_EDGES.map((from, i) => {
    const to = DURATION_EDGES[i + 1] ?? null;
    return { label: to === null ? `${from}s+` : `${from}-${to}s`, fromSec: from, toSec: to, count: 0 };
  });
  const sorted = [...durations.entries()].sort((a, b) => a[0] - b[0]);
  let known = 0;
  let mostCommon: { sec: number; count: number } | null = null;
  for (const [sec, count] of sorted) {
    known += count;
    const bin = bins.findLast((b) => sec >= b.fromSec) ?? (bins[0] as DurationBin);
    bin.count += count;
    if (mostCommon === null || count > mostCommon.count) mostCommon = { sec, count };
  }
  // The values at ranks (known - 1) / 2 and known / 2 (0-based): equal for an odd count.
  const at = (rank: number): number => {
    let seen = 0;
    for (const [sec, count] of sorted) {
      seen += count;
      if (rank < seen) return sec;
    }
    return Number.NaN;
  };
  return {
    bins,
    known,
    unknown,
    minSec: sorted[0]?.[0] ?? null,
    medianSec: known === 0 ? null : (at(Math.floor((known - 1) / 2)) + at(Math.floor(known / 2))) / 2,
    maxSec: sorted.at(-1)?.[0] ?? null,
    distinct: sorted.length,
    mostCommon,
  };
}

function finish(
  tally: Tally,
  source: 'catalog' | 'layout',
  input: string,
  warnings: string[],
  disk?: DiskStats,
): DatasetStats {
  const stats: DatasetStats = {
    source,
    input,
    labels: LABELS.map((label) => {
      const line: LabelCount = {
        label: label.name,
        labelId: label.id,
        chinese: label.chinese,
        count: tally.counts[label.id] ?? 0,
      };
      if (disk) line.bytes = tally.bytesPerLabel[label.id] ?? 0;
      return line;
    }),
    items: tally.items,
    distinctIds: tally.ids.size,
    shared: sharedIds(tally.ids),
    durations: durationStats(tally.durations, tally.unknownDurations),
    skips: Object.fromEntries(Object.entries(tally.skips).sort(([a], [b]) => (a < b ? -1 : 1))),
    skipList: tally.skipList,
    warnings,
  };
  if (disk) stats.disk = disk;
  return stats;
}

async function catalogStats(file: string, onSkip?: (skip: Skip) => void): Promise<DatasetStats> {
  const tally = new Tally(onSkip);
  for await (const entry of readCatalog(file, { onSkip: (skip) => tally.skip(skip) })) {
    tally.add(entry.id, entry.labelId);
    tally.duration(entry.durationSec);
  }
  return finish(tally, 'catalog', file, []);
}

async function layoutStats(
  root: string,
  concurrency: number,
  onSkip?: (skip: Skip) => void,
): Promise<DatasetStats> {
  const tally = new Tally(onSkip);
  const hint = await layoutRootHint(root);
  const zero = (): Record<MediaKind, number> => ({ txt: 0, jpeg: 0, mp4: 0 });
  const disk: DiskStats = { missing: zero(), bytes: zero(), totalBytes: 0, urlNamed: { jpeg: 0, mp4: 0 } };
  const entries = scanLayout(root);
  await forEachLimit(entries, concurrency, async (entry) => {
    if (entry.type === 'problem') {
      const { code, reason } = entry.problem;
      tally.skip({ where: entry.dir, reason, code });
      return;
    }
    const item = await readItemFolder(entry, { sizes: true });
    const first = item.problems[0];
    if (item.id === undefined || first !== undefined) {
      // As the layout does: an item whose folder is bad or holds a link leaving the root is skipped whole.
      const skip: Skip = {
        where: item.dir,
        reason: first?.reason ?? `the folder name ${JSON.stringify(item.name)} is not an mp4_id`,
        code: first?.code ?? 'REELSET_E_BAD_ITEM',
      };
      if (item.id !== undefined) skip.id = item.id;
      tally.skip(skip);
      return;
    }
    tally.add(item.id, item.labelId);
    const missing: MediaKind[] = [];
    for (const kind of MEDIA_KINDS) {
      const file = item.files[kind];
      if (file === undefined) {
        disk.missing[kind]++;
        missing.push(kind);
        continue;
      }
      const size = file.size ?? 0;
      disk.bytes[kind] += size;
      disk.totalBytes += size;
      tally.bytesPerLabel[item.labelId] = (tally.bytesPerLabel[item.labelId] ?? 0) + size;
      if (file.urlNamed && kind !== 'txt') disk.urlNamed[kind]++;
    }
    const txt = item.files.txt ? await readItemTxt(item.files.txt.openPath, item.id) : undefined;
    tally.duration(txt?.ok ? txt.durationSec : null);
    if (missing.length > 0) {
      tally.skip({
        where: item.dir,
        id: item.id,
        reason: `missing ${missing.join(', ')}`,
        code: 'REELSET_E_MISSING_MEDIA',
      });
    } else if (txt !== undefined && !txt.ok) {
      tally.skip({
        where: item.files.txt?.path ?? item.dir,
        id: item.id,
        reason: txt.reason,
        code: txt.code,
      });
    }
  });
  return finish(tally, 'layout', root, hint === undefined ? [] : [hint], disk);
}

/**
 * Computes the statistics of a data set, from its catalog (a JSON Lines file such as
 * `multimodal_data_info.json`) or its on-disk layout root (a folder): which one is decided by what `input`
 * is. Both are streamed: memory holds counters and one map of id -> labels (a bit mask), about 500,000
 * short strings for the real data (some tens of MB), never the entries themselves. For a root, each item
 * folder is listed and its files' sizes read, and each `.txt` is parsed (never evaluated) for its
 * duration; media are not decoded (see `checkDataset`).
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when `input` does not exist; `REELSET_E_INVALID_ARGUMENT` for
 *   a bad option.
 * @example
 * ```ts
 * const stats = await computeStats('data');
 * for (const { label, count } of stats.labels) console.log(label, count);
 * console.log(stats.disk?.missing, stats.durations.medianSec);
 * ```
 */
export async function computeStats(input: string, options: StatsOptions = {}): Promise<DatasetStats> {
  if (typeof input !== 'string' || input === '') {
    throw invalidArgument(`computeStats needs a catalog file or a root folder, got ${describeValue(input)}`);
  }
  const concurrency = checkInteger('concurrency', options.concurrency ?? 16, 1, 1024);
  const onSkip = checkFunction('onSkip', options.onSkip);
  const resolved = path.resolve(input);
  let isDir: boolean;
  try {
    isDir = (await stat(resolved)).isDirectory();
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `${input} is neither a catalog file nor a folder`, {
      cause: err,
    });
  }
  return isDir ? layoutStats(resolved, concurrency, onSkip) : catalogStats(resolved, onSkip);
}
