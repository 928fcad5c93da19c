/**
 * @module bad — the kinds of broken items the synthesizer can add (`bad: true`), and how each is made.
 */

/**
 * A kind of broken item:
 * - `truncated-jpeg`: the cover is cut to its first 40% of bytes (no end-of-image marker);
 * - `empty-mp4`: the clip is a zero-byte file;
 * - `missing-mp4`, `missing-jpeg`, `missing-txt`: that file is absent (the catalog still lists the item);
 * - `txt-not-dict`: the `.txt` holds a Python list, not a dict;
 * - `txt-unterminated`: the `.txt` dict's last string has no closing quote (and the dict no `}`);
 * - `id-mismatch`: the `.txt`'s `mp4_id` differs from the folder name (the catalog uses the folder's id).
 *
 * @example
 * ```ts
 * const kind: BadKind = 'truncated-jpeg';
 * ```
 */
export type BadKind =
  | 'truncated-jpeg'
  | 'empty-mp4'
  | 'missing-mp4'
  | 'missing-jpeg'
  | 'missing-txt'
  | 'txt-not-dict'
  | 'txt-unterminated'
  | 'id-mismatch';

/**
 * Every {@link BadKind}, in the order `synthesize({ bad: true })` adds them (one item each).
 *
 * @example
 * ```ts
 * for (const kind of BAD_KINDS) console.log(kind);
 * ```
 */
export const BAD_KINDS: readonly BadKind[] = Object.freeze([
  'truncated-jpeg',
  'empty-mp4',
  'missing-mp4',
  'missing-jpeg',
  'missing-txt',
  'txt-not-dict',
  'txt-unterminated',
  'id-mismatch',
]);

/**
 * The first 40% of a JPEG's bytes: a file that starts like a JPEG and cannot be decoded whole.
 *
 * @example
 * ```ts
 * const broken = truncateJpeg(await coverJpeg(8, 1));
 * ```
 */
export function truncateJpeg(jpeg: Uint8Array): Uint8Array {
  return jpeg.subarray(0, Math.max(2, Math.floor(jpeg.length * 0.4)));
}

/**
 * The text of a broken `.txt` for `kind` `txt-not-dict` (a Python list of the values) or
 * `txt-unterminated` (the dict literal without its last quote and closing brace), from the good literal's
 * entries.
 *
 * @example
 * ```ts
 * malformedTxt('txt-not-dict', "['1', 'x']", "{'a': '1', 'b': 'x'}"); // "['1', 'x']"
 * ```
 */
export function malformedTxt(
  kind: 'txt-not-dict' | 'txt-unterminated',
  listLiteral: string,
  dictLiteral: string,
): string {
  return kind === 'txt-not-dict' ? listLiteral : dictLiteral.slice(0, -2);
}

/**
 * Whether a bad kind leaves out a file: which of `txt`, `jpeg`, `mp4` is not written.
 *
 * @example
 * ```ts
 * missingFile('missing-mp4'); // 'mp4'
 * missingFile('empty-mp4'); // undefined
 * ```
 */
export function missingFile(kind: BadKind | undefined): 'txt' | 'jpeg' | 'mp4' | undefined {
  if (kind === 'missing-txt') return 'txt';
  if (kind === 'missing-jpeg') return 'jpeg';
  if (kind === 'missing-mp4') return 'mp4';
  return undefined;
}
