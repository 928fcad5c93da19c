/**
 * @module layout — the original's on-disk layout `<root>/<label>/<mp4_id>/<mp4_id>.{txt,jpeg,mp4}`, streamed
 * one label folder at a time as a resumable {@link Source} of {@link Sample}s.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';
import type { Json, PassContext, Positioned, Source } from '../dataset/source.js';
import type { OnError, Sample, Skip } from '../sample.js';
import { parseId } from './fields.js';
import { followInside, readItemTxt } from './item-files.js';
import { isLabel, labelId } from './labels.js';
import {
  compareItemNames,
  compareNames,
  MEDIA_KINDS,
  type MediaKind,
  plainFileNames,
  urlFileName,
} from './naming.js';

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
 * The position of a layout source: the label folder and the item folder name (as on disk, zero padding
 * included) of the last element produced. Item folders are ordered by numeric value, label folders by name.
 *
 * @example
 * ```ts
 * const position: LayoutPosition = { label: 'Beach', id: '99945958' };
 * ```
 */
export type LayoutPosition = { label: string; id: string };

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

/** A problem with one item (or label folder): a skip in the making. */
class ItemProblem {
  constructor(
    readonly code: ReelsetErrorCode,
    readonly reason: string,
    readonly cause?: unknown,
  ) {}
}

