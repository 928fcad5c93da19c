/** @module svg — safe text for SVG documents: XML escaping, and fitting text into a width (CJK counts double). */

/** Whether a UTF-16 code unit at `i` may appear in XML 1.0 (controls, lone surrogates, U+FFFE/F may not). */
function xmlAllowed(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x20) return c === 0x09 || c === 0x0a || c === 0x0d;
  if (c === 0xfffe || c === 0xffff) return false;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = text.charCodeAt(i - 1);
    return prev >= 0xd800 && prev <= 0xdbff;
  }
  return true;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Escapes text for an SVG (XML) text node or attribute value: `& < > " '` become entities and characters
 * XML cannot hold (controls, lone surrogates) are dropped, so data can never open a tag, a script or an
 * entity reference. Every string that comes from data must pass through this before it enters an SVG.
 *
 * @example
 * ```ts
 * escapeXml('<script>alert("x")</script> & co'); // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'
 * ```
 */
export function escapeXml(text: string): string {
  const source = String(text);
  let out = '';
  for (let i = 0; i < source.length; i++) {
    if (!xmlAllowed(source, i)) continue;
    const c = source[i] as string;
    out += ENTITIES[c] ?? c;
  }
  return out;
}

/**
 * Whether a code point is drawn about twice as wide as a Latin letter: East Asian wide and fullwidth
 * characters (Han, kana, Hangul, CJK punctuation, fullwidth forms) and emoji.
 */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/**
 * The width of text in columns: a Latin letter takes one, a CJK (wide or fullwidth) character two, as
 * they are drawn at about 0.55 and 1 em. The text fitting of charts and sheets counts in columns.
 *
 * @example
 * ```ts
 * textColumns('Beach'); // 5
 * textColumns('Beach 海滩'); // 10
 * ```
 */
export function textColumns(text: string): number {
  let columns = 0;
  for (const c of text) columns += isWide(c.codePointAt(0) as number) ? 2 : 1;
  return columns;
}

/** The longest start of `chars` that fits in `columns`. */
function fitChars(chars: readonly string[], columns: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const c of chars) {
    const w = textColumns(c);
    if (used + w > columns) break;
    out.push(c);
    used += w;
  }
  return out;
}

/** Adds `…` to a line, cutting it so that the whole stays within `columns`. */
function withEllipsis(line: string, columns: number): string {
  return `${fitChars([...line], Math.max(0, columns - 1))
    .join('')
    .trimEnd()}…`;
}

/**
 * Shortens text to at most `maxColumns` columns ({@link textColumns}: a CJK character counts two), ending
 * with `…` when cut. Whitespace runs become one space and the ends are trimmed.
 *
 * @example
 * ```ts
 * truncateText('Woman in swimsuit walking at the beach', 20); // 'Woman in swimsuit w…'
 * truncateText('海滩上的女人在散步', 9); // '海滩上的…'
 * ```
 */
export function truncateText(text: string, maxColumns: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (textColumns(clean) <= maxColumns) return clean;
  return withEllipsis(clean, maxColumns);
}

/**
 * Splits text into the pieces a line may break between: a Latin word is one piece, each CJK (wide)
 * character is one; `space` tells whether whitespace stood before the piece.
 */
function breakPieces(text: string): { text: string; space: boolean }[] {
  const pieces: { text: string; space: boolean }[] = [];
  let word = '';
  let space = false;
  const flush = (): void => {
    if (word === '') return;
    pieces.push({ text: word, space });
    word = '';
    space = false;
  };
  for (const c of text) {
    if (/\s/.test(c)) {
      flush();
      space = pieces.length > 0;
    } else if (isWide(c.codePointAt(0) as number)) {
      flush();
      pieces.push({ text: c, space });
      space = false;
    } else {
      word += c;
    }
  }
  flush();
  return pieces;
}

/**
 * Wraps text into at most `maxLines` lines of at most `maxColumns` columns ({@link textColumns}: a CJK
 * character counts two). Lines break at spaces and between CJK characters (Chinese has no spaces); a word
 * longer than a line is cut and goes on on the next line. The last line ends with `…` when text was left
 * out.
 *
 * @example
 * ```ts
 * wrapText('Hong Kong Circa 2017, City B-Roll', 12, 2); // ['Hong Kong', 'Circa 2017,…']
 * wrapText('海滩上的女人在散步和看日落', 8, 2); // ['海滩上的', '女人在…']
 * ```
 */
export function wrapText(text: string, maxColumns: number, maxLines: number): string[] {
  const max = Math.max(1, maxColumns);
  const lines: string[] = [];
  let current = '';
  const pieces = breakPieces(text);
  let i = 0;
  while (i < pieces.length && lines.length < maxLines) {
    const piece = pieces[i] as { text: string; space: boolean };
    const joined = current === '' ? piece.text : `${current}${piece.space ? ' ' : ''}${piece.text}`;
    if (textColumns(joined) <= max) {
      current = joined;
      i++;
    } else if (current !== '') {
      lines.push(current);
      current = '';
    } else {
      // A piece longer than a whole line: cut it; the rest starts the next line.
      const chars = [...piece.text];
      const taken = Math.max(1, fitChars(chars, max).length);
      lines.push(chars.slice(0, taken).join(''));
      if (taken < chars.length) pieces[i] = { text: chars.slice(taken).join(''), space: false };
      else i++;
    }
  }
  // The loop stops with `current` unpushed only when every piece is placed and a line is free.
  if (current !== '') lines.push(current);
  if (i < pieces.length && lines.length > 0) {
    const last = lines.length - 1;
    lines[last] = withEllipsis(lines[last] as string, max);
  }
  return lines;
}
