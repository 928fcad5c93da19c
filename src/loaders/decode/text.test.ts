import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { Dataset } from '../dataset/dataset.js';
import { buildVocab, tokenize, Vocab, vocabFromTexts } from './text.js';

// Expectations produced by Python 3.11: [t for t in re.split(r'\W+', s) if t] (and t.lower()).
const PYTHON_CASES: Array<[string, string[], string[]]> = [
  [
    ' Hong Kong Circa 2017, City B-Roll',
    ['Hong', 'Kong', 'Circa', '2017', 'City', 'B', 'Roll'],
    ['hong', 'kong', 'circa', '2017', 'city', 'b', 'roll'],
  ],
  ["Don't stop: 4K/60fps ", ['Don', 't', 'stop', '4K', '60fps'], ['don', 't', 'stop', '4k', '60fps']],
  [
    '北京城市夜景 — 東京 timelapse',
    ['北京城市夜景', '東京', 'timelapse'],
    ['北京城市夜景', '東京', 'timelapse'],
  ],
  ['café crème brûlée', ['café', 'crème', 'brûlée'], ['café', 'crème', 'brûlée']],
  ['cafe\u0301 au lait', ['cafe', 'au', 'lait'], ['cafe', 'au', 'lait']],
  ['snake_case__x  y', ['snake_case__x', 'y'], ['snake_case__x', 'y']],
  ['١٢٣ ٤٥ Ⅻ ½ ²', ['١٢٣', '٤٥', 'Ⅻ', '½', '²'], ['١٢٣', '٤٥', 'ⅻ', '½', '²']],
  ['a\tb\nc\u00a0d\u3000e', ['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e']],
  ['İstanbul ǅemal ß', ['İstanbul', 'ǅemal', 'ß'], ['i̇stanbul', 'ǆemal', 'ß']],
  ['', [], []],
  ['   ', [], []],
  ['🎬 film🎥clip', ['film', 'clip'], ['film', 'clip']],
  ['x²y Ⅸz', ['x²y', 'Ⅸz'], ['x²y', 'ⅸz']],
];

describe('tokenize', () => {
  it.each(PYTHON_CASES)('splits %j like Python re.split(r"\\W+")', (text, cased, lower) => {
    expect(tokenize(text)).toEqual(cased);
    expect(tokenize(text, { lowercase: true })).toEqual(lower);
  });

  it('refuses a non-string', () => {
    expect(() => tokenize(3 as unknown as string)).toThrow(/string/);
  });
});

