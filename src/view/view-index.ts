/**
 * @module view/view-index — the viewer's index of a root, built on the layout's scanner: the item folders in
 * scan order at once, then each folder's files, sizes, brief and duration filled in the background; pages
 * and filters answered from it without touching the disk.
 */
import path from 'node:path';
import type { ReelsetErrorCode } from '../errors.js';
import { readItemTxt } from '../loaders/layout/item-files.js';
import { LABELS } from '../loaders/layout/labels.js';
import { MEDIA_KINDS, type MediaKind } from '../loaders/layout/naming.js';
import { type ItemEntry, type ProblemKind, readItemFolder, scanLayout } from '../loaders/layout/scan.js';
import { forEachLimit } from '../util/concurrency.js';

/**
 * A problem of an item as the viewer shows it: from the scan (links, bad names, missing files, a bad `.txt`)
 * or from `reelset check` once it has run.
 *
 * @example
 * ```ts
 * const p: ViewProblem = { kind: 'jpeg', code: 'REELSET_E_BAD_IMAGE', reason: 'truncated', from: 'check' };
 * ```
 */
export interface ViewProblem {
  kind: ProblemKind;
  code: ReelsetErrorCode;
  reason: string;
  from: 'scan' | 'check';
}

/**
 * One item folder of the index. `indexed` is false until its folder has been read; until then only the
 * label and folder name are known.
 *
 * @example
 * ```ts
 * const item = index.item(0);
 * console.log(item?.label, item?.name, item?.brief, item?.missing);
 * ```
 */
export interface ViewItem {
  /** The position in scan order (label folders by name, items by numeric id). */
  n: number;
  entry: ItemEntry;
  label: string;
  labelId: number;
  /** The folder's name as on disk. */
  name: string;
  /** The mp4_id, or undefined when the folder name is not one. */
  id: string | undefined;
  indexed: boolean;
  brief: string;
  durationSec: number | null;
  /** Bytes of each file found. */
  bytes: Partial<Record<MediaKind, number>>;
  missing: MediaKind[];
  scanProblems: ViewProblem[];
  /** The problems `checkDataset` found, once it has run over this item. */
  checkProblems?: ViewProblem[];
}

/**
 * A problem of a folder at the root (not one of the 31 labels, a link leaving the root).
 *
 * @example
 * ```ts
 * for (const p of index.rootProblems) console.log(p.dir, p.reason);
 * ```
 */
export interface RootProblem {
  dir: string;
  code: ReelsetErrorCode;
  reason: string;
}

/**
 * The filters of {@link ViewIndex.query}. Every field is optional; they combine with AND.
 *
 * @example
 * ```ts
 * const filter: ItemFilter = { labelId: 8, text: '海', minDurationSec: 5, missing: 'any' };
 * ```
 */
export interface ItemFilter {
  labelId?: number;
  /** Matches the id (substring) or the brief (substring, case-insensitive; Chinese as is). */
  text?: string;
  minDurationSec?: number;
  maxDurationSec?: number;
  /** `'any'`: lacks a file; a kind: lacks that file; `'none'`: has all three. */
  missing?: 'any' | 'none' | MediaKind;
  /** `'any'`: has a problem; a code: has a problem of that code; `'none'`: no problem. */
  problem?: string;
  /** Keep only these positions (a model's split, a confusion cell), in this order. */
  only?: readonly number[];
}

function problemsOf(item: ViewItem): ViewProblem[] {
  return item.checkProblems ?? item.scanProblems;
}

/**
 * The viewer's index of one root. Call {@link ViewIndex.build} once; pages are answered while it runs
 * (`indexing` says so), with the items found so far.
 *
 * @example
 * ```ts
 * const index = new ViewIndex('/data');
 * const done = index.build();
 * const { total, items } = index.query({ labelId: 8 }, 0, 60);
 * await done;
 * ```
 */
export class ViewIndex {
  readonly root: string;
  readonly items: ViewItem[] = [];
  readonly rootProblems: RootProblem[] = [];
  /** Per label id, the range of positions `[start, end)` of its items (label folders are scanned in order). */
  readonly ranges = new Map<number, { start: number; end: number }>();
  listed = false;
  indexedCount = 0;
  #byKey = new Map<string, number>();
  #byDir = new Map<string, number>();
  #failure: unknown;

  /** @param root the data set root (resolved to an absolute path). */
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** True while item folders remain to be read. */
  get indexing(): boolean {
    return !this.listed || this.indexedCount < this.items.length;
  }

  /** The error that stopped indexing, if any. */
  get failure(): unknown {
    return this.#failure;
  }

