/**
 * @module pyrepr — writes Python literals as Python's `repr` does: the item `.txt` files of the original are
 * `repr` of a dict of strings. The reader is `pyliteral.ts`.
 */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}

/**
 * A string written as Python 3's `repr(s)`: single quotes unless the string contains `'` and no `"`, then
 * double quotes; `\\`, `\n`, `\r`, `\t`, the quote in use escaped; other non-printable characters as `\xNN`,
 * `\uNNNN` or `\UNNNNNNNN`; printable non-ASCII text kept as is. "Printable" follows the Unicode tables of
 * the running JavaScript engine, so code points unassigned in the Python's Unicode version but assigned in
 * Node's (newer) may differ; every assigned character of Unicode 14 matches CPython 3.11.
 *
 * @example
 * ```ts
 * pyRepr("Children's day"); // "\"Children's day\""
 * pyRepr('café "ok"'); // "'café \"ok\"'"
 * ```
 */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f) out += char;
    else if (char !== ' ' && NOT_PRINTABLE.test(char)) {
      if (code < 0x100) out += `\\x${hex(code, 2)}`;
      else if (code < 0x10000) out += `\\u${hex(code, 4)}`;
      else out += `\\U${hex(code, 8)}`;
    } else out += char;
  }
  return out + quote;
}

/**
 * A dict of strings written as Python's `repr(dict)`: `{'key': 'value', ...}` in the given order, with no
 * trailing newline (as the original `.txt` files).
 *
 * @example
 * ```ts
 * pyDictLiteral([['mp4_id', '99945958'], ['mp4_time', '0:15']]); // "{'mp4_id': '99945958', 'mp4_time': '0:15'}"
 * ```
 */
export function pyDictLiteral(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{${entries.map(([key, value]) => `${pyRepr(key)}: ${pyRepr(value)}`).join(', ')}}`;
}

/**
 * The fields of an item's `.txt` (the catalog entry without its label).
 *
 * @example
 * ```ts
 * const fields: ItemTxtFields = { id: '99945958', mp4Url: 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4',
 *   time: '0:15', coverUrl: 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg', brief: ' Hong Kong' };
 * ```
 */
export interface ItemTxtFields {
  id: string;
  mp4Url: string;
  time: string;
  coverUrl: string;
  brief: string;
}

/**
 * The key-value pairs of an item's `.txt`, in the original's order.
 *
 * @example
 * ```ts
 * itemTxtEntries(fields)[0]; // ['mp4_id', '99945958']
 * ```
 */
export function itemTxtEntries(fields: ItemTxtFields): Array<[string, string]> {
  return [
    ['mp4_id', fields.id],
    ['mp4_download_url', fields.mp4Url],
    ['mp4_time', fields.time],
    ['mp4_background_image_url', fields.coverUrl],
    ['mp4_txt_brief', fields.brief],
  ];
}

/**
 * The `.txt` of an item exactly as the original wrote it: `repr` of the dict of its fields, no trailing
 * newline. A `CatalogEntry` can be passed as it is.
 *
 * @example
 * ```ts
 * itemTxt(entry); // "{'mp4_id': '99945958', 'mp4_download_url': 'https://...', 'mp4_time': '0:15', ...}"
 * ```
 */
export function itemTxt(fields: ItemTxtFields): string {
  return pyDictLiteral(itemTxtEntries(fields));
}
