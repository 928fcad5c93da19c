/**
 * @module root-hint — recognises a data set root given one or two levels too deep (a label folder such as
 * `data/Beach`, or an item folder such as `data/Beach/12`) and says which folder was meant.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { closestLabel, isLabel } from './labels.js';

const ITEM_FILE = /^(?:[0-9]+\.(?:txt|jpeg|jpg|mp4)|[0-9]{9}_(?:iconl\.jpeg|main_xl\.mp4))$/;
const DIGITS = /^[0-9]+$/;

/** The folder `levels` above `root`, shown as the root was given (relative stays relative). */
function parentOf(root: string, levels: number): string {
  const normal = path.normalize(root.replace(/[/\\]+$/, '') || root);
  const segments = normal.split(/[/\\]/);
  if (
    normal === '.' ||
    segments.slice(-levels).includes('..') ||
    (!path.isAbsolute(normal) && segments.length < levels)
  ) {
    return path.resolve(normal, ...Array<string>(levels).fill('..'));
  }
  let up = normal;
  for (let i = 0; i < levels; i++) up = path.dirname(up);
  return up;
}

/**
 * A hint when `root` looks like a label folder or an item folder rather than a data set root, else
 * undefined. Only a folder with no label folder in it gets one (a real root never does):
 *
 * - a label folder: its name is a label (or close to one), or its folders are item ids
 *   (`data/Beach looks like a label folder ...: did you mean data?`);
 * - an item folder: it holds an item's files (`12.txt`, `12.mp4`, `000000012_main_xl.mp4`, ...).
 *
 * Reads the folder's listing; an unreadable or missing folder gives undefined (the caller reports that).
 *
 * @example
 * ```ts
 * await layoutRootHint('data/Beach');
 * // 'data/Beach looks like a label folder, not a data set root (...): did you mean data?'
 * await layoutRootHint('data'); // undefined
 * ```
 */
export async function layoutRootHint(root: string): Promise<string | undefined> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const folders = entries.filter((entry) => entry.isDirectory() || entry.isSymbolicLink());
  if (folders.some((entry) => isLabel(entry.name))) return undefined;
  const name = path.basename(path.resolve(root));
  const itemFiles = entries.filter((entry) => !entry.isDirectory() && ITEM_FILE.test(entry.name));
  if (itemFiles.length > 0 && (DIGITS.test(name) || folders.length === 0)) {
    const grand = parentOf(root, 2);
    return `${root} looks like an item folder (it holds ${itemFiles
      .slice(0, 2)
      .map((entry) => entry.name)
      .join(', ')}), not a data set root: did you mean ${grand}?`;
  }
  const idFolders = folders.filter((entry) => DIGITS.test(entry.name)).length;
  const labelName = isLabel(name) ? name : closestLabel(name);
  if (idFolders > 0 && (labelName !== undefined || idFolders * 2 >= folders.length)) {
    const what =
      labelName !== undefined ? `the label folder of ${JSON.stringify(labelName)}` : 'a label folder';
    return `${root} looks like ${what}, not a data set root (its folders are item ids, none is one of the 31 labels): did you mean ${parentOf(root, 1)}?`;
  }
  return undefined;
}
