/**
 * @module download/plan — the downloader's plan: catalog entries → filtered, sampled items → one job per
 * file (`.txt` written locally, `.jpeg` / `.mp4` fetched), each with a final path proven to lie inside `out`.
 */
import path from 'node:path';
import { ReelsetError } from '../../errors.js';
import { checkInteger, describeValue } from '../../util/options.js';
import { hash53 } from '../../util/random.js';
import type { CatalogEntry } from '../catalog/catalog.js';
import { isLabel, unknownLabelError, unknownLabelText } from '../layout/labels.js';
import type { MediaKind } from '../layout/naming.js';
import { checkMediaKinds, MEDIA_KINDS, urlFileName } from '../layout/naming.js';
import { itemTxt } from '../layout/py-repr.js';

/**
 * Which catalog entries and files a download covers.
 *
 * @example
 * ```ts
 * const filters: PlanFilters = { labels: ['Beach'], kinds: ['txt', 'jpeg'], maxPerLabel: 100, sample: 0.1, seed: 7 };
 * ```
 */
export interface PlanFilters {
  /** Only these labels (exact English names). Default: all. */
  labels?: readonly string[];
  /** Only these ids (digits; leading zeros ignored). Default: all. */
  ids?: readonly string[];
  /** Which files of each item. Default `['txt', 'jpeg', 'mp4']`. */
  kinds?: readonly MediaKind[];
  /** At most this many items per label (the first ones, after sampling). */
  maxPerLabel?: number;
  /**
   * A seeded sample of the (filtered) catalog: a fraction in `(0, 1)` keeps each item whose hash of
   * `(seed, label, id)` falls below it (streamed); a whole number `>= 1` keeps the that many items with the
   * smallest hashes (held in memory, then served in catalog order). Same seed, same sample; a smaller
   * sample is a subset of a larger one.
   */
  sample?: number;
  /** Seed of `sample`. Default 0. */
  seed?: number;
}

/**
 * One item of the plan: a catalog entry and its folder, shared by the item's jobs.
 *
 * @example
 * ```ts
 * const item: PlanItem = { entry, folder: '/data/Beach/80328682', rel: 'Beach/80328682' };
 * ```
 */
export interface PlanItem {
  entry: CatalogEntry;
  /** Absolute `<out>/<label>/<id>`. */
  folder: string;
  /** `<label>/<id>` with `/` separators. */
  rel: string;
  /** Set by the runner: creating the folder and checking its real path, once per item. */
  ready?: Promise<void>;
}

/**
 * One file to produce.
 *
 * @example
 * ```ts
 * const job: DownloadJob = { item, kind: 'mp4', url: item.entry.mp4Url, path: '/data/Beach/1/1.mp4', rel: 'Beach/1/1.mp4', altPaths: [] };
 * ```
 */
export interface DownloadJob {
  item: PlanItem;
  kind: MediaKind;
  /** The URL to fetch (`jpeg`, `mp4`). */
  url?: string;
  /** The content to write (`txt`). */
  text?: string;
  /** Absolute final path `<out>/<label>/<id>/<id>.<kind>`. */
  path: string;
  /** Path relative to `out`, `/` separators (the manifest key). */
  rel: string;
  /** Other names that also count as complete: the original's URL names (`<id9>_main_xl.mp4`). */
  altPaths: string[];
}

/**
 * An entry that cannot be planned (its id or label would place files outside `out`).
 *
 * @example
 * ```ts
 * const bad: PlanReject = { entry, error: new ReelsetError('REELSET_E_UNSAFE_PATH') };
 * ```
 */
export interface PlanReject {
  entry: CatalogEntry;
  error: ReelsetError;
}

/** The three kinds, in the order they are planned. */
const ID = /^[0-9]{1,12}$/;

/**
 * `target` resolved, when it lies strictly inside `root` (both absolute); else `REELSET_E_UNSAFE_PATH`.
 *
 * @example
 * ```ts
 * insideOrThrow('/data', '/data/Beach/1/1.mp4'); // '/data/Beach/1/1.mp4'
 * insideOrThrow('/data', '/data/../etc/passwd'); // throws
 * ```
 */
export function insideOrThrow(root: string, target: string): string {
  const resolved = path.resolve(target);
  if (!resolved.startsWith(root + path.sep)) {
    throw new ReelsetError('REELSET_E_UNSAFE_PATH', `Refusing to write outside ${root}: ${resolved}`);
  }
  return resolved;
}

/**
 * The item of an entry under `out`, or a {@link PlanReject}: the label must be one of the 31, the id digits
 * only, and every path must resolve inside `out` (defence in depth).
 *
 * @example
 * ```ts
 * const planned = planItem('/data', entry);
 * if ('error' in planned) console.warn(planned.error.code);
 * ```
 */
export function planItem(out: string, entry: CatalogEntry): PlanItem | PlanReject {
  try {
    if (typeof entry.id !== 'string' || !ID.test(entry.id)) {
      throw new ReelsetError('REELSET_E_UNSAFE_PATH', `Unsafe id ${JSON.stringify(entry.id)}: digits only`);
    }
    if (typeof entry.label !== 'string' || !isLabel(entry.label)) {
      throw new ReelsetError(
        'REELSET_E_UNSAFE_PATH',
        `Unsafe label ${unknownLabelText(entry.label)}: not one of the 31 labels`,
      );
    }
    const folder = insideOrThrow(out, path.join(out, entry.label, entry.id));
    return { entry, folder, rel: `${entry.label}/${entry.id}` };
  } catch (err) {
    return { entry, error: err as ReelsetError };
  }
}

