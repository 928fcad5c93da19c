/**
 * @module listing — walks the original's on-disk layout for the tools (stats, check, preview): label folders,
 * item folders and their files under either naming, and the `.txt` read safely. Unlike `layoutSource`, it
 * drops nothing: every item comes back with what it has and what is wrong with it.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';
import { parseId } from './fields.js';
import { followInside } from './item-files.js';
import { isLabel, labelId } from './labels.js';
import type { MediaKind } from './naming.js';
import { compareItemNames, compareNames, MEDIA_KINDS, plainFileNames, urlFileName } from './naming.js';

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
 * A problem found while listing: its code (one of `ERROR_CODES`), what it concerns and why.
 *
 * @example
 * ```ts
 * const problem: ListingProblem = { kind: 'folder', code: 'REELSET_E_BAD_ITEM', reason: 'not a folder' };
 * ```
 */
export interface ListingProblem {
  kind: ProblemKind;
  code: ReelsetErrorCode;
  reason: string;
}

/**
 * A file of an item: its name in the folder, full path, size in bytes, and whether it is named after its
 * download URL (`<id9>_iconl.jpeg`, `<id9>_main_xl.mp4`).
 *
 * @example
 * ```ts
 * const file: ListedFile = { name: '12.jpeg', path: 'data/Beach/12/12.jpeg', size: 40213, urlNamed: false };
 * ```
 */
export interface ListedFile {
  name: string;
  path: string;
  size: number;
  urlNamed: boolean;
}

/**
 * An entry of a label folder, before its folder is read: see {@link describeItem}.
 *
 * @example
 * ```ts
 * for await (const entry of listItemEntries('data')) console.log(entry.label, entry.name);
 * ```
 */
export interface ItemEntry {
  /** The label folder name (one of the 31 labels). */
  label: string;
  labelId: number;
  /** The entry's name in the label folder (an mp4_id for a good item). */
  name: string;
  /** `<root>/<label>/<name>`. */
  dir: string;
  /** The real path of the root, for symbolic link checks. */
  rootReal: string;
  dirent: Dirent;
}

/**
 * An item folder as found on disk: the file of each kind that the layout reads (`<name>.*`, else `<id>.*`,
 * else the URL name), URL-named copies lying beside a `<id>.*` file (`duplicates`), and the problems of the
 * folder itself (kind `folder`: a name that is not an mp4_id, not a folder, a link leaving the root,
 * unreadable; then no file is listed) or of a file (a symbolic link leaving the root: the file is left out).
 *
 * @example
 * ```ts
 * const item = await describeItem(entry);
 * if (item.problems.length === 0 && item.files.mp4) console.log(item.id, item.files.mp4.size);
 * ```
 */
export interface ListedItem {
  label: string;
  labelId: number;
  name: string;
  dir: string;
  /** The mp4_id (no leading zeros), or undefined when the folder name is not one. */
  id: string | undefined;
  files: Partial<Record<MediaKind, ListedFile>>;
  duplicates: Partial<Record<MediaKind, ListedFile>>;
  problems: ListingProblem[];
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * {@link followInside}, except that a link to the root itself counts as leaving it, as the tools have
 * always reported it.
 */
async function followStrictlyInside(linkPath: string, rootReal: string): ReturnType<typeof followInside> {
  const target = await followInside(linkPath, rootReal);
  return typeof target === 'object' && target.real === rootReal ? 'escapes' : target;
}

/**
 * Lists the item folders of a layout root, one label folder at a time (label folders in name order, items
 * in numeric order, as `openDataset`), without reading them. Folders at the root that are not one of the
 * 31 labels, and label folders that cannot be listed, go to `onFolderProblem`; files at the root are
 * ignored. Memory holds one label folder's listing (about 20,000 names for the real data).
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when the root is not a readable folder.
 * @example
 * ```ts
 * for await (const entry of listItemEntries('data', { labels: ['Beach'] })) console.log(entry.dir);
 * ```
 */
export async function* listItemEntries(
  root: string,
  options: {
    labels?: readonly string[];
    onFolderProblem?: (dir: string, label: string, problem: ListingProblem) => void;
  } = {},
): AsyncGenerator<ItemEntry> {
  let entries: Dirent[];
  let rootReal: string;
  try {
    entries = await readdir(root, { withFileTypes: true });
    rootReal = await realpath(root);
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `The data set root ${root} is not a readable folder`, {
      cause: err,
    });
  }
  const wanted = options.labels === undefined ? undefined : new Set(options.labels);
  for (const label of options.labels ?? []) labelId(label);
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const label = entry.name;
    if (wanted !== undefined && !wanted.has(label)) continue;
    const labelDir = path.join(root, label);
    if (!entry.isDirectory()) {
      if (!entry.isSymbolicLink()) continue;
      const target = await followStrictlyInside(labelDir, rootReal);
      if (target === 'broken' || (typeof target === 'object' && !target.stats.isDirectory())) continue;
      if (target === 'escapes') {
        options.onFolderProblem?.(labelDir, label, {
          kind: 'folder',
          code: 'REELSET_E_BAD_ITEM',
          reason: 'a symbolic link that leaves the root',
        });
        continue;
      }
    }
    if (!isLabel(label)) {
      options.onFolderProblem?.(labelDir, label, {
        kind: 'folder',
        code: 'REELSET_E_UNKNOWN_LABEL',
        reason: `the folder ${JSON.stringify(label)} is not one of the 31 labels`,
      });
      continue;
    }
    let items: Dirent[];
    try {
      items = await readdir(labelDir, { withFileTypes: true });
    } catch (err) {
      options.onFolderProblem?.(labelDir, label, {
        kind: 'folder',
        code: 'REELSET_E_BAD_ITEM',
        reason: `cannot list the label folder: ${messageOf(err)}`,
      });
      continue;
    }
    items.sort((a, b) => compareItemNames(a.name, b.name));
    const id = labelId(label);
    for (const dirent of items) {
      yield {
        label,
        labelId: id,
        name: dirent.name,
        dir: path.join(labelDir, dirent.name),
        rootReal,
        dirent,
      };
    }
  }
}

