/**
 * @module scan — the one walker of the on-disk layout, shared by `layoutSource` and the tools (one link rule).
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { messageOf, ReelsetError, type ReelsetErrorCode } from '../../errors.js';
import { parseId } from './fields.js';
import { isLabel, labelId, unknownLabelText } from './labels.js';
import {
  compareItemNames,
  compareNames,
  MEDIA_KINDS,
  type MediaKind,
  plainFileNames,
  urlFileName,
} from './naming.js';

/**
 * What a problem concerns: one of the item's files, or the folder itself (a bad name, an unknown label).
 *
 * @example
 * ```ts
 * const kind: ProblemKind = 'folder';
 * ```
 */
export type ProblemKind = MediaKind | 'folder';

/**
 * A problem found by the scan: its code (one of `ERROR_CODES`), what it concerns, why, and the error behind
 * it when there is one.
 *
 * @example
 * ```ts
 * const problem: ScanProblem = { kind: 'folder', code: 'REELSET_E_BAD_ITEM', reason: 'not a folder' };
 * ```
 */
export interface ScanProblem {
  kind: ProblemKind;
  code: ReelsetErrorCode;
  reason: string;
  cause?: unknown;
}

/**
 * A place in the scan, and the position of a `layoutSource` sample: a label folder and an item folder name
 * in it (as on disk, zero padding included). Label folders are ordered by name, item folders by numeric
 * value.
 *
 * @example
 * ```ts
 * const position: LayoutPosition = { label: 'Beach', id: '99945958' };
 * ```
 */
export type LayoutPosition = { label: string; id: string };

/**
 * Options of {@link scanLayout}.
 *
 * @example
 * ```ts
 * const options: ScanOptions = { labels: ['Beach'], after: { label: 'Beach', id: '12' } };
 * ```
 */
export interface ScanOptions {
  /** Only these label folders (English names, exact case). Default: every label folder. */
  labels?: readonly string[];
  /**
   * Start right after this item: label folders before `after.label` are not listed, and the problems of
   * the label folder `after.label` found at the root (unknown label, link leaving the root) are not
   * reported again.
   */
  after?: LayoutPosition;
}

/**
 * An entry of a label folder, before it is read (see {@link readItemFolder}).
 *
 * @example
 * ```ts
 * for await (const entry of scanLayout('data')) if (entry.type === 'item') console.log(entry.dir);
 * ```
 */
export interface ItemEntry {
  type: 'item';
  /** The label folder's name (one of the 31 labels). */
  label: string;
  labelId: number;
  /** The entry's name in the label folder (an mp4_id for a good item). */
  name: string;
  /** `<root>/<label>/<name>`. */
  dir: string;
  /** The real path of the root, for the link rule. */
  rootReal: string;
  dirent: Dirent;
}

/**
 * A folder at the root whose items cannot be listed, and why: not one of the 31 labels, a symbolic link
 * leaving the root, or a label folder that cannot be listed.
 *
 * @example
 * ```ts
 * const entry: FolderProblem = {
 *   type: 'problem', label: 'Cats', dir: 'data/Cats',
 *   problem: { kind: 'folder', code: 'REELSET_E_UNKNOWN_LABEL', reason: 'not one of the 31 labels' },
 * };
 * ```
 */
export interface FolderProblem {
  type: 'problem';
  /** The folder's name at the root. */
  label: string;
  dir: string;
  problem: ScanProblem;
}

/**
 * What {@link scanLayout} yields: an item entry, or a problem with a folder at the root.
 *
 * @example
 * ```ts
 * const describe = (entry: ScanEntry): string =>
 *   entry.type === 'item' ? entry.dir : `${entry.dir}: ${entry.problem.reason}`;
 * ```
 */
export type ScanEntry = ItemEntry | FolderProblem;

