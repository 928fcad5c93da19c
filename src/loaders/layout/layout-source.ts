/**
 * @module layout-source — the on-disk layout as a resumable {@link Source} of {@link Sample}s, on the scanner.
 */
import path from 'node:path';
import { ReelsetError } from '../../errors.js';
import { checkFunction, describeValue, invalidArgument } from '../../util/options.js';
import type { Json, PassContext, Positioned, Source } from '../dataset/source.js';
import { checkOnError, type OnError, type Sample, type Skip } from '../sample.js';
import { readItemTxt } from './item-files.js';
import { labelId } from './labels.js';
import { checkMediaKinds, MEDIA_KINDS, type MediaKind } from './naming.js';
import {
  type ItemEntry,
  itemFileNames,
  type LayoutPosition,
  readItemFolder,
  type ScanProblem,
  scanLayout,
} from './scan.js';

export type { LayoutPosition } from './scan.js';

/**
 * Options of {@link layoutSource} (and the layout options of `openDataset`).
 *
 * @example
 * ```ts
 * const skips: Skip[] = [];
 * const options: LayoutOptions = {
 *   require: ['txt', 'jpeg', 'mp4'],
 *   labels: ['Beach', 'Green Screen'],
 *   onSkip: (skip) => skips.push(skip),
 * };
 * ```
 */
export interface LayoutOptions {
  /**
   * The files an item must have to be yielded; an item lacking one is skipped (`REELSET_E_MISSING_MEDIA`).
   * Default `['txt']`, plus `jpeg` when `image` is on and `mp4` when `video` is on. A file that is not
   * required may be missing: its `source` entry is then undefined, without a `.txt` the brief is `''` and
   * the duration null, and a decoded field whose file is missing stays undefined. A zero-byte file counts
   * as present.
   */
  require?: readonly MediaKind[];
  /**
   * Read only these label folders (English names, exact case). Default: every label folder.
   *
   * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` at call time for a name that is not one of the 31 labels.
   */
  labels?: readonly string[];
  /** `'skip'` (default): record a {@link Skip} for a bad item and go on; `'throw'`: throw its error. */
  onError?: OnError;
  /** Called with each skip, as it happens (only with `onError: 'skip'`). */
  onSkip?: (skip: Skip) => void;
}

/**
 * A {@link Source} of the samples of an on-disk layout, which also keeps the skips of its latest pass.
 *
 * @example
 * ```ts
 * const source = layoutSource('data', { require: ['txt', 'mp4'] });
 * for await (const sample of Dataset.fromSource(source)) console.log(sample.id);
 * console.log(source.skips); // the skips of the pass that just ended
 * ```
 */
export interface LayoutSource extends Source<Sample> {
  /** The root folder, resolved to an absolute path. */
  readonly root: string;
  /**
   * The skips of the latest pass, in order. Each pass (each `open`) starts a fresh array when it begins, so
   * an array read earlier keeps the skips of its own pass. When passes run at the same time, this is the
   * array of the one that began last; use `onSkip` to follow several passes at once.
   */
  readonly skips: readonly Skip[];
}

/** Why an item is skipped: the code, reason and cause of its first problem. */
type SkipReason = Pick<ScanProblem, 'code' | 'reason' | 'cause'>;

const NOT_AN_ID: SkipReason = { code: 'REELSET_E_BAD_ITEM', reason: 'the folder name is not an mp4_id' };

function parsePosition(position: Json | undefined): LayoutPosition | undefined {
  if (position === undefined || position === null) return undefined;
  if (
    typeof position === 'object' &&
    !Array.isArray(position) &&
    typeof position.label === 'string' &&
    typeof position.id === 'string'
  ) {
    return { label: position.label, id: position.id };
  }
  throw new ReelsetError(
    'REELSET_E_INVALID_ARGUMENT',
    `A layout position is { label, id } (strings), got ${JSON.stringify(position)}`,
  );
}

class LayoutSourceImpl implements LayoutSource {
  readonly name = 'Layout';
  readonly root: string;
  readonly #require: ReadonlySet<MediaKind>;
  readonly #labels: readonly string[] | undefined;
  readonly #onError: OnError;
  readonly #onSkip: ((skip: Skip) => void) | undefined;
  #skips: Skip[] = [];

  constructor(root: string, options: LayoutOptions) {
    if (typeof root !== 'string' || root === '') {
      throw invalidArgument(`The root must be a non-empty path, got ${describeValue(root)}`);
    }
    this.root = path.resolve(root);
    this.#require = new Set(checkMediaKinds('require', options.require ?? ['txt']));
    if (options.labels !== undefined) {
      if (!Array.isArray(options.labels) || options.labels.length === 0) {
        throw invalidArgument('labels must be a non-empty array of label names');
      }
      for (const label of options.labels) labelId(label);
      this.#labels = [...options.labels];
    }
    this.#onError = checkOnError(options.onError);
    this.#onSkip = checkFunction('onSkip', options.onSkip);
  }

  get skips(): readonly Skip[] {
    return this.#skips;
  }

