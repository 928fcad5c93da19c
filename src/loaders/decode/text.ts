/**
 * @module text — the original's tokenizer (split on Python's `\W+`), a {@link Vocab} of token ids saved one
 * token a line, and {@link buildVocab} over the briefs of a data set split.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ReelsetError } from '../../errors.js';
import { checkInteger, invalidArgument } from '../../util/options.js';

/**
 * A run of word characters as Python 3's `re` module sees them in a `str` pattern: letters (categories L*),
 * numbers (N*) and `_`. Python's `\w` is `str.isalnum() or '_'`, which is exactly this set for every
 * character of Unicode 14 (checked code point by code point against Python 3.11); for characters assigned
 * later, Node's newer Unicode tables decide, as a newer Python would. Combining marks (M*) are not word
 * characters in Python either: a decomposed `é` (`e` + U+0301) splits there.
 */
const WORD_RUN = /[\p{L}\p{N}_]+/gu;
const WORD_ONLY = /^[\p{L}\p{N}_]+$/u;

/** The largest vocabulary file read, in bytes. */
const MAX_VOCAB_BYTES = 256 * 1024 * 1024;

/**
 * Options of {@link tokenize}.
 *
 * @example
 * ```ts
 * const options: TokenizeOptions = { lowercase: true };
 * ```
 */
export interface TokenizeOptions {
  /** Lower-case each token (`String.prototype.toLowerCase`, like Python's `str.lower`). Default false. */
  lowercase?: boolean;
}

/**
 * Splits a text like the original: Python's `re.split(r'\W+', text)` with the empty pieces dropped,
 * case-sensitive unless `lowercase`. Tokens are lower-cased after splitting, so a token stays one token.
 *
 * @example
 * ```ts
 * tokenize(' Hong Kong Circa 2017, City B-Roll'); // ['Hong', 'Kong', 'Circa', '2017', 'City', 'B', 'Roll']
 * tokenize('Café_au lait!', { lowercase: true }); // ['café_au', 'lait']
 * ```
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  if (typeof text !== 'string') {
    throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', 'tokenize needs a string');
  }
  const tokens = text.match(WORD_RUN) ?? [];
  return options.lowercase === true ? tokens.map((token) => token.toLowerCase()) : tokens;
}

/**
 * Options of {@link Vocab.encode}.
 *
 * @example
 * ```ts
 * const options: EncodeOptions = { maxLength: 20, lowercase: false };
 * ```
 */
export interface EncodeOptions extends TokenizeOptions {
  /** The length of every encoding: shorter texts are padded with 0 at the end, longer ones cut. Default 25. */
  maxLength?: number;
}

/**
 * Options of {@link buildVocab}.
 *
 * @example
 * ```ts
 * const options: BuildVocabOptions = { lowercase: true, minCount: 2, maxSize: 20_000 };
 * ```
 */
export interface BuildVocabOptions extends TokenizeOptions {
  /** Keep only tokens seen at least this many times (default 1: every token, as the original). */
  minCount?: number;
  /** Keep at most this many tokens, the most frequent (default: no limit). */
  maxSize?: number;
}

/**
 * The default `maxLength` of an encoding: the original's 25.
 *
 * @example
 * ```ts
 * vocab.encode(brief).length === DEFAULT_MAX_LENGTH; // true
 * ```
 */
export const DEFAULT_MAX_LENGTH = 25;

/**
 * A vocabulary: token ids 1..N in a fixed order, 0 for padding, N + 1 for any token not in it
 * (out-of-vocabulary), as in the original. Saved as UTF-8 text, one token a line in id order (the
 * original's format); loading checks every line. Tokens are data: they are only ever compared as strings.
 *
 * @example
 * ```ts
 * const vocab = Vocab.fromTokens(['City', 'Hong', 'Kong']);
 * vocab.encode(' Hong Kong City at night', { maxLength: 6 }); // Int32Array [2, 3, 1, 4, 4, 0]
 * await vocab.save('vocab.txt');
 * const again = await Vocab.load('vocab.txt');
 * ```
 */
export class Vocab {
  readonly #tokens: readonly string[];
  readonly #ids: Map<string, number>;