/**
 * A file of an item: its name in the folder, its path as listed, the path to open (for a symbolic link,
 * its resolved target, checked to lie inside the root), whether it is named after its download URL
 * (`<id9>_iconl.jpeg`, `<id9>_main_xl.mp4`), and its size in bytes when asked for.
 *
 * @example
 * ```ts
 * const file: ItemFile = {
 *   name: '12.jpeg', path: 'data/Beach/12/12.jpeg', openPath: 'data/Beach/12/12.jpeg', urlNamed: false,
 * };
 * ```
 */
export interface ItemFile {
  name: string;
  path: string;
  openPath: string;
  urlNamed: boolean;
  /** In bytes; only with `sizes: true`. */
  size?: number;
}

/**
 * An item folder as found on disk: the file of each kind (`<name>.*`, else `<id>.*`, else the URL name),
 * URL-named copies lying beside a plain one (`duplicates`), and the problems: of the folder itself (kind
 * `folder`: a name that is not an mp4_id, not a folder, a link leaving the root, unlistable; then no file
 * is listed) or of a file (a symbolic link leaving the root: that file is left out).
 *
 * @example
 * ```ts
 * const item = await readItemFolder(entry);
 * if (item.problems.length === 0 && item.files.mp4) console.log(item.id, item.files.mp4.openPath);
 * ```
 */
export interface ScannedItem {
  label: string;
  labelId: number;
  name: string;
  dir: string;
  /** The mp4_id (no leading zeros), or undefined when the folder name is not one. */
  id: string | undefined;
  files: Partial<Record<MediaKind, ItemFile>>;
  duplicates: Partial<Record<MediaKind, ItemFile>>;
  problems: ScanProblem[];
}

const LEAVES_ROOT = 'a symbolic link that leaves the root';

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** A folder problem for a folder that cannot be listed: `REELSET_E_NOT_FOUND` when it has vanished. */
function unlistable(what: string, err: unknown): ScanProblem {
  const code = errorCode(err) === 'ENOENT' ? 'REELSET_E_NOT_FOUND' : 'REELSET_E_BAD_ITEM';
  return { kind: 'folder', code, reason: `cannot list the ${what}: ${messageOf(err)}`, cause: err };
}

/** True when `real` (a resolved path) lies strictly below `rootReal`: the root itself is not inside. */
function isBelow(real: string, rootReal: string): boolean {
  const relative = path.relative(rootReal, real);
  const up = relative === '..' || relative.startsWith(`..${path.sep}`);
  return relative !== '' && !up && !path.isAbsolute(relative);
}

/**
 * The link rule, the same for label folders, item folders and files: a symbolic link is followed only when
 * its target lies strictly below the root. A link to the root itself counts as leaving it (it would make
 * the root its own label or item folder). Returns the target's resolved path and stats, `'escapes'`, or
 * `'broken'` when it points nowhere.
 */
async function followLink(
  linkPath: string,
  rootReal: string,
): Promise<{ real: string; stats: Stats } | 'escapes' | 'broken'> {
  let real: string;
  try {
    real = await realpath(linkPath);
  } catch {
    return 'broken';
  }
  if (!isBelow(real, rootReal)) return 'escapes';
  try {
    return { real, stats: await stat(real) };
  } catch {
    return 'broken';
  }
}

/**
 * The names a file of an item folder may have, preferred first: `<folder>.<kind>`, then `<id>.<kind>`
 * (they differ when the folder name has leading zeros), then for media the URL name.
 *
 * @example
 * ```ts
 * itemFileNames('012', '12', 'mp4'); // ['012.mp4', '12.mp4', '000000012_main_xl.mp4']
 * ```
 */
export function itemFileNames(folder: string, id: string, kind: MediaKind): string[] {
  const plain = plainFileNames(folder, id, kind);
  return kind === 'txt' ? plain : [...plain, urlFileName(id, kind)];
}