/**
 * Reads an item folder: which files it has under which name (the layout's rules: `<name>.*`, then
 * `<id>.*`, then the URL name), their sizes, URL-named duplicates, and the folder's own problems.
 * Symbolic links count only when their target stays inside the root.
 *
 * @example
 * ```ts
 * for await (const entry of listItemEntries('data')) {
 *   const item = await describeItem(entry);
 *   console.log(item.id, Object.keys(item.files));
 * }
 * ```
 */
export async function describeItem(entry: ItemEntry): Promise<ListedItem> {
  const { label, labelId: lid, name, dir, dirent, rootReal } = entry;
  const item: ListedItem = {
    label,
    labelId: lid,
    name,
    dir,
    id: undefined,
    files: {},
    duplicates: {},
    problems: [],
  };
  const fail = (reason: string): ListedItem => {
    item.problems.push({ kind: 'folder', code: 'REELSET_E_BAD_ITEM', reason });
    return item;
  };
  try {
    item.id = parseId(name);
  } catch {
    return fail(`the folder name ${JSON.stringify(name)} is not an mp4_id (1-12 digits)`);
  }
  if (!dirent.isDirectory()) {
    if (!dirent.isSymbolicLink()) return fail('not a folder');
    const target = await followStrictlyInside(dir, rootReal);
    if (target === 'escapes') return fail('a symbolic link that leaves the root');
    if (target === 'broken') return fail('a broken symbolic link');
    if (!target.stats.isDirectory()) return fail('not a folder');
  }
  let files: Map<string, Dirent>;
  try {
    files = new Map((await readdir(dir, { withFileTypes: true })).map((file) => [file.name, file]));
  } catch (err) {
    return fail(`cannot list the item folder: ${messageOf(err)}`);
  }
  const id = item.id;
  const present = async (
    kind: MediaKind,
    fileName: string,
    urlNamed: boolean,
  ): Promise<ListedFile | undefined> => {
    const file = files.get(fileName);
    if (file === undefined) return undefined;
    const filePath = path.join(dir, fileName);
    if (file.isSymbolicLink()) {
      const target = await followStrictlyInside(filePath, rootReal);
      if (target === 'escapes') {
        item.problems.push({
          kind,
          code: 'REELSET_E_BAD_ITEM',
          reason: `${fileName} is a symbolic link that leaves the root`,
        });
        return undefined;
      }
      if (target === 'broken' || !target.stats.isFile()) return undefined;
    } else if (!file.isFile()) {
      return undefined;
    }
    const size = (await stat(filePath)).size;
    return { name: fileName, path: filePath, size, urlNamed };
  };
  for (const kind of MEDIA_KINDS) {
    for (const candidate of plainFileNames(name, id, kind)) {
      const found = await present(kind, candidate, false);
      if (found) {
        item.files[kind] = found;
        break;
      }
    }
    if (kind === 'txt') continue;
    const url = await present(kind, urlFileName(id, kind), true);
    if (url === undefined) continue;
    if (item.files[kind] === undefined) item.files[kind] = url;
    else item.duplicates[kind] = url;
  }
  return item;
}