  private constructor(tokens: readonly string[]) {
    const ids = new Map<string, number>();
    for (const [index, token] of tokens.entries()) {
      if (typeof token !== 'string' || !WORD_ONLY.test(token)) {
        throw new ReelsetError(
          'REELSET_E_BAD_VOCAB',
          `Token ${index + 1} (${JSON.stringify(token).slice(0, 80)}) is not a token: letters, digits and _ only`,
        );
      }
      if (ids.has(token)) {
        throw new ReelsetError(
          'REELSET_E_BAD_VOCAB',
          `Token ${index + 1} (${JSON.stringify(token).slice(0, 80)}) repeats token ${ids.get(token)}`,
        );
      }
      ids.set(token, index + 1);
    }
    this.#tokens = Object.freeze([...tokens]);
    this.#ids = ids;
  }

  /**
   * A vocabulary of these tokens, in this order (ids 1..N).
   *
   * @throws ReelsetError `REELSET_E_BAD_VOCAB` for an empty or repeated token, or one with a non-word character.
   * @example
   * ```ts
   * const vocab = Vocab.fromTokens(['the', 'city']);
   * vocab.idOf('city'); // 2
   * ```
   */
  static fromTokens(tokens: Iterable<string>): Vocab {
    return new Vocab([...tokens]);
  }

  /**
   * Parses the text of a vocabulary file: UTF-8 tokens, one a line (`\n`, or `\r\n`), in id order; one
   * final newline is allowed. Every line must be a token (letters, digits, `_`), and no token may repeat.
   *
   * @throws ReelsetError `REELSET_E_BAD_VOCAB` for an empty line, a repeated token or a non-word character.
   * @example
   * ```ts
   * Vocab.parse('Hong\nKong\n').size; // 2
   * ```
   */
  static parse(text: string): Vocab {
    if (typeof text !== 'string') throw invalidArgument('Vocab.parse needs a string');
    if (text === '') return new Vocab([]);
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    return new Vocab(body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)));
  }

  /**
   * Reads a vocabulary file written by {@link Vocab.save} (or by the original: one token a line).
   *
   * @throws ReelsetError `REELSET_E_NOT_FOUND` when it cannot be read; `REELSET_E_NOT_A_FILE` when `path` is a
   *   folder; `REELSET_E_BAD_VOCAB` when it is not
   *   valid UTF-8, is larger than 256 MiB, or has a bad line (see {@link Vocab.parse}).
   * @example
   * ```ts
   * const vocab = await Vocab.load('runs/1/vocab.txt');
   * ```
   */
  static async load(path: string): Promise<Vocab> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
        throw new ReelsetError(
          'REELSET_E_NOT_A_FILE',
          `The vocabulary file ${path} is a folder, not a file`,
          { cause: err },
        );
      }
      throw new ReelsetError('REELSET_E_NOT_FOUND', `Cannot read the vocabulary file ${path}`, {
        cause: err,
      });
    }
    if (bytes.length > MAX_VOCAB_BYTES) {
      throw new ReelsetError('REELSET_E_BAD_VOCAB', `${path} is larger than ${MAX_VOCAB_BYTES} bytes`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch (err) {
      throw new ReelsetError('REELSET_E_BAD_VOCAB', `${path} is not valid UTF-8`, { cause: err });
    }
    try {
      return Vocab.parse(text);
    } catch (err) {
      if (err instanceof ReelsetError) throw new ReelsetError(err.code, `${path}: ${err.message}`);
      throw err;
    }
  }

  /** How many tokens (N); ids run 1..N. */
  get size(): number {
    return this.#tokens.length;
  }

  /** The id of tokens not in the vocabulary: N + 1. */
  get oovId(): number {
    return this.#tokens.length + 1;
  }

  /** The tokens in id order (id = index + 1). */
  get tokens(): readonly string[] {
    return this.#tokens;
  }

  /**
   * The id of a token (1..N), or {@link Vocab.oovId} when it is not in the vocabulary.
   *
   * @example
   * ```ts
   * Vocab.fromTokens(['a']).idOf('b'); // 2 (out of vocabulary)
   * ```
   */
  idOf(token: string): number {
    return this.#ids.get(token) ?? this.#tokens.length + 1;
  }

  /**
   * The token of an id 1..N; undefined for 0 (padding), N + 1 (out of vocabulary) or anything else.
   *
   * @example
   * ```ts
   * Vocab.fromTokens(['a', 'b']).tokenOf(2); // 'b'
   * ```
   */
  tokenOf(id: number): string | undefined {
    return Number.isInteger(id) && id >= 1 ? this.#tokens[id - 1] : undefined;
  }

  /**
   * Token ids of a text: {@link tokenize}, then ids, post-padded with 0 and post-truncated to `maxLength`
   * (default 25), as the original (Keras `pad_sequences(padding='post', truncating='post')`).
   *
   * @example
   * ```ts
   * Vocab.fromTokens(['Hong', 'Kong']).encode(' Hong Kong, Macau', { maxLength: 4 }); // [1, 2, 3, 0]
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const maxLength = checkInteger('maxLength', options.maxLength ?? DEFAULT_MAX_LENGTH, 1);
    const tokens = tokenize(text, options);
    const out = new Int32Array(maxLength);
    const n = Math.min(maxLength, tokens.length);
    for (let i = 0; i < n; i++) out[i] = this.idOf(tokens[i] as string);
    return out;
  }

  /**
   * The file text: one token a line, in id order, each line ending with `\n`.
   *
   * @example
   * ```ts
   * Vocab.fromTokens(['Hong', 'Kong']).toText(); // 'Hong\nKong\n'
   * ```
   */
  toText(): string {
    return this.#tokens.length === 0 ? '' : `${this.#tokens.join('\n')}\n`;
  }

  /**
   * Writes the vocabulary file (UTF-8, one token a line), atomically (a temporary file, then a rename).
   *
   * @example
   * ```ts
   * await vocab.save('runs/1/vocab.txt');
   * ```
   */
  async save(path: string): Promise<void> {
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, this.toText(), 'utf8');
    await rename(temporary, path);
  }
}

