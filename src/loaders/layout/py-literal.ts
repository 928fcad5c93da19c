/**
 * @module pyliteral — a safe parser of the Python dict literals in the original's `.txt` files: a tokenizer
 * and a recursive-descent parser that only ever builds strings, and never evaluates anything.
 *
 * The grammar accepted is the subset of Python's expression grammar made of a dict display whose keys and
 * values are string literals (with Python's escapes, prefixes `u` and `r`, triple quotes and implicit
 * concatenation of adjacent literals). Everything else (names, calls, numbers, lists, sets, bytes,
 * f-strings, `**` unpacking...) is a {@link ParseError} with code `REELSET_E_PY_LITERAL`.
 */
import { ParseError } from '../../errors.js';

/**
 * The longest text {@link parsePythonDict} accepts, in UTF-16 code units (1 MiB). A `.txt` of the original
 * is a few hundred characters.
 *
 * @example
 * ```ts
 * if (text.length > PY_LITERAL_MAX_LENGTH) console.log('too large for a metadata file');
 * ```
 */
export const PY_LITERAL_MAX_LENGTH = 1 << 20;

/** Prefixes that make a literal something other than a plain `str` (lower-cased). */
const REJECTED_PREFIXES = new Set(['b', 'br', 'rb', 'f', 'fr', 'rf', 't', 'tr', 'rt']);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function isOctal(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '7';
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
}

function isIdentifierStart(ch: string): boolean {
  return /^[A-Za-z_]$/.test(ch);
}

function isIdentifierPart(ch: string): boolean {
  return /^[A-Za-z0-9_]$/.test(ch);
}

/** Shows a character in an error message. */
function show(ch: string): string {
  return JSON.stringify(ch);
}

/**
 * The parser's state: the text and a cursor. Python's tokenizer turns `\r\n` and `\r` into `\n` before
 * anything else; this one does the same on the fly, so error positions stay offsets in the original text.
 */