/**
 * Lists the root: its label folders in name order (files at the root, such as
 * `multimodal_data_info.json`, are ignored), then one label folder at a time its entries in numeric order,
 * without reading them. A folder that is not one of the 31 labels, a symbolic link leaving the root (see
 * the link rule at {@link readItemFolder}) and a label folder that cannot be listed come as a
 * {@link FolderProblem}, in their place in the order. Memory holds one label folder's listing (about 20,000
 * names for the real data).
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when the root is not a readable folder;
 *   `REELSET_E_UNKNOWN_LABEL` for an unknown name in `labels` (both on the first `next()`).
 * @example
 * ```ts
 * for await (const entry of scanLayout('data', { labels: ['Beach'] })) {
 *   if (entry.type === 'problem') console.log(entry.dir, entry.problem.reason);
 *   else console.log(entry.dir);
 * }
 * ```
 */
export async function* scanLayout(root: string, options: ScanOptions = {}): AsyncGenerator<ScanEntry> {
  for (const label of options.labels ?? []) labelId(label);
  const wanted = options.labels === undefined ? undefined : new Set(options.labels);
  const after = options.after;
  let labels: Dirent[];
  let rootReal: string;
  try {
    labels = await readdir(root, { withFileTypes: true });
    rootReal = await realpath(root);
  } catch (err) {
    throw new ReelsetError(
      'REELSET_E_NOT_FOUND',
      `The data set root ${root} is not a readable folder (${errorCode(err) ?? messageOf(err)})`,
      { cause: err },
    );
  }
  labels.sort((a, b) => compareNames(a.name, b.name));
  for (const dirent of labels) {
    const label = dirent.name;
    if (after !== undefined && compareNames(label, after.label) < 0) continue;
    if (wanted !== undefined && !wanted.has(label)) continue;
    const dir = path.join(root, label);
    const problem = await labelFolderProblem(dirent, dir, rootReal);
    if (problem === 'ignore') continue;
    const resumingHere = after !== undefined && label === after.label;
    if (problem !== undefined) {
      if (!resumingHere) yield { type: 'problem', label, dir, problem };
      continue;
    }
    let items: Dirent[];
    try {
      items = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      yield { type: 'problem', label, dir, problem: unlistable('label folder', err) };
      continue;
    }
    items.sort((a, b) => compareItemNames(a.name, b.name));
    const id = labelId(label);
    for (const item of items) {
      if (resumingHere && compareItemNames(item.name, after.id) <= 0) continue;
      const itemDir = path.join(dir, item.name);
      yield { type: 'item', label, labelId: id, name: item.name, dir: itemDir, rootReal, dirent: item };
    }
  }
}

/**
 * What is wrong with an entry of the root as a label folder: `'ignore'` for a file or a link to one (or a
 * broken link), a problem for a link leaving the root or a name that is not a label, else undefined.
 */
async function labelFolderProblem(
  dirent: Dirent,
  dir: string,
  rootReal: string,
): Promise<ScanProblem | 'ignore' | undefined> {
  if (!dirent.isDirectory()) {
    if (!dirent.isSymbolicLink()) return 'ignore';
    const target = await followLink(dir, rootReal);
    if (target === 'escapes') return { kind: 'folder', code: 'REELSET_E_BAD_ITEM', reason: LEAVES_ROOT };
    if (target === 'broken' || !target.stats.isDirectory()) return 'ignore';
  }
  if (isLabel(dirent.name)) return undefined;
  return {
    kind: 'folder',
    code: 'REELSET_E_UNKNOWN_LABEL',
    reason: `the folder ${unknownLabelText(dirent.name)} is not one of the 31 labels`,
  };
}

/** Why an item entry is not a folder to read (a file, a link leaving the root or broken), or undefined. */
async function notAFolder(entry: ItemEntry): Promise<string | undefined> {
  if (entry.dirent.isDirectory()) return undefined;
  if (!entry.dirent.isSymbolicLink()) return 'not a folder';
  const target = await followLink(entry.dir, entry.rootReal);
  if (target === 'escapes') return LEAVES_ROOT;
  if (target === 'broken') return 'a broken symbolic link';
  return target.stats.isDirectory() ? undefined : 'not a folder';
}