/** The id of an item folder name, or undefined when the name is not one. */
function idOf(name: string): string | undefined {
  try {
    return parseId(name);
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

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

/** What an item folder holds: the path of each file found (absolute, as listed) and the path to open. */
interface Found {
  listed: string;
  openPath: string;
}

class LayoutSourceImpl implements LayoutSource {
  readonly name = 'Layout';
  readonly root: string;
  readonly #require: ReadonlySet<MediaKind>;
  readonly #labels: ReadonlySet<string> | undefined;
  readonly #onError: OnError;
  readonly #onSkip: ((skip: Skip) => void) | undefined;
  #skips: Skip[] = [];

  constructor(root: string, options: LayoutOptions) {
    if (typeof root !== 'string' || root === '') {
      throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', 'The root must be a non-empty path');
    }
    this.root = path.resolve(root);
    const required = options.require ?? ['txt'];
    if (!Array.isArray(required) || required.some((kind) => !MEDIA_KINDS.includes(kind))) {
      throw new ReelsetError(
        'REELSET_E_INVALID_ARGUMENT',
        `require lists files among 'txt', 'jpeg', 'mp4', got ${JSON.stringify(required)}`,
      );
    }
    this.#require = new Set(required);
    if (options.labels !== undefined) {
      if (!Array.isArray(options.labels) || options.labels.length === 0) {
        throw new ReelsetError(
          'REELSET_E_INVALID_ARGUMENT',
          'labels must be a non-empty array of label names',
        );
      }
      for (const label of options.labels) labelId(label);
      this.#labels = new Set(options.labels);
    }
    const onError = options.onError ?? 'skip';
    if (onError !== 'skip' && onError !== 'throw') {
      throw new ReelsetError(
        'REELSET_E_INVALID_ARGUMENT',
        `onError is 'skip' or 'throw', got ${String(onError)}`,
      );
    }
    this.#onError = onError;
    if (options.onSkip !== undefined && typeof options.onSkip !== 'function') {
      throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', 'onSkip must be a function');
    }
    this.#onSkip = options.onSkip;
  }

  get skips(): readonly Skip[] {
    return this.#skips;
  }

  open(position: Json | undefined, _ctx: PassContext): AsyncIterable<Positioned<Sample>> {
    return this.#pass(position);
  }

  async *#pass(position: Json | undefined): AsyncGenerator<Positioned<Sample>> {
    const start = parsePosition(position);
    const skips: Skip[] = [];
    this.#skips = skips;
    const record = (where: string, id: string | undefined, problem: ItemProblem): void => {
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

    let entries: Dirent[];
    let rootReal: string;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
      rootReal = await realpath(this.root);
    } catch (err) {
      throw new ReelsetError(
        'REELSET_E_NOT_FOUND',
        `The data set root ${this.root} is not a readable folder (${errorCode(err) ?? messageOf(err)})`,
        { cause: err },
      );
    }
    entries.sort((a, b) => compareNames(a.name, b.name));

    for (const entry of entries) {
      const label = entry.name;
      if (start !== undefined && label < start.label) continue;
      if (this.#labels !== undefined && !this.#labels.has(label)) continue;
      const labelDir = path.join(this.root, label);
      // A problem with the label folder itself comes before its items: resuming inside it, it is not repeated.
      const resumingHere = start !== undefined && label === start.label;
      if (!entry.isDirectory()) {
        if (!entry.isSymbolicLink()) continue; // files at the root (multimodal_data_info.json...) are not labels
        const target = await followInside(labelDir, rootReal);
        if (target === 'broken' || (typeof target === 'object' && !target.stats.isDirectory())) continue;
        if (target === 'escapes') {
          if (resumingHere) continue;
          record(
            labelDir,
            undefined,
            new ItemProblem('REELSET_E_BAD_ITEM', 'a symbolic link that leaves the root'),
          );
          continue;
        }
      }
      if (!isLabel(label)) {
        if (resumingHere) continue;
        record(
          labelDir,
          undefined,
          new ItemProblem(
            'REELSET_E_UNKNOWN_LABEL',
            `the folder ${JSON.stringify(label)} is not one of the 31 labels`,
          ),
        );
        continue;
      }
      let items: Dirent[];
      try {
        items = await readdir(labelDir, { withFileTypes: true });
      } catch (err) {
        const code = errorCode(err) === 'ENOENT' ? 'REELSET_E_NOT_FOUND' : 'REELSET_E_BAD_ITEM';
        record(
          labelDir,
          undefined,
          new ItemProblem(code, `cannot list the label folder: ${messageOf(err)}`, err),
        );
        continue;
      }
      items.sort((a, b) => compareItemNames(a.name, b.name));
      const after = resumingHere ? start.id : undefined;
      const id = labelId(label);
      for (const item of items) {
        if (after !== undefined && compareItemNames(item.name, after) <= 0) continue;
        const itemDir = path.join(labelDir, item.name);
        const result = await this.#readItem(label, id, itemDir, item, rootReal);
        if (result instanceof ItemProblem) {
          record(itemDir, idOf(item.name), result);
        } else {
          yield { value: result, position: { label, id: item.name } };
        }
      }
    }
  }

  /** Reads one item folder into a sample, or says what is wrong with it. */
  async #readItem(
    label: string,
    labelIdValue: number,
    itemDir: string,
    item: Dirent,
    rootReal: string,
  ): Promise<Sample | ItemProblem> {
    const name = item.name;
    let id: string;
    try {
      id = parseId(name);
    } catch {
      return new ItemProblem(
        'REELSET_E_BAD_ITEM',
        `the folder name ${JSON.stringify(name)} is not an mp4_id (1-12 digits)`,
      );
    }
    if (!item.isDirectory()) {
      if (!item.isSymbolicLink()) return new ItemProblem('REELSET_E_BAD_ITEM', 'not a folder');
      const target = await followInside(itemDir, rootReal);
      if (target === 'escapes')
        return new ItemProblem('REELSET_E_BAD_ITEM', 'a symbolic link that leaves the root');
      if (target === 'broken') return new ItemProblem('REELSET_E_BAD_ITEM', 'a broken symbolic link');
      if (!target.stats.isDirectory()) return new ItemProblem('REELSET_E_BAD_ITEM', 'not a folder');
    }

    let files: Map<string, Dirent>;
    try {
      files = new Map((await readdir(itemDir, { withFileTypes: true })).map((file) => [file.name, file]));
    } catch (err) {
      const code = errorCode(err) === 'ENOENT' ? 'REELSET_E_NOT_FOUND' : 'REELSET_E_BAD_ITEM';
      return new ItemProblem(code, `cannot list the item folder: ${messageOf(err)}`, err);
    }

    const candidates: Record<MediaKind, string[]> = {
      txt: plainFileNames(name, id, 'txt'),
      jpeg: [...plainFileNames(name, id, 'jpeg'), urlFileName(id, 'jpeg')],
      mp4: [...plainFileNames(name, id, 'mp4'), urlFileName(id, 'mp4')],
    };
    const found: Partial<Record<MediaKind, Found>> = {};
    for (const kind of MEDIA_KINDS) {
      for (const candidate of candidates[kind]) {
        const file = files.get(candidate);
        if (file === undefined) continue;
        const listed = path.join(itemDir, candidate);
        if (file.isFile()) {
          found[kind] = { listed, openPath: listed };
        } else if (file.isSymbolicLink()) {
          const target = await followInside(listed, rootReal);
          if (target === 'escapes') {
            return new ItemProblem(
              'REELSET_E_BAD_ITEM',
              `${candidate} is a symbolic link that leaves the root`,
            );
          }
          if (target !== 'broken' && target.stats.isFile()) found[kind] = { listed, openPath: target.real };
        }
        if (found[kind] !== undefined) break;
      }
    }

    const missing = MEDIA_KINDS.filter((kind) => this.#require.has(kind) && found[kind] === undefined);
    if (missing.length > 0) {
      const names = missing.map((kind) => `${kind} (${candidates[kind].join(' or ')})`);
      return new ItemProblem('REELSET_E_MISSING_MEDIA', `missing ${names.join(', ')}`);
    }

    let brief = '';
    let durationSec: number | null = null;
    if (found.txt !== undefined) {
      const meta = await readItemTxt(found.txt.openPath, id);
      if (!meta.ok) return new ItemProblem(meta.code, meta.reason, meta.cause);
      ({ brief, durationSec } = meta);
    }

    const source: Sample['source'] = {};
    for (const kind of MEDIA_KINDS) {
      const file = found[kind];
      if (file !== undefined) source[kind] = file.listed;
    }
    return { id, label, labelId: labelIdValue, brief, durationSec, source };
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
 * folders, files) are followed only when their target stays inside the root; one that leaves it is skipped
 * (`REELSET_E_BAD_ITEM`); a broken one counts as absent.
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