class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  fail(message: string, position: number = this.pos): never {
    throw new ParseError('REELSET_E_PY_LITERAL', `${message} (at offset ${position})`, position);
  }

  /** Length of the line break at `at` (`\n`, `\r` or `\r\n`), or 0 when there is none. */
  private newlineAt(at: number): number {
    const ch = this.text[at];
    if (ch === '\n') return 1;
    if (ch === '\r') return this.text[at + 1] === '\n' ? 2 : 1;
    return 0;
  }

  /** Skips blanks, line breaks, comments and backslash line continuations between tokens. */
  private skipTrivia(): void {
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === ' ' || ch === '\t' || ch === '\f' || ch === '\n' || ch === '\r') {
        this.pos++;
      } else if (ch === '#') {
        while (this.pos < this.text.length && this.newlineAt(this.pos) === 0) this.pos++;
      } else if (ch === '\\') {
        const nl = this.newlineAt(this.pos + 1);
        if (nl === 0) this.fail('Unexpected backslash outside a string');
        this.pos += 1 + nl;
      } else {
        return;
      }
    }
  }

  /** Parses the whole text as one dict of strings. */
  parseDict(): Record<string, string> {
    if (this.text[0] === '\uFEFF') this.pos = 1;
    this.skipTrivia();
    if (this.pos >= this.text.length) this.fail('Empty input: expected a dict literal');
    this.expect('{', 'Expected a dict literal starting with "{"');
    const result: Record<string, string> = {};
    this.skipTrivia();
    while (this.text[this.pos] !== '}') {
      const key = this.parseStrings('dict key');
      this.skipTrivia();
      this.expect(':', 'Expected ":" after a dict key (sets are not accepted)');
      const value = this.parseStrings('dict value');
      // Python semantics: a repeated key keeps its first position and its last value. defineProperty makes
      // even "__proto__" an ordinary own property.
      Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipTrivia();
      if (this.text[this.pos] === ',') {
        this.pos++;
        this.skipTrivia();
      } else if (this.text[this.pos] !== '}') {
        this.unexpected('Expected "," or "}" after a dict entry');
      }
    }
    this.pos++;
    this.skipTrivia();
    if (this.pos < this.text.length) this.unexpected('Unexpected text after the dict');
    return result;
  }

  private expect(ch: string, message: string): void {
    if (this.text[this.pos] !== ch) this.unexpected(message);
    this.pos++;
  }

  /** Fails on the token at the cursor, naming what kind of thing it is. */
  private unexpected(message: string): never {
    const ch = this.text[this.pos];
    if (ch === undefined) this.fail(`${message}: the input ends too early`);
    if (isIdentifierStart(ch)) {
      let end = this.pos;
      while (end < this.text.length && isIdentifierPart(this.text[end] ?? '')) end++;
      this.fail(
        `${message}: found the name ${show(this.text.slice(this.pos, end))} (names are not evaluated)`,
      );
    }
    if (ch >= '0' && ch <= '9') this.fail(`${message}: found a number (only strings are accepted)`);
    if (ch === "'" || ch === '"') this.fail(`${message}: found a string`);
    this.fail(`${message}: found ${show(ch)}`);
  }

  /** One or more adjacent string literals, concatenated as Python does. */
  private parseStrings(what: string): string {
    this.skipTrivia();
    let out = this.parseString(what);
    for (;;) {
      const save = this.pos;
      this.skipTrivia();
      if (!this.atStringStart()) {
        this.pos = save;
        return out;
      }
      out += this.parseString(what);
    }
  }

  /** True when the cursor is on a quote, or on a prefix (any letters) directly followed by a quote. */
  private atStringStart(): boolean {
    let at = this.pos;
    while (at < this.text.length && isIdentifierPart(this.text[at] ?? '')) at++;
    const ch = this.text[at];
    return ch === "'" || ch === '"';
  }

  /** One string literal with its optional prefix. */
  private parseString(what: string): string {
    const start = this.pos;
    let end = this.pos;
    while (end < this.text.length && isIdentifierPart(this.text[end] ?? '')) end++;
    const quote = this.text[end];
    if (quote !== "'" && quote !== '"') this.unexpected(`Expected a string literal as ${what}`);
    const prefix = this.text.slice(start, end);
    const lower = prefix.toLowerCase();
    if (REJECTED_PREFIXES.has(lower)) {
      const kind = lower.includes('b') ? 'bytes literal' : lower.includes('f') ? 'f-string' : 't-string';
      this.fail(`A ${kind} (prefix ${show(prefix)}) is not a plain string`, start);
    }
    if (lower !== '' && lower !== 'u' && lower !== 'r')
      this.fail(`Invalid string prefix ${show(prefix)}`, start);
    this.pos = end;
    return this.parseStringBody(quote, lower === 'r', start);
  }

  private parseStringBody(quote: string, raw: boolean, start: number): string {
    const text = this.text;
    const triple = text[this.pos + 1] === quote && text[this.pos + 2] === quote;
    this.pos += triple ? 3 : 1;
    const parts: string[] = [];
    let chunk = this.pos;
    const flush = (to: number): void => {
      if (to > chunk) parts.push(text.slice(chunk, to));
    };
    for (;;) {
      const at = this.pos;
      const ch = text[at];
      if (ch === undefined) this.fail('Unterminated string literal', start);
      if (ch === quote && (!triple || (text[at + 1] === quote && text[at + 2] === quote))) {
        flush(at);
        this.pos = at + (triple ? 3 : 1);
        return parts.join('');
      }
      const nl = this.newlineAt(at);
      if (nl > 0) {
        if (!triple) this.fail('Unterminated string literal: a line break inside a single-quoted string', at);
        flush(at);
        parts.push('\n');
        this.pos = at + nl;
        chunk = this.pos;
      } else if (ch === '\\') {
        flush(at);
        parts.push(raw ? this.rawEscape(at) : this.escape(at));
        chunk = this.pos;
      } else {
        this.pos++;
      }
    }
  }

  /** In a raw string a backslash escapes nothing, but keeps the next character (even a quote) in the string. */
  private rawEscape(at: number): string {
    const nl = this.newlineAt(at + 1);
    if (nl > 0) {
      this.pos = at + 1 + nl;
      return '\\\n';
    }
    const next = this.text[at + 1];
    if (next === undefined) this.fail('Unterminated string literal', at);
    this.pos = at + 2;
    return `\\${next}`;
  }

  /** Decodes the escape sequence at `at` (a backslash) and moves the cursor past it. */
  private escape(at: number): string {
    const text = this.text;
    const nl = this.newlineAt(at + 1);
    if (nl > 0) {
      this.pos = at + 1 + nl; // line continuation: nothing
      return '';
    }
    const next = text[at + 1];
    if (next === undefined) this.fail('Unterminated string literal', at);
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      this.pos = at + 2;
      return simple;
    }
    if (isOctal(next)) {
      let end = at + 2;
      while (end < at + 4 && isOctal(text[end])) end++;
      this.pos = end;
      return String.fromCharCode(Number.parseInt(text.slice(at + 1, end), 8));
    }
    if (next === 'x' || next === 'u' || next === 'U') {
      const digits = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = text.slice(at + 2, at + 2 + digits);
      if (hex.length < digits || ![...hex].every(isHex)) {
        this.fail(`Truncated \\${next} escape: expected ${digits} hex digits`, at);
      }
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) this.fail(`Escape \\${next}${hex} is beyond the last Unicode code point`, at);
      this.pos = at + 2 + digits;
      return String.fromCodePoint(code);
    }
    if (next === 'N') {
      this.fail('Named Unicode escapes (\\N{...}) are not supported: write the character or \\uXXXX', at);
    }
    // Python keeps an unknown escape verbatim, backslash included.
    this.pos = at + 1;
    return '\\';
  }
}