/**
 * The jobs of an item, for the given kinds (paths checked inside `out`).
 *
 * @example
 * ```ts
 * for (const job of itemJobs('/data', item, ['jpeg', 'mp4'])) console.log(job.path);
 * ```
 */
export function itemJobs(out: string, item: PlanItem, kinds: readonly MediaKind[]): DownloadJob[] {
  const { entry } = item;
  const jobs: DownloadJob[] = [];
  for (const kind of MEDIA_KINDS) {
    if (!kinds.includes(kind)) continue;
    const name = `${entry.id}.${kind}`;
    const job: DownloadJob = {
      item,
      kind,
      path: insideOrThrow(out, path.join(item.folder, name)),
      rel: `${item.rel}/${name}`,
      altPaths: [],
    };
    if (kind === 'txt') job.text = itemTxt(entry);
    else {
      job.url = kind === 'mp4' ? entry.mp4Url : entry.coverUrl;
      job.altPaths.push(insideOrThrow(out, path.join(item.folder, urlFileName(entry.id, kind))));
    }
    jobs.push(job);
  }
  return jobs;
}

/** A max-heap on `h`, to keep the `k` smallest hashes. */
class MaxHeap<T extends { h: number }> {
  readonly items: T[] = [];
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as T).h >= (a[i] as T).h) break;
      [a[p], a[i]] = [a[i] as T, a[p] as T];
      i = p;
    }
  }
  top(): T | undefined {
    return this.items[0];
  }
  replaceTop(x: T): void {
    const a = this.items;
    a[0] = x;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && (a[l] as T).h > (a[m] as T).h) m = l;
      if (r < a.length && (a[r] as T).h > (a[m] as T).h) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i] as T, a[m] as T];
      i = m;
    }
  }
}

/**
 * Checks the filters; throws `REELSET_E_INVALID_ARGUMENT` / `REELSET_E_UNKNOWN_LABEL`.
 *
 * @example
 * ```ts
 * checkFilters({ sample: 0.5 });
 * ```
 */
export function checkFilters(filters: PlanFilters): void {
  const bad = (message: string): never => {
    throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', message);
  };
  for (const name of ['labels', 'ids'] as const) {
    const list = filters[name];
    if (list !== undefined && !Array.isArray(list)) {
      bad(`${name} must be an array of strings, got ${describeValue(list)}`);
    }
  }
  for (const label of filters.labels ?? []) {
    if (!isLabel(label)) throw unknownLabelError(label);
  }
  for (const id of filters.ids ?? []) {
    if (typeof id !== 'string' || !ID.test(id))
      bad(`ids must be strings of digits, got ${describeValue(id)}`);
  }
  if (filters.kinds !== undefined) checkMediaKinds('kinds', filters.kinds);
  const { maxPerLabel, sample, seed } = filters;
  if (maxPerLabel !== undefined) checkInteger('maxPerLabel', maxPerLabel, 1);
  if (sample !== undefined) {
    const ok =
      typeof sample === 'number' &&
      Number.isFinite(sample) &&
      sample > 0 &&
      (sample < 1 || Number.isSafeInteger(sample));
    if (!ok) bad(`sample must be a fraction in (0, 1) or a whole number ≥ 1, got ${describeValue(sample)}`);
  }
  if (seed !== undefined) checkInteger('seed', seed);
}

/**
 * The entries a download covers, in catalog order: label and id filters, then the seeded sample, then
 * `maxPerLabel`.
 *
 * @example
 * ```ts
 * for await (const entry of selectEntries(readCatalog('multimodal_data_info.json'), { labels: ['Sea'] })) {
 *   console.log(entry.id);
 * }
 * ```
 */
export async function* selectEntries(
  entries: AsyncIterable<CatalogEntry>,
  filters: PlanFilters,
): AsyncGenerator<CatalogEntry> {
  const labels = filters.labels?.length ? new Set(filters.labels) : undefined;
  const ids = filters.ids?.length ? new Set(filters.ids.map((id) => id.replace(/^0+(?=\d)/, ''))) : undefined;
  const seed = filters.seed ?? 0;
  const sample = filters.sample;
  const perLabel = new Map<string, number>();
  const max = filters.maxPerLabel;
  const hashOf = (e: CatalogEntry): number => hash53(`${e.label}/${e.id}`, seed) / 2 ** 53;
  const capped = (e: CatalogEntry): boolean => {
    if (max === undefined) return false;
    const n = perLabel.get(e.label) ?? 0;
    if (n >= max) return true;
    perLabel.set(e.label, n + 1);
    return false;
  };
  const wanted = (e: CatalogEntry): boolean =>
    (labels === undefined || labels.has(e.label)) && (ids === undefined || ids.has(e.id));

  if (sample !== undefined && sample >= 1) {
    const heap = new MaxHeap<{ h: number; n: number; e: CatalogEntry }>();
    let n = 0;
    for await (const e of entries) {
      if (!wanted(e)) continue;
      const h = hashOf(e);
      const x = { h, n: n++, e };
      if (heap.items.length < sample) heap.push(x);
      else if (h < (heap.top() as { h: number }).h) heap.replaceTop(x);
    }
    const kept = heap.items.sort((a, b) => a.n - b.n);
    for (const { e } of kept) if (!capped(e)) yield e;
    return;
  }
  for await (const e of entries) {
    if (!wanted(e)) continue;
    if (sample !== undefined && hashOf(e) >= sample) continue;
    if (capped(e)) continue;
    yield e;
  }
}
