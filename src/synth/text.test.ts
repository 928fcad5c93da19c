/** @module text.test — Python repr writer (table checked against CPython 3.11), briefs, rng, catalog lines. */
import { describe, expect, it } from 'vitest';
import { pyDictLiteral, pyRepr } from '../loaders/layout/py-repr.js';
import { catalogLine, txtLiteral } from './index.js';
import { createRng, mixSeed } from './rng.js';
import { LABEL_WORDS, makeBrief, SHARED_WORDS } from './text.js';

// [input, repr(input)] with the expectations printed by CPython 3.11 (`json.dumps(repr(s))`).
const REPR_TABLE: ReadonlyArray<readonly [string, string]> = [
  ['plain', "'plain'"],
  [' Hong Kong Circa 2017, City B-Roll', "' Hong Kong Circa 2017, City B-Roll'"],
  ["Children's", '"Children\'s"'],
  ['say "hi"', '\'say "hi"\''],
  ['Tom\'s "best" day', "'Tom\\'s \"best\" day'"],
  ["rock 'n' roll", '"rock \'n\' roll"'],
  ['back\\slash', "'back\\\\slash'"],
  ["AC\\DC's", '"AC\\\\DC\'s"'],
  ['tab\tnew\nline\rcr', "'tab\\tnew\\nline\\rcr'"],
  ['\u0000\u0001\u001f\u007f', "'\\x00\\x01\\x1f\\x7f'"],
  ['\u0080\u0085\u00a0\u00ad\u00ff', "'\\x80\\x85\\xa0\\xad\u00ff'"],
  ['caf\u00e9 \u5317\u4eac na\u00efve', "'caf\u00e9 \u5317\u4eac na\u00efve'"],
  ['Happy New Year \ud83c\udf89', "'Happy New Year \ud83c\udf89'"],
  ['\u200b\u2028\u2029\u3000\ufeff', "'\\u200b\\u2028\\u2029\\u3000\\ufeff'"],
  ['\ud800', "'\\ud800'"],
  ['\ue000', "'\\ue000'"],
  ['\udbff\udfff', "'\\U0010ffff'"],
  ['\u0378', "'\\u0378'"],
  ["'", '"\'"'],
  ['"', "'\"'"],
  ['\'"', "'\\'\"'"],
  ["\\'", '"\\\\\'"'],
  ['Rock & Roll', "'Rock & Roll'"],
  ['', "''"],
  [' ', "' '"],
];

describe('pyRepr', () => {
  it.each(REPR_TABLE)('repr(%j) as CPython writes it', (input, expected) => {
    expect(pyRepr(input)).toBe(expected);
  });
});

describe('txt literal', () => {
  it('reproduces the original example byte for byte', () => {
    expect(txtLiteral('99945958', '0:15', ' Hong Kong Circa 2017, City B-Roll')).toBe(
      "{'mp4_id': '99945958', 'mp4_download_url': 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4', 'mp4_time': '0:15', 'mp4_background_image_url': 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg', 'mp4_txt_brief': ' Hong Kong Circa 2017, City B-Roll'}",
    );
  });

  it('quotes values by Python rules inside a dict', () => {
    expect(pyDictLiteral([['mp4_txt_brief', " Children's"]])).toBe("{'mp4_txt_brief': \" Children's\"}");
  });
});

describe('catalogLine', () => {
  it('writes the keys in the original order, Python json.dumps style', () => {
    const line = catalogLine('1234567', '0:02', ' Café "北京"', 'Green Screen');
    expect(line).toBe(
      '{"mp4_id": "1234567", "mp4_download_url": "https://p5-v1.xpccdn.com/001234567_main_xl.mp4", "mp4_time": "0:02", "mp4_background_image_url": "https://p5-i1.xpccdn.com/001234567_iconl.jpeg", "mp4_txt_brief": " Caf\\u00e9 \\"\\u5317\\u4eac\\"", "video_label": "Green Screen"}',
    );
    const parsed = JSON.parse(line) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual([
      'mp4_id',
      'mp4_download_url',
      'mp4_time',
      'mp4_background_image_url',
      'mp4_txt_brief',
      'video_label',
    ]);
    expect(parsed.mp4_txt_brief).toBe(' Café "北京"');
  });
});

function namesAnyOwnWord(text: string, labelId: number): boolean {
  return (LABEL_WORDS[labelId] ?? []).some((word) => text.toLowerCase().includes(word.toLowerCase()));
}

describe('makeBrief', () => {
  it('names the label for a textSignal fraction of briefs, shared words otherwise', () => {
    const rng = createRng(3);
    let named = 0;
    for (let i = 0; i < 600; i++) {
      const labelId = i % 31;
      const brief = makeBrief(rng, labelId, 0.6);
      expect(brief.text.startsWith(' ')).toBe(true);
      expect(brief.text[1]).not.toBe(' ');
      if (brief.namesLabel) {
        named++;
        expect(namesAnyOwnWord(brief.text, labelId)).toBe(true);
      }
    }
    expect(named / 600).toBeGreaterThan(0.5);
    expect(named / 600).toBeLessThan(0.7);
  });

  it('never names the label with textSignal 0, always with 1', () => {
    const rng = createRng(4);
    for (let i = 0; i < 200; i++) {
      const none = makeBrief(rng, 8, 0);
      expect(none.namesLabel).toBe(false);
      expect(namesAnyOwnWord(none.text, 8)).toBe(false);
      expect(SHARED_WORDS.some((word) => none.text.toLowerCase().includes(word.toLowerCase()))).toBe(true);
      expect(makeBrief(rng, 8, 1).namesLabel).toBe(true);
    }
  });

  it('has one word list per label, none shared between labels', () => {
    expect(LABEL_WORDS).toHaveLength(31);
    const all = LABEL_WORDS.flat();
    expect(new Set(all).size).toBe(all.length);
    for (const word of SHARED_WORDS) expect(all).not.toContain(word);
  });
});

describe('rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createRng(5);
    const b = createRng(5);
    const c = createRng(6);
    const seqA = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
    expect(mixSeed(1, 'a')).toBe(mixSeed(1, 'a'));
    expect(mixSeed(1, 'a')).not.toBe(mixSeed(1, 'b'));
    expect(mixSeed(1, 'a')).not.toBe(mixSeed('1', 'a'));
  });
});