  /**
   * Lists every item folder (the scanner: one label folder at a time), then reads them `concurrency` at a
   * time: files and sizes (`readItemFolder`), brief and duration (`readItemTxt`, the layout's safe reader).
   *
   * @example
   * ```ts
   * await new ViewIndex('data').build(8);
   * ```
   */
  async build(concurrency = 8): Promise<void> {
    try {
      for await (const entry of scanLayout(this.root)) {
        if (entry.type === 'problem') {
          const { code, reason } = entry.problem;
          this.rootProblems.push({ dir: entry.dir, code, reason });
          continue;
        }
        this.#add(entry);
      }
      this.listed = true;
      await forEachLimit(this.items, concurrency, (item) => this.#read(item));
    } catch (err) {
      this.listed = true;
      this.#failure = err;
      throw err;
    }
  }

  #add(entry: ItemEntry): void {
    const n = this.items.length;
    const item: ViewItem = {
      n,
      entry,
      label: entry.label,
      labelId: entry.labelId,
      name: entry.name,
      id: undefined,
      indexed: false,
      brief: '',
      durationSec: null,
      bytes: {},
      missing: [],
      scanProblems: [],
    };
    this.items.push(item);
    const range = this.ranges.get(entry.labelId);
    if (range === undefined) this.ranges.set(entry.labelId, { start: n, end: n + 1 });
    else range.end = n + 1;
    this.#byKey.set(`${entry.label}/${entry.name}`, n);
    this.#byDir.set(entry.dir, n);
  }

