/** @module svg — safe text for SVG documents: XML escaping, and fitting text into a width by characters. */

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
 * Shortens text to at most `maxChars` characters (code points), ending with `…` when cut. Whitespace runs
 * become one space and the ends are trimmed.
 *
 * @example
 * ```ts
 * truncateText('Woman in swimsuit walking at the beach', 20); // 'Woman in swimsuit w…'
 * ```
 */
export function truncateText(text: string, maxChars: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  if (chars.length <= maxChars) return chars.join('');
  return `${chars
    .slice(0, Math.max(0, maxChars - 1))
    .join('')
    .trimEnd()}…`;
}

/**
 * Wraps text into at most `maxLines` lines of at most `maxChars` characters, breaking at spaces (a word
 * longer than a line is cut); the last line ends with `…` when text was left out.
 *
 * @example
 * ```ts
 * wrapText('Hong Kong Circa 2017, City B-Roll', 12, 2); // ['Hong Kong', 'Circa 2017,…']
 * ```
 */
export function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let current = '';
  let leftOut = false;
  for (const word of words) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if ([...candidate].length <= maxChars) {
      current = candidate;
      continue;
    }
    if (current !== '') lines.push(current);
    if (lines.length === maxLines) {
      leftOut = true;
      current = '';
      break;
    }
    current = word;
    if ([...word].length > maxChars) {
      // A word longer than a line: cut it.
      lines.push([...word].slice(0, maxChars).join(''));
      current = '';
      leftOut = true;
      if (lines.length === maxLines) break;
      leftOut = false;
    }
  }
  if (current !== '') {
    if (lines.length < maxLines) lines.push(current);
    else leftOut = true;
  }
  if (leftOut && lines.length > 0) {
    const lastIndex = lines.length - 1;
    const chars = [...(lines[lastIndex] as string)];
    lines[lastIndex] =
      chars.length < maxChars ? `${chars.join('')}…` : `${chars.slice(0, maxChars - 1).join('')}…`;
  }
  return lines;
}
