/** @module dataset — `Dataset<T>`: a restartable, composable, deterministic and resumable description of a data pipeline. */
import { checkInteger, checkNumber, invalidArgument } from '../../util/options.js';
import { splitFraction } from '../../util/random.js';
import { cacheOp } from './cache.js';
import {
  batchOp,
  type Check,
  checkCountAt,
  filterOp,
  mapOp,
  type Open,
  prefetchOp,
  repeatOp,
  shardOp,
  shuffleOp,
  skipOp,
  stateError,
  takeOp,
} from './ops.js';
import type { Json, PassContext, Source } from './source.js';

/**
 * Where an iteration stands, as plain JSON: save it (`JSON.stringify`), and later hand it to
 * {@link Dataset.resume} to continue with exactly the next element. `pipeline` is the dataset's
 * {@link Dataset.summary}, checked on resume; `position` is `null` before the first element.
 *
 * @example
 * ```ts
 * const it = dataset[Symbol.asyncIterator]();
 * await it.next();
 * const saved: IterationState = JSON.parse(JSON.stringify(it.state()));
 * const rest = dataset.resume(saved);
 * ```
 */
export interface IterationState {
  version: 1;
  pipeline: string;
  position: Json;
}

/**
 * The iterator of one pass over a {@link Dataset}: an async iterator that can tell its {@link IterationState}
 * at any moment. `return()` (called by `break` in `for await`) closes every stage and source of the pass.
 *
 * @example
 * ```ts
 * const it: DatasetIterator<number> = Dataset.from([1, 2, 3])[Symbol.asyncIterator]();
 * const first = await it.next(); // { value: 1, done: false }
 * const state = it.state(); // resumes with 2
 * await it.return();
 * ```
 */
export interface DatasetIterator<T> extends AsyncIterableIterator<T> {
  /** The state right after the last element returned by `next()` (before the first: the start). */
  state(): IterationState;
}

/**
 * Options of {@link Dataset.map}.
 *
 * @example
 * ```ts
 * const options: MapOptions = { concurrency: 8, readAhead: 8 };
 * ```
 */
export interface MapOptions {
  /** How many calls of the function may run at once (default 1). Outputs keep the input order. */
  concurrency?: number;
  /**
   * How many more elements than `concurrency` may be read from upstream and held in order (default 0).
   * With a read-ahead, a call that finishes early is followed at once by the next one, even while a slow
   * call at the head of the window holds up the output; at most `concurrency` calls still run at once.
   */
  readAhead?: number;
  /**
   * The stage's name in {@link Dataset.summary} (default `Map(concurrency=N)`), e.g. `Decode(image)`: a
   * label without the concurrency lets a state resume on a machine with another core count.
   */
  label?: string;
}

/**
 * Options of {@link Dataset.shuffle}.
 *
 * @example
 * ```ts
 * const options: ShuffleOptions = { seed: 42, bufferSize: 10_000 };
 * ```
 */
export interface ShuffleOptions {
  /** Any safe integer. The same seed gives the same order (per epoch) on every pass and machine. */
  seed: number;
  /** How many elements the shuffle buffer holds (≥ 1; the whole data set for a full shuffle). */
  bufferSize: number;
}

/**
 * Options of {@link Dataset.batch}.
 *
 * @example
 * ```ts
 * const options: BatchOptions = { dropRemainder: true };
 * ```
 */
export interface BatchOptions {
  /** Leave out a last batch smaller than `size` (default false). */
  dropRemainder?: boolean;
}

/**
 * Options of {@link Dataset.shard}.
 *
 * @example
 * ```ts
 * const options: ShardOptions = { rank: 0, worldSize: 4 };
 * ```
 */
export interface ShardOptions {
  /** This worker's index, 0 ≤ rank < worldSize. */
  rank: number;
  /** How many workers share the data. */
  worldSize: number;
}

/**
 * Options of {@link Dataset.cache}.
 *
 * @example
 * ```ts
 * const options: CacheOptions = { dir: '.cache/decoded' };
 * ```
 */
export interface CacheOptions {
  /** Keep the cache in this folder instead of memory (for data larger than memory, or shared by runs). */
  dir?: string;
  /** Approximate size of each chunk file of a disk cache, in bytes (default 16 MiB). */
  chunkBytes?: number;
}

/**
 * Options of {@link Dataset.split}: the fractions (each in [0, 1], summing to 1), the seed of the hash and
 * the key of an element (default: its string `id`).
 *
 * @example
 * ```ts
 * const options: SplitOptions<{ id: string }> = { train: 0.8, validation: 0.1, test: 0.1, seed: 1 };
 * ```
 */