  open(position: Json | undefined, _ctx: PassContext): AsyncIterable<Positioned<Sample>> {
    return this.#pass(position);
  }

  async *#pass(position: Json | undefined): AsyncGenerator<Positioned<Sample>> {
    const after = parsePosition(position);
    const skips: Skip[] = [];
    this.#skips = skips;
    const record = (where: string, id: string | undefined, problem: SkipReason): void => {
      if (this.#onError === 'throw') {
        throw new ReelsetError(problem.code, `${problem.reason} (${where})`, { cause: problem.cause });
      }
      const skip: Skip =
        id === undefined
          ? { where, reason: problem.reason, code: problem.code }
          : { where, id, reason: problem.reason, code: problem.code };
      skips.push(skip);
      this.#onSkip?.(skip);
    };
    for await (const entry of scanLayout(this.root, { labels: this.#labels, after })) {
      if (entry.type === 'problem') {
        record(entry.dir, undefined, entry.problem);
        continue;
      }
      const result = await this.#readSample(entry);
      if ('problem' in result) record(entry.dir, result.id, result.problem);
      else yield { value: result.sample, position: { label: entry.label, id: entry.name } };
    }
  }

  /** Reads one item folder into a sample, or says what is wrong with it (its first problem). */
  async #readSample(entry: ItemEntry): Promise<{ sample: Sample } | { id?: string; problem: SkipReason }> {
    const item = await readItemFolder(entry);
    const { id, files, problems } = item;
    // A folder whose name is not an mp4_id always comes with its problem.
    if (problems[0] !== undefined || id === undefined) return { id, problem: problems[0] ?? NOT_AN_ID };
    const missing = MEDIA_KINDS.filter((kind) => this.#require.has(kind) && files[kind] === undefined);
    if (missing.length > 0) {
      const names = missing.map((kind) => `${kind} (${itemFileNames(item.name, id, kind).join(' or ')})`);
      return { id, problem: { code: 'REELSET_E_MISSING_MEDIA', reason: `missing ${names.join(', ')}` } };
    }
    let brief = '';
    let durationSec: number | null = null;
    if (files.txt !== undefined) {
      const meta = await readItemTxt(files.txt.openPath, id);
      if (!meta.ok) return { id, problem: meta };
      ({ brief, durationSec } = meta);
    }
    const source: Sample['source'] = {};
    for (const kind of MEDIA_KINDS) {
      const file = files[kind];
      if (file !== undefined) source[kind] = file.path;
    }
    return { sample: { id, label: item.label, labelId: item.labelId, brief, durationSec, source } };
  }
}

/**
 * The samples of a data set in the original on-disk layout, as a resumable {@link Source}, for building a
 * `Dataset` by hand. Use it rather than `openDataset` when you want the skips of the latest pass as
 * an array (`source.skips`) besides `onSkip`.
 *
 * A pass lists the root, then one label folder at a time (label folders in name order, which is label id
 * order; item folders in numeric order), and reads each item's `.txt` only when it gets there, so memory
 * stays flat whatever the size of the data set. Bad items are skipped with a {@link Skip} (or thrown with
 * `onError: 'throw'`): a folder that is not one of the 31 labels (`REELSET_E_UNKNOWN_LABEL`), an item folder
 * whose name is not all digits or whose `.txt` names another mp4_id or has a malformed field
 * (`REELSET_E_BAD_ITEM`), a `.txt` that is not a dict literal of strings (`REELSET_E_PY_LITERAL`), a missing
 * required file (`REELSET_E_MISSING_MEDIA`). Files at the root, such as `multimodal_data_info.json`, are
 * ignored. Media named after their URL (`099945958_main_xl.mp4`, `099945958_iconl.jpeg`) are found too;
 * `<mp4_id>.mp4` and `<mp4_id>.jpeg` win when both exist.
 *
 * Paths only ever come from listing folders, never from a `.txt`. Symbolic links (label folders, item
 * folders, files) are followed only when their target lies strictly below the root; one that leaves it, or
 * points to the root itself, is skipped (`REELSET_E_BAD_ITEM`, the whole item for a file); a broken one
 * counts as absent. The tools (`checkDataset`, `computeStats`, `previewSheet`) list with the same scanner.
 *
 * The position of each sample is a {@link LayoutPosition}; opening again at it continues right after that
 * sample, without listing the label folders before it, and without recording again the skips before it.
 *
 * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` at call time for an unknown name in `labels`;
 *   `REELSET_E_INVALID_ARGUMENT` for other invalid options; `REELSET_E_NOT_FOUND` when a pass starts and
 *   the root is not a readable folder.
 * @example
 * ```ts
 * const source = layoutSource('data', { require: ['txt', 'jpeg', 'mp4'] });
 * for await (const { value, position } of source.open(undefined, { epoch: 0 })) {
 *   console.log(value.id, value.label, position);
 * }
 * console.log(`${source.skips.length} items skipped`);
 * ```
 */
export function layoutSource(root: string, options: LayoutOptions = {}): LayoutSource {
  return new LayoutSourceImpl(root, options);
}