  async #read(item: ViewItem): Promise<void> {
    try {
      const folder = await readItemFolder(item.entry, { sizes: true });
      item.id = folder.id;
      for (const p of folder.problems) item.scanProblems.push({ ...p, from: 'scan' });
      if (folder.id === undefined || folder.problems.some((p) => p.kind === 'folder')) return;
      for (const kind of MEDIA_KINDS) {
        const file = folder.files[kind];
        if (file === undefined) item.missing.push(kind);
        else item.bytes[kind] = file.size ?? 0;
      }
      if (item.missing.length > 0) {
        item.scanProblems.push({
          kind: item.missing[0] as MediaKind,
          code: 'REELSET_E_MISSING_MEDIA',
          reason: `missing ${item.missing.join(', ')}`,
          from: 'scan',
        });
      }
      this.#byKey.set(`${item.label}/${folder.id}`, item.n);
      const txtFile = folder.files.txt;
      if (txtFile !== undefined) {
        const txt = await readItemTxt(txtFile.openPath, folder.id);
        if (txt.ok) {
          item.brief = txt.brief;
          item.durationSec = txt.durationSec;
        } else {
          item.scanProblems.push({ kind: 'txt', code: txt.code, reason: txt.reason, from: 'scan' });
        }
      }
    } finally {
      item.indexed = true;
      this.indexedCount++;
    }
  }

  /**
   * The item at position `n`, or undefined.
   *
   * @example
   * ```ts
   * index.item(0)?.label;
   * ```
   */
  item(n: number): ViewItem | undefined {
    return Number.isInteger(n) ? this.items[n] : undefined;
  }

  /**
   * The item of a label folder and a folder name (or an mp4_id), or undefined: the only way a request
   * reaches an item, so no path from a request is ever joined to the root.
   *
   * @example
   * ```ts
   * index.find('Beach', '99945958');
   * ```
   */
  find(label: string, name: string): ViewItem | undefined {
    const n = this.#byKey.get(`${label}/${name}`);
    return n === undefined ? undefined : this.items[n];
  }

  /**
   * The position of the item whose folder is `dir` (an absolute path under the root), or of the folder
   * holding the file `dir`.
   *
   * @example
   * ```ts
   * index.positionOf('/data/Beach/12/12.jpeg'); // the position of Beach/12
   * ```
   */
  positionOf(file: string): number | undefined {
    return this.#byDir.get(file) ?? this.#byDir.get(path.dirname(file));
  }

  /**
   * The position of a sample (its label and mp4_id), or undefined.
   *
   * @example
   * ```ts
   * index.positionOfSample({ label: 'Beach', id: '12' });
   * ```
   */
  positionOfSample(sample: { label: string; id: string }): number | undefined {
    return this.#byKey.get(`${sample.label}/${sample.id}`);
  }

  /**
   * Items per label (all 31 labels, zeros included), from the listing.
   *
   * @example
   * ```ts
   * index.labelCounts().find((l) => l.label === 'Beach')?.count;
   * ```
   */
  labelCounts(): Array<{ label: string; labelId: number; chinese: string; count: number }> {
    return LABELS.map((l) => {
      const range = this.ranges.get(l.id);
      return {
        label: l.name,
        labelId: l.id,
        chinese: l.chinese,
        count: range === undefined ? 0 : range.end - range.start,
      };
    });
  }

  /**
   * The positions of the items that pass `filter`, in scan order (or in `filter.only`'s order). Items not
   * yet indexed pass only the label filter.
   *
   * @example
   * ```ts
   * const positions = index.matching({ text: '海滩', missing: 'none' });
   * ```
   */
  matching(filter: ItemFilter): number[] {
    const test = this.#predicate(filter);
    const out: number[] = [];
    if (filter.only !== undefined) {
      for (const n of filter.only) {
        const item = this.items[n];
        if (item !== undefined && test(item)) out.push(n);
      }
      return out;
    }
    let start = 0;
    let end = this.items.length;
    if (filter.labelId !== undefined) {
      const range = this.ranges.get(filter.labelId);
      if (range === undefined) return out;
      ({ start, end } = range);
    }
    for (let n = start; n < end; n++) {
      if (test(this.items[n] as ViewItem)) out.push(n);
    }
    return out;
  }

  #predicate(filter: ItemFilter): (item: ViewItem) => boolean {
    const tests: Array<(item: ViewItem) => boolean> = [];
    if (filter.labelId !== undefined) {
      const id = filter.labelId;
      tests.push((item) => item.labelId === id);
    }
    const text = filter.text?.trim();
    if (text) {
      const needle = text.toLowerCase();
      const digits = /^\d+$/.test(text) ? text.replace(/^0+(?=\d)/, '') : undefined;
      tests.push(
        (item) =>
          (digits !== undefined && (item.id ?? item.name).includes(digits)) ||
          item.brief.toLowerCase().includes(needle),
      );
    }
    const { minDurationSec: min, maxDurationSec: max } = filter;
    if (min !== undefined || max !== undefined) {
      tests.push(
        (item) =>
          item.durationSec !== null &&
          (min === undefined || item.durationSec >= min) &&
          (max === undefined || item.durationSec <= max),
      );
    }
    const { missing } = filter;
    if (missing !== undefined) {
      tests.push((item) => {
        if (!item.indexed) return false;
        if (missing === 'none') return item.missing.length === 0 && item.id !== undefined;
        if (missing === 'any') return item.missing.length > 0;
        return item.missing.includes(missing);
      });
    }
    const { problem } = filter;
    if (problem !== undefined) {
      tests.push((item) => {
        if (!item.indexed) return false;
        const problems = problemsOf(item);
        if (problem === 'none') return problems.length === 0;
        if (problem === 'any') return problems.length > 0;
        return problems.some((p) => p.code === problem);
      });
    }
    return (item) => tests.every((t) => t(item));
  }

  /**
   * Records what `checkDataset` found: the problems of each item it checked replace those of the scan
   * (the check finds those too). `checked` are the positions it went over.
   *
   * @example
   * ```ts
   * index.recordCheck([{ path: '/data/Beach/12/12.jpeg', kind: 'jpeg', code: 'REELSET_E_BAD_IMAGE', reason: '...' }]);
   * ```
   */
  recordCheck(
    problems: ReadonlyArray<{ path: string; kind: ProblemKind; code: ReelsetErrorCode; reason: string }>,
  ): { matched: number; unmatched: RootProblem[] } {
    for (const item of this.items) item.checkProblems = [];
    const unmatched: RootProblem[] = [];
    let matched = 0;
    for (const p of problems) {
      const n = this.positionOf(p.path);
      const item = n === undefined ? undefined : this.items[n];
      if (item === undefined) {
        unmatched.push({ dir: p.path, code: p.code, reason: p.reason });
        continue;
      }
      matched++;
      item.checkProblems?.push({ kind: p.kind, code: p.code, reason: p.reason, from: 'check' });
    }
    return { matched, unmatched };
  }

  /**
   * The problems of an item: those of the check once it has run, else those of the scan.
   *
   * @example
   * ```ts
   * ViewIndex.problems(item).map((p) => p.code);
   * ```
   */
  static problems(item: ViewItem): ViewProblem[] {
    return problemsOf(item);
  }

  /**
   * Counts of problems by code over the indexed items (check's when it has run).
   *
   * @example
   * ```ts
   * index.problemCounts(); // { REELSET_E_MISSING_MEDIA: 3, ... }
   * ```
   */
  problemCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const item of this.items) {
      for (const code of new Set(problemsOf(item).map((p) => p.code))) counts[code] = (counts[code] ?? 0) + 1;
    }
    return counts;
  }
}