export interface SplitOptions<T> {
  train: number;
  validation: number;
  test: number;
  /** Any integer; another seed gives another (equally stable) assignment. */
  seed: number;
  /** The stable identity of an element; elements with the same key always land in the same split. */
  key?: (x: T) => string | number;
}

/**
 * The three parts of a {@link Dataset.split}.
 *
 * @example
 * ```ts
 * const { train, validation, test }: Splits<Sample> = samples.split({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
 * ```
 */
export interface Splits<T> {
  train: Dataset<T>;
  validation: Dataset<T>;
  test: Dataset<T>;
}

/** One stage of a pipeline: its summary so far, how to open a pass, how to validate a position. */
interface Node<T> {
  readonly summary: string;
  readonly open: Open<T>;
  readonly check: Check;
}

const TOP: PassContext = { epoch: 0 };

function isJson(value: unknown, depth = 0): value is Json {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((v) => isJson(v, depth + 1));
}

const acceptAny: Check = () => {};

function checkCount(op: string, max = Number.MAX_SAFE_INTEGER): Check {
  return (position) => {
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0 || position > max) {
      throw stateError(`${op}: malformed position ${JSON.stringify(position)}`);
    }
  };
}

function defaultKey(x: unknown): string {
  const id = typeof x === 'object' && x !== null ? (x as { id?: unknown }).id : undefined;
  if (typeof id !== 'string') {
    throw invalidArgument('split: an element has no string `id`; pass a `key` function');
  }
  return id;
}

/** One pass: opens the pipeline lazily on the first `next()`, remembers the position of the last element. */
class PassIterator<T> implements DatasetIterator<T> {
  readonly #node: Node<T>;
  #cursor: AsyncIterator<{ value: T; position: Json }> | undefined;
  #last: Json | undefined;
  #done = false;

  constructor(node: Node<T>, start: Json | undefined) {
    this.#node = node;
    this.#last = start;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    try {
      this.#cursor ??= this.#node.open(this.#last, TOP)[Symbol.asyncIterator]();
      const r = await this.#cursor.next();
      if (r.done) {
        this.#done = true;
        return { done: true, value: undefined };
      }
      this.#last = r.value.position;
      return { done: false, value: r.value.value };
    } catch (err) {
      this.#done = true;
      throw err;
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.#done = true;
    const cursor = this.#cursor;
    this.#cursor = undefined;
    await cursor?.return?.();
    return { done: true, value: undefined };
  }

