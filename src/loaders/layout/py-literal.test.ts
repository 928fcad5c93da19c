import { describe, expect, it } from 'vitest';
import { ParseError } from '../../errors.js';
import { PY_LITERAL_MAX_LENGTH, parsePythonDict } from './py-literal.js';

/**
 * Valid literals and what they parse to. Every expected value was produced by Python 3.11's
 * `ast.literal_eval` on the same input (then written as JavaScript literals).
 */
const VALID: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
  [
    'the facts file example',
    "{'mp4_id': '99945958', 'mp4_download_url': 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4', 'mp4_time': '0:15', 'mp4_background_image_url': 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg', 'mp4_txt_brief': ' Hong Kong Circa 2017, City B-Roll'}",
    {
      mp4_id: '99945958',
      mp4_download_url: 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4',
      mp4_time: '0:15',
      mp4_background_image_url: 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg',
      mp4_txt_brief: ' Hong Kong Circa 2017, City B-Roll',
    },
  ],
  ['escaped apostrophe', "{'mp4_txt_brief': ' It\\'s a \"city\"'}", { mp4_txt_brief: ' It\'s a "city"' }],
  ['double quotes holding an apostrophe', '{"a": "It\'s"}', { a: "It's" }],
  ['empty strings and dict', "{'': ''}", { '': '' }],
  ['empty dict', '{}', {}],
  [
    'simple escapes',
    "{'e': '\\\\ \\' \\\" \\a \\b \\f \\n \\r \\t \\v'}",
    { e: '\\ \' " \u0007 \b \f \n \r \t \u000b' },
  ],
  ['octal escapes', "{'o': '\\0\\7\\101\\1011\\777'}", { o: '\u0000\u0007AA1\u01ff' }],
  ['hex escapes', "{'x': '\\x41\\x7e\\xe9'}", { x: 'A~\u00e9' }],
  ['BMP escapes', "{'u': '\\u00e9\\u4e2d\\uFFFF'}", { u: '\u00e9\u4e2d\uffff' }],
  [
    'astral escape to a surrogate pair',
    "{'U': '\\U0001F600 \\U00010000 \\U0010FFFF'}",
    { U: '\ud83d\ude00 \ud800\udc00 \udbff\udfff' },
  ],
  ['unknown escapes kept verbatim', "{'q': '\\q \\d \\8 \\9 \\ '}", { q: '\\q \\d \\8 \\9 \\ ' }],
  ['backslash-newline continuation', "{'a': 'one \\\ntwo'}", { a: 'one two' }],
  ['raw string', "{r'a\\n': r'C:\\path\\to\\'x\\''}", { 'a\\n': "C:\\path\\to\\'x\\'" }],
  ['raw triple-quoted', "{'a': r'''x\\\ny\\\\'''}", { a: 'x\\\ny\\\\' }],
  ['prefixes u and U', '{u\'a\': U"b"}', { a: 'b' }],
  ['prefixes R', "{R'\\d': 'x'}", { '\\d': 'x' }],
  [
    'triple-quoted with newlines and quotes',
    "{'a': '''line1\n'line2'\n\"\"x'''}",
    { a: 'line1\n\'line2\'\n""x' },
  ],
  ['triple double-quoted', '{"a": """it\'s "quoted" """}', { a: 'it\'s "quoted" ' }],
  ['triple with escaped quote at end', "{'a': '''a\\''''}", { a: "a'" }],
  ['CRLF inside a triple-quoted string', "{'a': '''x\r\ny\rz'''}", { a: 'x\ny\nz' }],
  ['adjacent literals concatenated', "{'a' \"b\" u'c': 'd' r'\\e' '''f'''}", { abc: 'd\\ef' }],
  ['concatenation across lines', "{'a': 'b'\n     'c'}", { a: 'bc' }],
  [
    'whitespace, comments and trailing comma',
    "  \n{ # a comment\n\t'a' : 'b' , # another\n 'c':'d',\n}\n# end\n",
    { a: 'b', c: 'd' },
  ],
  ['duplicate keys: last wins, first position', "{'a': '1', 'b': '2', 'a': '3'}", { a: '3', b: '2' }],
  [
    'non-ASCII text',
    "{'brief': ' Café Zürich 中文 日本語 😀'}",
    { brief: ' Caf\u00e9 Z\u00fcrich \u4e2d\u6587 \u65e5\u672c\u8a9e \ud83d\ude00' },
  ],
  ['non-ASCII escaped', "{'brief': ' Caf\\xe9 \\u4e2d\\u6587'}", { brief: ' Caf\u00e9 \u4e2d\u6587' }],
  ['line continuation between tokens', "{'a':\\\n'b'}", { a: 'b' }],
  ['form feed between tokens', "{\f'a': 'b'}", { a: 'b' }],
  ['quote chars inside the other quotes', '{\'a\': \'"\', "b": "\'"}', { a: '"', b: "'" }],
  [
    'constructor and toString as keys',
    "{'constructor': 'y', 'toString': 'z'}",
    { constructor: 'y', toString: 'z' },
  ],
  ['lone surrogate escape', "{'s': '\\ud800'}", { s: '\ud800' }],
  ['leading and trailing whitespace', " \t{'a': 'b'}  \n\n", { a: 'b' }],
];