/**
 * Counts the tokens of texts and makes a {@link Vocab}. Order: by frequency (most frequent first), ties by
 * first appearance: the order of a Keras `Tokenizer`'s `word_index` (a stable sort of insertion-ordered
 * counts). Used by {@link buildVocab}; useful for plain arrays of texts.
 *
 * @example
 * ```ts
 * vocabFromTexts([' a b b', ' c a b']).tokens; // ['b', 'a', 'c']
 * ```
 */
export function vocabFromTexts(texts: Iterable<string>, options: BuildVocabOptions = {}): Vocab {
  const counter = new TokenCounter(options);
  for (const text of texts) counter.add(text);
  return counter.vocab();
}

class TokenCounter {
  readonly #counts = new Map<string, number>();
  readonly #lowercase: boolean;
  readonly #minCount: number;
  readonly #maxSize: number;

  constructor(options: BuildVocabOptions) {
    this.#lowercase = options.lowercase === true;
    this.#minCount = checkInteger('minCount', options.minCount ?? 1, 1);
    this.#maxSize =
      options.maxSize === undefined ? Number.POSITIVE_INFINITY : checkInteger('maxSize', options.maxSize, 0);
  }

  add(text: string): void {
    if (typeof text !== 'string') throw invalidArgument('buildVocab: an element has no string text');
    for (const token of tokenize(text, { lowercase: this.#lowercase })) {
      this.#counts.set(token, (this.#counts.get(token) ?? 0) + 1);
    }
  }

  vocab(): Vocab {
    // Array.prototype.sort is stable: equal counts keep their first-appearance (Map insertion) order.
    const ranked = [...this.#counts].filter(([, count]) => count >= this.#minCount);
    ranked.sort((a, b) => b[1] - a[1]);
    return Vocab.fromTokens(ranked.slice(0, Math.min(ranked.length, this.#maxSize)).map(([token]) => token));
  }
}

function defaultText(element: unknown): string {
  const brief =
    typeof element === 'object' && element !== null ? (element as { brief?: unknown }).brief : undefined;
  if (typeof brief !== 'string')
    throw invalidArgument('buildVocab: an element has no string `brief`; pass `text`');
  return brief;
}

/**
 * Builds a {@link Vocab} from one pass over a data set (pass the training split only, so that validation
 * and test words stay out of vocabulary), reading each element's `brief` (or `options.text`). Order: by
 * frequency, ties by first appearance (see {@link vocabFromTexts}); `minCount` and `maxSize` cut rare
 * tokens. Encode later with the same `lowercase`.
 *
 * @example
 * ```ts
 * const { train } = openDataset('data').split({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
 * const vocab = await buildVocab(train, { minCount: 2 });
 * await vocab.save('vocab.txt');
 * ```
 */
export async function buildVocab<T>(
  dataset: AsyncIterable<T> | Iterable<T>,
  options: BuildVocabOptions & { text?: (element: T) => string } = {},
): Promise<Vocab> {
  const counter = new TokenCounter(options);
  const text = options.text ?? defaultText;
  for await (const element of dataset) counter.add(text(element));
  return counter.vocab();
}