describe('Vocab', () => {
  const vocab = Vocab.fromTokens(['City', 'Hong', 'Kong']);

  it('maps ids 1..N, N+1 out of vocabulary, 0 padding, post-pad and post-truncate', () => {
    expect(vocab.size).toBe(3);
    expect(vocab.oovId).toBe(4);
    expect(vocab.idOf('Hong')).toBe(2);
    expect(vocab.idOf('hong')).toBe(4);
    expect(vocab.tokenOf(1)).toBe('City');
    expect(vocab.tokenOf(0)).toBeUndefined();
    expect(vocab.tokenOf(4)).toBeUndefined();
    expect([...vocab.encode(' Hong Kong City at night', { maxLength: 6 })]).toEqual([2, 3, 1, 4, 4, 0]);
    expect([...vocab.encode(' Hong Kong City at night', { maxLength: 2 })]).toEqual([2, 3]);
    expect([...vocab.encode(' HONG kong', { maxLength: 3 })]).toEqual([4, 4, 0]);
    expect(Vocab.fromTokens(['hong']).encode(' HONG', { maxLength: 2, lowercase: true })).toEqual(
      new Int32Array([1, 0]),
    );
  });

  it('defaults to 25 ids, an Int32Array', () => {
    const ids = vocab.encode('');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(25);
    expect(ids.every((id) => id === 0)).toBe(true);
    expect(() => vocab.encode('x', { maxLength: 0 })).toThrow(/maxLength/);
  });

  it('refuses bad tokens', () => {
    for (const tokens of [[''], ['a b'], ['a', 'a'], ['x\n'], ['__proto__', 'a-b']]) {
      try {
        Vocab.fromTokens(tokens);
        expect.unreachable();
      } catch (err) {
        expect(isReelsetError(err, 'REELSET_E_BAD_VOCAB')).toBe(true);
      }
    }
    // Any word token is data, whatever it spells.
    expect(Vocab.fromTokens(['__proto__', 'constructor']).idOf('constructor')).toBe(2);
    expect(Vocab.fromTokens(['__proto__']).idOf('toString')).toBe(2);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'reelset-vocab-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('saves one token a line (UTF-8) and loads it back', async () => {
      const path = join(dir, 'vocab.txt');
      const v = Vocab.fromTokens(['北京', 'café', 'B_roll']);
      await v.save(path);
      expect(await readFile(path, 'utf8')).toBe('北京\ncafé\nB_roll\n');
      const again = await Vocab.load(path);
      expect(again.tokens).toEqual(v.tokens);
      expect(Vocab.parse('a\r\nb').tokens).toEqual(['a', 'b']);
      expect(Vocab.parse('').size).toBe(0);
    });

    it('validates what it loads', async () => {
      const cases: Array<[string, Uint8Array | string]> = [
        ['blank.txt', 'a\n\nb\n'],
        ['dup.txt', 'a\nb\na\n'],
        ['space.txt', 'a b\n'],
        ['code.txt', "require('fs')\n"],
        ['latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])],
      ];
      for (const [name, content] of cases) {
        const path = join(dir, name);
        await writeFile(path, content);
        await expect(Vocab.load(path)).rejects.toMatchObject({ code: 'REELSET_E_BAD_VOCAB' });
      }
      await expect(Vocab.load(join(dir, 'missing.txt'))).rejects.toMatchObject({
        code: 'REELSET_E_NOT_FOUND',
      });
    });

    it('names a folder given as the vocabulary file (REELSET_E_NOT_A_FILE)', async () => {
      const err = await Vocab.load(dir).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REELSET_E_NOT_A_FILE' });
      expect((err as Error).message).toContain(dir);
      expect((err as Error).message).toMatch(/is a folder, not a file/);
    });
  });
});

describe('buildVocab', () => {
  it('orders by frequency, ties by first appearance (Keras word_index order)', () => {
    expect(vocabFromTexts([' a b b', ' c a b']).tokens).toEqual(['b', 'a', 'c']);
    expect(vocabFromTexts(['z y x']).tokens).toEqual(['z', 'y', 'x']);
  });

  it('reads the briefs of a Dataset, with lowercase, minCount and maxSize', async () => {
    const samples = Dataset.from([
      { id: '1', brief: ' City at night, city lights' },
      { id: '2', brief: ' Night sky over the City' },
      { id: '3', brief: ' Beach' },
    ]);
    expect((await buildVocab(samples)).tokens).toEqual([
      'City',
      'at',
      'night',
      'city',
      'lights',
      'Night',
      'sky',
      'over',
      'the',
      'Beach',
    ]);
    const lower = await buildVocab(samples, { lowercase: true });
    expect(lower.tokens.slice(0, 2)).toEqual(['city', 'night']);
    expect((await buildVocab(samples, { lowercase: true, minCount: 2 })).tokens).toEqual(['city', 'night']);
    expect((await buildVocab(samples, { maxSize: 1 })).tokens).toEqual(['City']);
    expect((await buildVocab(samples, { maxSize: 0 })).size).toBe(0);
    const custom = await buildVocab([{ t: 'x y' }], { text: (e) => e.t });
    expect(custom.tokens).toEqual(['x', 'y']);
    await expect(buildVocab([{ nope: 1 }])).rejects.toThrow(/brief/);
    await expect(buildVocab(samples, { minCount: 0 })).rejects.toThrow(/minCount/);
  });

  it('only sees the split it is given', async () => {
    const all = Dataset.from(
      Array.from({ length: 200 }, (_, i) => ({ id: String(i + 1), brief: ` word${i} shared` })),
    );
    const { train, test } = all.split({ train: 0.5, validation: 0, test: 0.5, seed: 3 });
    const vocab = await buildVocab(train);
    const trainTokens = new Set((await train.toArray()).map((s) => s.brief.trim().split(' ')[0]));
    expect(vocab.size).toBe(trainTokens.size + 1);
    for (const s of await test.toArray()) {
      expect(vocab.idOf(s.brief.trim().split(' ')[0] as string)).toBe(vocab.oovId);
    }
  });
});