/** Inputs that must be rejected (hostile, not a dict of strings, or not valid Python at all). */
const INVALID: ReadonlyArray<readonly [string, string]> = [
  ['a call of __import__', "__import__('os').system('rm -rf /')"],
  ['a call in a value', "{'a': open('/etc/passwd').read()}"],
  ['a nested call', "{'a': eval(compile('1', 'x', 'eval'))}"],
  ['a name as value', "{'a': os}"],
  ['a name as key', "{a: 'b'}"],
  ['None', "{'a': None}"],
  ['True', "{'a': True}"],
  ['lambda', "{'a': lambda: 0}"],
  ['a number value', "{'a': 1}"],
  ['a number key', "{1: 'a'}"],
  ['a negative number', "{'a': -1}"],
  ['a list value', "{'a': ['b']}"],
  ['a list at top level', "['a']"],
  ['a set', "{'a', 'b'}"],
  ['a one-element set', "{'a'}"],
  ['a concatenated set', "{'a' 'b'}"],
  ['a nested dict', "{'a': {'b': 'c'}}"],
  ['a parenthesized string', "{'a': ('b')}"],
  ['a tuple', "('a', 'b')"],
  ['a bare string', "'a'"],
  ['dict unpacking', '{**x}'],
  ['dict unpacking after an entry', "{'a': 'b', **x}"],
  ['string addition', "{'a': 'b' + 'c'}"],
  ['attribute access', "{'a': 'b'.upper()}"],
  ['subscript', "{'a': 'b'}['a']"],
  ['an f-string', "{'a': f'{x}'}"],
  ['an F-string', "{'a': F'x'}"],
  ['an rf-string', "{'a': rf'x'}"],
  ['an fR-string', "{'a': fR'x'}"],
  ['a bytes literal', "{'a': b'x'}"],
  ['a raw bytes literal', "{'a': Rb'x'}"],
  ['a bytes key', "{b'a': 'x'}"],
  ['a t-string', "{'a': t'x'}"],
  ['the ur prefix', "{'a': ur'x'}"],
  ['an unknown prefix', "{'a': x'y'}"],
  ['a str then bytes concatenation', "{'a': 'b' b'c'}"],
  ['a line break in a single-quoted string', "{'a': 'x\ny'}"],
  ['a CR in a single-quoted string', "{'a': 'x\ry'}"],
  ['a named escape', "{'a': '\\N{EM DASH}'}"],
  ['a truncated \\x escape', "{'a': '\\x4'}"],
  ['a non-hex \\x escape', "{'a': '\\xg0'}"],
  ['a truncated \\u escape', "{'a': '\\u12'}"],
  ['a truncated \\U escape', "{'a': '\\U0001F60'}"],
  ['a \\U escape beyond U+10FFFF', "{'a': '\\U00110000'}"],
  ['a \\U escape far beyond', "{'a': '\\Uffffffff'}"],
  ['an unterminated string', "{'a': 'x"],
  ['an unterminated triple-quoted string', "{'a': '''x'}"],
  ['a raw string ending in a backslash', "{'a': r'\\'}"],
  ['four closing quotes', "{'a': '''x''''}"],
  ['a string ending in a backslash', "{'a': 'x\\"],
  ['a missing closing brace', "{'a': 'x'"],
  ['a missing value', "{'a': }"],
  ['a missing colon', "{'a' 'b': }"],
  ['a double comma', "{'a': 'b',,}"],
  ['a lone comma', '{,}'],
  ['two colons', "{'a': 'b': 'c'}"],
  ['an extra closing brace', "{'a': 'b'}}"],
  ['trailing garbage', "{'a': 'b'} x"],
  ['a second dict', "{'a': 'b'} {}"],
  ['a statement after', "{'a': 'b'}; import os"],
  ['a backslash outside a string', "{'a': 'b'} \\ x"],
  ['a NUL character', "{'a': 'x\u0000'}"],
  ['a vertical tab between tokens', "{'a':\u000b'b'}"],
  ['a no-break space between tokens', "{'a':\u00a0'b'}"],
  ['empty input', ''],
  ['blank input', '  \n\t# only a comment\n'],
  ['deep nesting', `${'{'.repeat(100_000)}${'}'.repeat(100_000)}`],
  ['deep nesting in a value', `{'a': ${"{'a': ".repeat(50_000)}'x'${'}'.repeat(50_000)}}`],
  ['deep list nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
];

describe('parsePythonDict', () => {
  it.each(VALID)('parses %s', (_name, input, expected) => {
    const result = parsePythonDict(input);
    expect(result).toEqual(expected);
    expect(Object.keys(result)).toEqual(Object.keys(expected));
  });

  it.each(INVALID)('rejects %s', (_name, input) => {
    let caught: unknown;
    try {
      parsePythonDict(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParseError);
    const err = caught as ParseError;
    expect(err.code).toBe('REELSET_E_PY_LITERAL');
    expect(typeof err.position).toBe('number');
    expect(err.position).toBeGreaterThanOrEqual(0);
    expect(err.position).toBeLessThanOrEqual(Math.max(input.length, 0));
  });

  it('decodes astral escapes to surrogate pairs', () => {
    const { s } = parsePythonDict("{'s': '\\U0001F600'}");
    expect(s).toBe('😀');
    expect(s?.length).toBe(2);
    expect(s?.codePointAt(0)).toBe(0x1f600);
  });

  it('keeps "__proto__" an own data property and leaves the prototype alone', () => {
    // Not in the table: a `{ __proto__: 'x' }` object literal would set the prototype instead.
    const result = parsePythonDict("{'__proto__': 'x'}");
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toBe('x');
  });

  it('reports where parsing stopped', () => {
    const input = "{'a': open('/etc/passwd').read()}";
    try {
      parsePythonDict(input);
      expect.unreachable();
    } catch (err) {
      expect((err as ParseError).position).toBe(input.indexOf('open'));
      expect((err as ParseError).message).toMatch(/name "open"/);
    }
  });

  it('names the kind of rejected literal', () => {
    expect(() => parsePythonDict("{'a': f'x'}")).toThrow(/f-string/);
    expect(() => parsePythonDict("{'a': b'x'}")).toThrow(/bytes/);
    expect(() => parsePythonDict("{'a': '\\N{DASH}'}")).toThrow(/Named Unicode escapes/);
    expect(() => parsePythonDict("{'a', 'b'}")).toThrow(/sets are not accepted/);
    expect(() => parsePythonDict("{'a': 1}")).toThrow(/number/);
  });

  it('caps the input size', () => {
    const filler = 'x'.repeat(PY_LITERAL_MAX_LENGTH);
    expect(() => parsePythonDict(`{'a': '${filler}'}`)).toThrow(/exceeds the limit/);
    const justFits = `{'a': '${'x'.repeat(PY_LITERAL_MAX_LENGTH - 9)}'}`;
    expect(justFits.length).toBe(PY_LITERAL_MAX_LENGTH);
    expect(parsePythonDict(justFits).a?.length).toBe(PY_LITERAL_MAX_LENGTH - 9);
  });

  it('parses a long brief with many escapes quickly', () => {
    const brief = "It\\'s \\u4e2d ".repeat(20_000);
    const start = performance.now();
    const result = parsePythonDict(`{'mp4_txt_brief': '${brief}'}`);
    expect(result.mp4_txt_brief).toBe("It's 中 ".repeat(20_000));
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it('rejects a value that is not a string', () => {
    expect(() => parsePythonDict(42 as unknown as string)).toThrow(ParseError);
  });
});