  state(): IterationState {
    const position = this.#last === undefined ? null : (JSON.parse(JSON.stringify(this.#last)) as Json);
    return { version: 1, pipeline: this.#node.summary, position };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * A restartable description of a data pipeline (like tf.data): every `[Symbol.asyncIterator]()` starts a
 * fresh pass; operators return new Datasets and leave the original usable. Iteration is deterministic for
 * given seeds and resumable after any element: take `state()` from the iterator, later `resume(state)`.
 *
 * Positions (what states are made of) are captured by reference per element and serialized only when
 * `state()` is called. Sources must yield fresh, non-null JSON positions.
 *
 * @example
 * ```ts
 * const pipeline = Dataset.fromSource(layout)
 *   .shuffle({ seed: 1, bufferSize: 10_000 })
 *   .shard({ rank, worldSize })
 *   .map(decode, { concurrency: 8 })
 *   .batch(32)
 *   .prefetch(4)
 *   .repeat(10);
 * for await (const batch of pipeline) train(batch);
 * ```
 */
export class Dataset<T> implements AsyncIterable<T> {
  readonly #node: Node<T>;
  readonly #start: Json | undefined;

  private constructor(node: Node<T>, start?: Json) {
    this.#node = node;
    this.#start = start;
  }

  /**
   * A Dataset over a {@link Source}: each pass opens the source; resuming reopens it at a saved position.
   *
   * @example
   * ```ts
   * const letters = Dataset.fromSource<string>({
   *   name: 'Letters',
   *   async *open(position) {
   *     for (let i = typeof position === 'number' ? position : 0; i < 3; i++) yield { value: 'abc'[i] ?? '', position: i + 1 };
   *   },
   * });
   * ```
   */
  static fromSource<T>(source: Source<T>): Dataset<T> {
    return new Dataset({
      summary: source.name,
      open: (position, ctx) => source.open(position, ctx),
      check: acceptAny,
    });
  }

  /**
   * A Dataset over an array (position: how many elements were produced; the array is used as is, not
   * copied, so do not change it while iterating) or over a factory of (async) iterables, called once per
   * pass; a factory must produce the same sequence every time, since resuming calls it and skips the
   * elements already produced. Other iterables are refused (a generator can be iterated only once).
   *
   * @example
   * ```ts
   * const numbers = Dataset.from([1, 2, 3]);
   * const lines = Dataset.from(() => readLines('catalog.txt'));
   * ```
   */
  static from<T>(items: readonly T[] | (() => Iterable<T> | AsyncIterable<T>)): Dataset<T> {
    if (Array.isArray(items)) {
      const array = items as readonly T[];
      return new Dataset({
        summary: `Array(${array.length})`,
        check: checkCount('Array'),
        open: async function* (position) {
          for (let i = position === undefined ? 0 : (position as number); i < array.length; i++) {
            yield { value: array[i] as T, position: i + 1 };
          }
        },
      });
    }
    if (typeof items !== 'function') {
      throw invalidArgument('Dataset.from takes an array or a function returning an iterable');
    }
    const factory = items;
    return new Dataset({
      summary: 'Iterable',
      check: checkCount('Iterable'),
      open: async function* (position) {
        const skip = position === undefined ? 0 : (position as number);
        const produced = factory();
        let i = 0;
        if (Symbol.asyncIterator in Object(produced)) {
          for await (const value of produced as AsyncIterable<T>) {
            if (++i > skip) yield { value, position: i };
          }
        } else {
          for (const value of produced as Iterable<T>) {
            if (++i > skip) yield { value, position: i };
          }
        }
      },
    });
  }

  /**
   * Starts a fresh pass.
   *
   * @example
   * ```ts
   * for await (const x of Dataset.from([1, 2, 3])) console.log(x);
   * ```
   */
  [Symbol.asyncIterator](): DatasetIterator<T> {
    return new PassIterator(this.#node, this.#start);
  }

  /**
   * The pipeline in words, e.g. `Layout -> Shuffle(seed=1, buffer=100) -> Map(concurrency=4) -> Batch(32)`.
   * It is the `pipeline` of every state, checked by {@link Dataset.resume}.
   *
   * @example
   * ```ts
   * Dataset.from([1, 2]).map((x) => x * 2).summary(); // 'Array(2) -> Map(concurrency=1)'
   * ```
   */
  summary(): string {
    return this.#node.summary;
  }

  /**
   * A Dataset whose every pass continues right after the element `state` was taken at (from the start if
   * it was taken before the first element; empty if after the last). Throws `REELSET_E_STATE` when the
   * state is malformed or was taken on another pipeline.
   *
   * @example
   * ```ts
   * const it = dataset[Symbol.asyncIterator]();
   * for (let i = 0; i < 100; i++) await it.next();
   * writeFileSync('state.json', JSON.stringify(it.state()));
   * // later, in another process:
   * for await (const x of dataset.resume(JSON.parse(readFileSync('state.json', 'utf8')))) use(x);
   * ```
   */
  resume(state: IterationState): Dataset<T> {
    if (
      typeof state !== 'object' ||
      state === null ||
      state.version !== 1 ||
      typeof state.pipeline !== 'string' ||
      !('position' in state) ||
      !isJson(state.position)
    ) {
      throw stateError('Malformed iteration state');
    }
    if (state.pipeline !== this.#node.summary) {
      throw stateError(`The state was taken on "${state.pipeline}", not on "${this.#node.summary}"`);
    }
    const position = state.position === null ? undefined : state.position;
    if (position !== undefined) this.#node.check(position);
    return new Dataset(this.#node, position);
  }

  /**
   * Collects one pass into an array.
   *
   * @example
   * ```ts
   * await Dataset.from([1, 2, 3]).map((x) => x + 1).toArray(); // [2, 3, 4]
   * ```
   */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const x of this) out.push(x);
    return out;
  }

  /**
   * Applies `fn` to every element (`index` counts from 0 within a pass and continues on resume). With
   * `concurrency > 1`, up to that many calls run at once; the order is kept. An error thrown by `fn` ends
   * the pass and reaches the consumer.
   *
   * @example
   * ```ts
   * const samples = refs.map(async (ref) => decode(ref), { concurrency: 8 });
   * ```
   */
  map<U>(fn: (x: T, index: number) => U | Promise<U>, options: MapOptions = {}): Dataset<U> {
    const concurrency = checkInteger('map: concurrency', options.concurrency ?? 1, 1);
    const readAhead = checkInteger('map: readAhead', options.readAhead ?? 0, 0);
    if (options.label !== undefined && (typeof options.label !== 'string' || options.label === '')) {
      throw invalidArgument('map: label must be a non-empty string');
    }
    return this.#derive(
      options.label ?? `Map(concurrency=${concurrency}${readAhead > 0 ? `, readAhead=${readAhead}` : ''})`,
      mapOp(this.#upstream(), fn, concurrency, readAhead),
      checkCountAt('Map', this.#node.check),
    );
  }

  /**
   * Keeps the elements for which `pred` is true.
   *
   * @example
   * ```ts
   * const long = clips.filter((c) => (c.durationSec ?? 0) > 5);
   * ```
   */
  filter(pred: (x: T) => boolean | Promise<boolean>): Dataset<T> {
    return this.#derive('Filter', filterOp(this.#upstream(), pred), this.#node.check);
  }

  /**
   * Shuffles through a buffer of `bufferSize` elements with a seeded PRNG (mulberry32). The order depends
   * only on the seed and the epoch (passed down by {@link Dataset.repeat}): every fresh pass of the same
   * epoch has the same order. Resuming replays the upstream of the current pass, so shuffle cheap
   * references before expensive decoding.
   *
   * @example
   * ```ts
   * const shuffled = Dataset.from(ids).shuffle({ seed: 42, bufferSize: 10_000 });
   * ```
   */
  shuffle(options: ShuffleOptions): Dataset<T> {
    const seed = checkInteger('shuffle: seed', options?.seed);
    const bufferSize = checkInteger('shuffle: bufferSize', options.bufferSize, 1);
    return this.#derive(
      `Shuffle(seed=${seed}, buffer=${bufferSize})`,
      shuffleOp(this.#upstream(), seed, bufferSize),
      checkCountAt('Shuffle', this.#node.check),
    );
  }

  /**
   * Groups consecutive elements into arrays of `size` (the last one may be smaller unless `dropRemainder`).
   *
   * @example
   * ```ts
   * const batches = Dataset.from([1, 2, 3, 4, 5]).batch(2); // [1, 2], [3, 4], [5]
   * ```
   */
  batch(size: number, options: BatchOptions = {}): Dataset<T[]> {
    checkInteger('batch: size', size, 1);
    const drop = options.dropRemainder === true;
    return this.#derive(
      drop ? `Batch(${size}, dropRemainder)` : `Batch(${size})`,
      batchOp(this.#upstream(), size, drop),
      this.#node.check,
    );
  }

  /**
   * The first `n` elements of each pass.
   *
   * @example
   * ```ts
   * const preview = dataset.take(10);
   * ```
   */
  take(n: number): Dataset<T> {
    checkInteger('take: n', n, 0);
    return this.#derive(`Take(${n})`, takeOp(this.#upstream(), n), checkCountAt('Take', this.#node.check));
  }

  /**
   * Every element but the first `n` of each pass.
   *
   * @example
   * ```ts
   * const rest = dataset.skip(10);
   * ```
   */
  skip(n: number): Dataset<T> {
    checkInteger('skip: n', n, 0);
    return this.#derive(`Skip(${n})`, skipOp(this.#upstream(), n), this.#node.check);
  }

  /**
   * This worker's share: element i (counting from 0 in each pass) goes to rank `i % worldSize`. Shard
   * after a seeded shuffle, so that all ranks agree on the order and their shares are disjoint.
   *
   * @example
   * ```ts
   * const mine = dataset.shuffle({ seed: 1, bufferSize: 1000 }).shard({ rank: 2, worldSize: 8 });
   * ```
   */
  shard(options: ShardOptions): Dataset<T> {
    const worldSize = checkInteger('shard: worldSize', options?.worldSize, 1);
    const rank = checkInteger('shard: rank', options.rank, 0);
    if (rank >= worldSize)
      throw invalidArgument(`shard: rank must be < worldSize (${worldSize}), got ${rank}`);
    return this.#derive(
      `Shard(rank=${rank}, worldSize=${worldSize})`,
      shardOp(this.#upstream(), rank, worldSize),
      this.#node.check,
    );
  }

  /**
   * Reads up to `n` elements ahead in the background, so that the upstream works while the consumer does.
   *
   * @example
   * ```ts
   * const smooth = decoded.batch(32).prefetch(2);
   * ```
   */
  prefetch(n: number): Dataset<T> {
    checkInteger('prefetch: n', n, 1);
    return this.#derive(`Prefetch(${n})`, prefetchOp(this.#upstream(), n), this.#node.check);
  }

  /**
   * Runs the upstream `epochs` times (forever when undefined), each as a fresh pass with its own epoch
   * number (`ctx.epoch`), so a shuffle upstream gives every epoch its own order. Nested repeats number
   * epochs `outer * epochs + e` (or `outer + e` when repeating forever). Repeating forever stops when a
   * fresh epoch yields nothing.
   *
   * @example
   * ```ts
   * const tenEpochs = dataset.shuffle({ seed: 1, bufferSize: 1000 }).repeat(10);
   * ```
   */
  repeat(epochs?: number): Dataset<T> {
    if (epochs !== undefined) checkInteger('repeat: epochs', epochs, 0);
    return this.#derive(
      epochs === undefined ? 'Repeat(forever)' : `Repeat(${epochs})`,
      repeatOp(this.#upstream(), epochs),
      checkCountAt('Repeat', this.#node.check, 'epoch'),
    );
  }

  /**
   * Decodes once: the first pass that runs from start to end stores the elements (in memory, shared by
   * every pass and iterator of the returned Dataset and of Datasets built on it; or, with `dir`, in chunk
   * files serialized with `node:v8`), and later passes read the store instead of the upstream. An
   * interrupted pass stores nothing. A disk cache is reused by later processes with the same upstream
   * `summary()` (recorded in its manifest, written last by atomic rename) without touching the upstream;
   * a manifest with another pipeline is a `REELSET_E_CACHE` error (delete the folder to rebuild). The cache
   * keeps the elements of one pass: a shuffle upstream of it is frozen in its first order.
   *
   * @example
   * ```ts
   * const decoded = refs.map(decode, { concurrency: 8 }).cache({ dir: '.cache/decoded' });
   * for (let epoch = 0; epoch < 10; epoch++) for await (const s of decoded.shuffle({ seed: epoch, bufferSize: 1000 })) train(s);
   * ```
   */
  cache(options: CacheOptions = {}): Dataset<T> {
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
      throw invalidArgument('cache: dir must be a non-empty string');
    }
    if (options.chunkBytes !== undefined) checkInteger('cache: chunkBytes', options.chunkBytes, 1);
    return this.#derive(
      options.dir === undefined ? 'Cache' : 'Cache(disk)',
      cacheOp(this.#upstream(), this.#node.summary, options),
      checkCountAt('Cache', this.#node.check),
    );
  }

  /**
   * Splits into train, validation and test by a stable hash of each element's key and the seed (the first
   * 48 bits of a SHA-256): the same key always lands in the same split, whatever the order, duplicates or
   * machine. The default key is the element's string `id` (else `REELSET_E_INVALID_ARGUMENT`).
   *
   * @example
   * ```ts
   * const { train, validation, test } = samples.split({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
   * ```
   */
  split(options: SplitOptions<T>): Splits<T> {
    const { train, validation, test, seed } = options ?? ({} as SplitOptions<T>);
    for (const [name, value] of Object.entries({ train, validation, test })) {
      checkNumber(`split: ${name}`, value, 0, 1);
    }
    if (Math.abs(train + validation + test - 1) > 1e-9) {
      throw invalidArgument(`split: train + validation + test must be 1, got ${train + validation + test}`);
    }
    checkInteger('split: seed', seed);
    const key = options.key ?? defaultKey;
    const part = (x: T): number => {
      const k = key(x);
      if (typeof k !== 'string' && typeof k !== 'number')
        throw invalidArgument('split: key must return a string or number');
      const u = splitFraction(String(k), seed);
      return u < train ? 0 : u < train + validation ? 1 : 2;
    };
    const fractions = `${train}/${validation}/${test}`;
    const make = (index: number, name: string): Dataset<T> =>
      this.#derive(
        `Split(${name}, ${fractions}, seed=${seed})`,
        filterOp(this.#upstream(), (x) => part(x) === index),
        this.#node.check,
      );
    return { train: make(0, 'train'), validation: make(1, 'validation'), test: make(2, 'test') };
  }

  /** How passes of operators built on this Dataset open it: at the resumed position when there is one. */
  #upstream(): Open<T> {
    const { open } = this.#node;
    const start = this.#start;
    return start === undefined ? open : (position, ctx) => open(position ?? start, ctx);
  }

  #derive<U>(label: string, open: Open<U>, check: Check): Dataset<U> {
    return new Dataset<U>({ summary: `${this.#node.summary} -> ${label}`, open, check });
  }
}