/**
 * One file of an item folder under one name: the file, a problem (a link leaving the root), or undefined
 * when it is absent (not there, not a file, a broken link).
 */
async function itemFile(
  entry: ItemEntry,
  files: ReadonlyMap<string, Dirent>,
  name: string,
  urlNamed: boolean,
  sizes: boolean,
): Promise<ItemFile | string | undefined> {
  const dirent = files.get(name);
  if (dirent === undefined) return undefined;
  const filePath = path.join(entry.dir, name);
  if (dirent.isFile()) {
    const file: ItemFile = { name, path: filePath, openPath: filePath, urlNamed };
    if (sizes) file.size = (await stat(filePath)).size;
    return file;
  }
  if (!dirent.isSymbolicLink()) return undefined;
  const target = await followLink(filePath, entry.rootReal);
  if (target === 'escapes') return `${name} is ${LEAVES_ROOT}`;
  if (target === 'broken' || !target.stats.isFile()) return undefined;
  const file: ItemFile = { name, path: filePath, openPath: target.real, urlNamed };
  if (sizes) file.size = target.stats.size;
  return file;
}

/**
 * Reads an item folder: which file of each kind it has under which name (the layout's rules: `<name>.*`,
 * then `<id>.*`, then the URL name), URL-named copies beside a plain one, and its problems. Sizes are read
 * only with `sizes: true` (one `stat` a file). Nothing is opened.
 *
 * The link rule, everywhere (label folders, item folders, files): a symbolic link is followed only when its
 * target lies strictly below the root; one that leaves the root, or points to the root itself, is a
 * problem (`REELSET_E_BAD_ITEM`); a broken one counts as absent.
 *
 * @example
 * ```ts
 * for await (const entry of scanLayout('data')) {
 *   if (entry.type !== 'item') continue;
 *   const item = await readItemFolder(entry, { sizes: true });
 *   console.log(item.id, item.files.mp4?.size, item.problems.map((p) => p.reason));
 * }
 * ```
 */
export async function readItemFolder(
  entry: ItemEntry,
  options: { sizes?: boolean } = {},
): Promise<ScannedItem> {
  const { label, labelId: lid, name, dir } = entry;
  const id = idOf(name);
  const item: ScannedItem = { label, labelId: lid, name, dir, id, files: {}, duplicates: {}, problems: [] };
  const fail = (problem: ScanProblem): ScannedItem => {
    item.problems.push(problem);
    return item;
  };
  const badFolder = (reason: string): ScannedItem =>
    fail({ kind: 'folder', code: 'REELSET_E_BAD_ITEM', reason });
  if (id === undefined) {
    return badFolder(`the folder name ${JSON.stringify(name)} is not an mp4_id (1-12 digits)`);
  }
  const notFolder = await notAFolder(entry);
  if (notFolder !== undefined) return badFolder(notFolder);
  let files: Map<string, Dirent>;
  try {
    files = new Map((await readdir(dir, { withFileTypes: true })).map((file) => [file.name, file]));
  } catch (err) {
    return fail(unlistable('item folder', err));
  }
  for (const kind of MEDIA_KINDS) {
    const urlName = kind === 'txt' ? undefined : urlFileName(id, kind);
    for (const fileName of itemFileNames(name, id, kind)) {
      const urlNamed = fileName === urlName;
      if (!urlNamed && item.files[kind] !== undefined) continue;
      const found = await itemFile(entry, files, fileName, urlNamed, options.sizes === true);
      if (found === undefined) continue;
      if (typeof found === 'string') item.problems.push({ kind, code: 'REELSET_E_BAD_ITEM', reason: found });
      else if (item.files[kind] === undefined) item.files[kind] = found;
      else item.duplicates[kind] = found;
    }
  }
  return item;
}

/** The mp4_id an item folder name stands for, or undefined when it is not one. */
function idOf(name: string): string | undefined {
  try {
    return parseId(name);
  } catch {
    return undefined;
  }
}