/**
 * Parses a Python dict literal whose keys and values are all string literals, as in the original's
 * `<mp4_id>.txt` files, without evaluating anything.
 *
 * Accepted: single, double and triple quotes; prefixes `u` and `r` (raw strings follow Python's rules);
 * every Python escape (`\n`, `\t`, `\\`, `\'`, octal `\ooo`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`, a backslash
 * before a line break) and unknown escapes kept verbatim as Python keeps them (`\q` stays `\q`); adjacent
 * literals concatenated (`'a' 'b'`); blanks, line breaks and `#` comments between tokens; a trailing
 * comma. A repeated key keeps its last value (Python's rule). Keys that look like integers come first
 * when the object is enumerated (a JavaScript rule).
 *
 * @throws ParseError with code `REELSET_E_PY_LITERAL` and the offset where parsing stopped, for anything
 *   else: names, calls, numbers, lists, sets, nested dicts, bytes and f-strings, `\N{...}`, unterminated
 *   strings, text after the dict, empty input, input longer than {@link PY_LITERAL_MAX_LENGTH}.
 * @example
 * ```ts
 * parsePythonDict("{'mp4_id': '99945958', 'mp4_time': '0:15', 'mp4_txt_brief': ' It\\'s a city'}");
 * // { mp4_id: '99945958', mp4_time: '0:15', mp4_txt_brief: " It's a city" }
 * parsePythonDict("__import__('os').system('rm -rf /')"); // throws ParseError REELSET_E_PY_LITERAL
 * ```
 */
export function parsePythonDict(text: string): Record<string, string> {
  if (typeof text !== 'string') {
    throw new ParseError('REELSET_E_PY_LITERAL', `Expected the text of a dict literal, got ${typeof text}`);
  }
  if (text.length > PY_LITERAL_MAX_LENGTH) {
    throw new ParseError(
      'REELSET_E_PY_LITERAL',
      `Input of ${text.length} characters exceeds the limit of ${PY_LITERAL_MAX_LENGTH}`,
      PY_LITERAL_MAX_LENGTH,
    );
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) throw new ParseError('REELSET_E_PY_LITERAL', `A NUL character at offset ${nul}`, nul);
  return new Parser(text).parseDict();
}
