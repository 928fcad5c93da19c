/**
 * @module naming — the naming rules of the original's on-disk layout: the order of label and item folders,
 * the names an item's files may have, and the original's URL names (`<id9>_iconl.jpeg`, `<id9>_main_xl.mp4`).
 */
import { invalidArgument } from '../../util/options.js';
import { paddedId } from './fields.js';

/**
 * One of the three files of an item: the metadata `.txt`, the cover `.jpeg` and the clip `.mp4`.
 *
 * @example
 * ```ts
 * const kinds: MediaKind[] = ['txt', 'mp4'];
 * ```
 */
export type MediaKind = 'txt' | 'jpeg' | 'mp4';

const DIGITS = /^[0-9]+$/;

/**
 * The three kinds of item files, in the layout's order.
 *
 * @example
 * ```ts
 * for (const kind of MEDIA_KINDS) console.log(kind); // txt, jpeg, mp4
 * ```
 */
export const MEDIA_KINDS: readonly MediaKind[] = Object.freeze(['txt', 'jpeg', 'mp4']);

/**
 * Checks an option that lists item files (such as `require`). Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` unless it is an array of `'txt'`, `'jpeg'`, `'mp4'`.
 * @example
 * ```ts
 * checkMediaKinds('require', ['txt', 'mp4']); // ['txt', 'mp4']
 * ```
 */
export function checkMediaKinds(name: string, value: unknown): readonly MediaKind[] {
  if (!Array.isArray(value) || value.some((kind) => !MEDIA_KINDS.includes(kind))) {
    throw invalidArgument(`${name} lists files among 'txt', 'jpeg', 'mp4', got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Plain code-unit order: the order of Python's `sorted` on these names, and of the label ids.
 *
 * @example
 * ```ts
 * ['City', 'Beach'].sort(compareNames); // ['Beach', 'City']
 * ```
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order of item folders: all-digit names first by numeric value (then as text), then any other names
 * as text.
 *
 * @example
 * ```ts
 * ['12', 'x', '012', '5'].sort(compareItemNames); // ['5', '012', '12', 'x']
 * ```
 */
export function compareItemNames(a: string, b: string): number {
  const aDigits = DIGITS.test(a);
  const bDigits = DIGITS.test(b);
  if (aDigits !== bDigits) return aDigits ? -1 : 1;
  if (aDigits) {
    const aValue = a.replace(/^0+/, '');
    const bValue = b.replace(/^0+/, '');
    if (aValue.length !== bValue.length) return aValue.length - bValue.length;
    const byValue = compareNames(aValue, bValue);
    if (byValue !== 0) return byValue;
  }
  return compareNames(a, b);
}

/**
 * The name a file of an item has straight after download, as in its URL: `<id9>_iconl.jpeg`,
 * `<id9>_main_xl.mp4` (the `.txt` has none).
 *
 * @example
 * ```ts
 * urlFileName('99945958', 'mp4'); // '099945958_main_xl.mp4'
 * ```
 */
export function urlFileName(id: string, kind: 'jpeg' | 'mp4'): string {
  return kind === 'jpeg' ? `${paddedId(id)}_iconl.jpeg` : `${paddedId(id)}_main_xl.mp4`;
}

/**
 * The plain names a file of an item folder may have, preferred first and without repeats: `<folder>.<kind>`,
 * then `<id>.<kind>` (they differ when the folder name has leading zeros). The URL name
 * ({@link urlFileName}) comes after these.
 *
 * @example
 * ```ts
 * plainFileNames('012', '12', 'mp4'); // ['012.mp4', '12.mp4']
 * ```
 */
export function plainFileNames(folder: string, id: string, kind: MediaKind): string[] {
  return [...new Set([`${folder}.${kind}`, `${id}.${kind}`])];
}

/**
 * The original download URL of a clip: `https://p5-v1.xpccdn.com/{id:09d}_main_xl.mp4`.
 *
 * @example
 * ```ts
 * originalMp4Url('99945958'); // 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4'
 * ```
 */
export function originalMp4Url(id: string): string {
  return `https://p5-v1.xpccdn.com/${urlFileName(id, 'mp4')}`;
}

/**
 * The original download URL of a cover: `https://p5-i1.xpccdn.com/{id:09d}_iconl.jpeg`.
 *
 * @example
 * ```ts
 * originalCoverUrl('99945958'); // 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg'
 * ```
 */
export function originalCoverUrl(id: string): string {
  return `https://p5-i1.xpccdn.com/${urlFileName(id, 'jpeg')}`;
}
