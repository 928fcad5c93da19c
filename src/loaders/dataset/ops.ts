/**
 * @module dataset/ops — one pass of each `Dataset` operator: a function that opens the pass at a position
 * and returns an async iterable of positioned elements.
 *
 * Internally `undefined` means "the start"; inside composite positions it is written as `null`. Operators
 * whose position is just the upstream one ("pass-through": filter, skip, shard, batch, prefetch) allocate
 * nothing per element; the others allocate one small `{ n, at }` object per element.
 */
import { ReelsetError } from '../../errors.js';
import { Limiter } from '../../util/concurrency.js';
import { mulberry32, shuffleSeed } from '../../util/random.js';
import type { Json, PassContext, Positioned } from './source.js';

/**
 * Opens one pass of a pipeline stage right after `position` (at the start when undefined).
 *
 * @example
 * ```ts
 * const open: Open<number> = async function* (position) {
 *   for (let i = typeof position === 'number' ? position : 0; i < 3; i++) yield { value: i, position: i + 1 };
 * };
 * ```
 */
export type Open<T> = (position: Json | undefined, ctx: PassContext) => AsyncIterable<Positioned<T>>;

/**
 * Validates a position of a pipeline stage (throws `REELSET_E_STATE` when it cannot be one of its own).
 *
 * @example
 * ```ts
 * const check: Check = (position) => {
 *   if (typeof position !== 'number') throw stateError('not a number');
 * };
 * ```
 */
export type Check = (position: Json) => void;

/**
 * A `REELSET_E_STATE` error.
 *
 * @example
 * ```ts
 * throw stateError('Take: malformed position');
 * ```
 */
export function stateError(message: string): ReelsetError {
  return new ReelsetError('REELSET_E_STATE', message);
}

/**
 * The parts of a composite position `{ [key]: count, at: upstream position or null }`.
 *
 * @example
 * ```ts
 * const { n, at } = countAt({ n: 3, at: 17 }, 'Take'); // n = 3, at = 17
 * ```
 */
export function countAt(
  position: Json | undefined,
  op: string,
  key = 'n',
): { n: number; at: Json | undefined } {
  if (position === undefined) return { n: 0, at: undefined };
  if (position === null || typeof position !== 'object' || Array.isArray(position)) {
    throw stateError(`${op}: malformed position ${JSON.stringify(position)}`);
  }
  const n = position[key];
  const at = position.at;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || at === undefined) {
    throw stateError(`${op}: malformed position ${JSON.stringify(position)}`);
  }
  return { n, at: at === null ? undefined : at };
}

/**
 * A {@link Check} for positions of the form `{ [key]: count, at }`, checking `at` with the upstream check.
 *
 * @example
 * ```ts
 * const check = checkCountAt('Take', upstreamCheck);
 * ```
 */
export function checkCountAt(op: string, upstream: Check, key = 'n'): Check {
  return (position) => {
    const { at } = countAt(position, op, key);
    if (at !== undefined) upstream(at);
  };
}

function isPromiseLike<V>(value: V | PromiseLike<V>): value is PromiseLike<V> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const noop = (): void => {};

/**
 * `map`: position `{ n: elements mapped so far, at: upstream position }`, so the index given to `fn` continues
 * exactly after a resume. With `concurrency > 1`, up to that many calls run at once and outputs keep the
 * upstream order; each queued call remembers its own position, so read-ahead is never counted. With
 * `readAhead > 0`, up to `concurrency + readAhead` elements are read and held in order, while a
 * {@link Limiter} keeps at most `concurrency` calls running.
 *
 * @example
 * ```ts
 * const doubled = mapOp(open, (x: number) => x * 2, 4, 4);
 * ```
 */
export function mapOp<T, U>(
  up: Open<T>,
  fn: (x: T, index: number) => U | Promise<U>,
  concurrency: number,
  readAhead = 0,
): Open<U> {
  return (position, ctx) => {
    const { n, at } = countAt(position, 'Map');
    if (concurrency === 1 && readAhead === 0) return mapSerial(up(at, ctx), fn, n);
    const call = readAhead === 0 ? fn : limited(fn, new Limiter(concurrency)); // one limiter a pass
    return mapParallel(up(at, ctx), call, n, concurrency + readAhead);
  };
}

/** `fn`, run in a slot of `limiter`. */
function limited<T, U>(
  fn: (x: T, index: number) => U | Promise<U>,
  limiter: Limiter,
): (x: T, index: number) => Promise<U> {
  return (x, index) => limiter.run(async () => fn(x, index));
}

async function* mapSerial<T, U>(
  src: AsyncIterable<Positioned<T>>,
  fn: (x: T, index: number) => U | Promise<U>,
  start: number,
): AsyncGenerator<Positioned<U>> {
  let i = start;
  for await (const item of src) {
    const out = fn(item.value, i);
    const value = isPromiseLike(out) ? await out : out;
    i++;
    yield { value, position: { n: i, at: item.position } };
  }
}

async function* mapParallel<T, U>(
  src: AsyncIterable<Positioned<T>>,
  fn: (x: T, index: number) => U | Promise<U>,
  start: number,
  window: number,
): AsyncGenerator<Positioned<U>> {
  const it = src[Symbol.asyncIterator]();
  const queue: { result: Promise<U>; position: Json }[] = [];
  let exhausted = false;
  let i = start;
  try {
    for (;;) {
      while (!exhausted && queue.length < window) {
        const r = await it.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        let result: Promise<U>;
        try {
          result = Promise.resolve(fn(r.value.value, i));
        } catch (err) {
          result = Promise.reject(err);
        }
        // A rejection is rethrown when its turn comes; until then (or if it never comes) it is handled.
        result.catch(noop);
        i++;
        queue.push({ result, position: { n: i, at: r.value.position } });
      }
      const head = queue.shift();
      if (head === undefined) return;
      yield { value: await head.result, position: head.position };
    }
  } finally {
    if (!exhausted) await it.return?.();
  }
}

/**
 * `filter`: pass-through positions.
 *
 * @example
 * ```ts
 * const even = filterOp(open, (x: number) => x % 2 === 0);
 * ```
 */
export function filterOp<T>(up: Open<T>, pred: (x: T) => boolean | Promise<boolean>): Open<T> {
  return async function* (position, ctx) {
    for await (const item of up(position, ctx)) {
      const keep = pred(item.value);
      if (typeof keep === 'boolean' ? keep : await keep) yield item;
    }
  };
}

/**
 * `shuffle`: a buffer shuffle driven by mulberry32 seeded with `(seed, ctx.epoch)`. Resumes by replay: the
 * position is `{ n: outputs so far, at: upstream position where this pass began }`; a resumed pass reopens
 * the upstream at `at` and discards `n` outputs.
 *
 * @example
 * ```ts
 * const shuffled = shuffleOp(open, 42, 1000);
 * ```
 */
export function shuffleOp<T>(up: Open<T>, seed: number, bufferSize: number): Open<T> {
  return async function* (position, ctx) {
    const { n: discard, at } = countAt(position, 'Shuffle');
    const begin = at === undefined ? null : at;
    const rng = mulberry32(shuffleSeed(seed, ctx.epoch));
    const buffer: T[] = [];
    let count = 0;
    for await (const item of up(at, ctx)) {
      if (buffer.length < bufferSize) {
        buffer.push(item.value);
        continue;
      }
      const j = Math.floor(rng() * bufferSize);
      const value = buffer[j] as T;
      buffer[j] = item.value;
      if (++count > discard) yield { value, position: { n: count, at: begin } };
    }
    while (buffer.length > 0) {
      const j = Math.floor(rng() * buffer.length);
      const value = buffer[j] as T;
      buffer[j] = buffer[buffer.length - 1] as T;
      buffer.pop();
      if (++count > discard) yield { value, position: { n: count, at: begin } };
    }
  };
}

/**
 * `batch`: the position of a batch is the upstream position of its last element (pass-through).
 *
 * @example
 * ```ts
 * const batches = batchOp(open, 32, false);
 * ```
 */
export function batchOp<T>(up: Open<T>, size: number, dropRemainder: boolean): Open<T[]> {
  return async function* (position, ctx) {
    let batch: T[] = [];
    let last: Json = null;
    for await (const item of up(position, ctx)) {
      batch.push(item.value);
      last = item.position;
      if (batch.length === size) {
        yield { value: batch, position: last };
        batch = [];
      }
    }
    if (batch.length > 0 && !dropRemainder) yield { value: batch, position: last };
  };
}

/**
 * `take`: position `{ n: taken so far, at: upstream position }`. Never reads past the n-th element.
 *
 * @example
 * ```ts
 * const firstTen = takeOp(open, 10);
 * ```
 */
export function takeOp<T>(up: Open<T>, limit: number): Open<T> {
  return async function* (position, ctx) {
    const { n, at } = countAt(position, 'Take');
    let count = n;
    if (count >= limit) return;
    for await (const item of up(at, ctx)) {
      count++;
      yield { value: item.value, position: { n: count, at: item.position } };
      if (count >= limit) return;
    }
  };
}

/**
 * `skip`: pass-through positions. A pass opened at a position is past the skipped part already.
 *
 * @example
 * ```ts
 * const rest = skipOp(open, 10);
 * ```
 */
export function skipOp<T>(up: Open<T>, count: number): Open<T> {
  return async function* (position, ctx) {
    let left = position === undefined ? count : 0;
    for await (const item of up(position, ctx)) {
      if (left > 0) {
        left--;
        continue;
      }
      yield item;
    }
  };
}

/**
 * `shard`: element i goes to rank `i % worldSize`. Pass-through positions: a fresh pass skips `rank`
 * elements before its first, a resumed one (opened right after one of its own elements) skips
 * `worldSize - 1`; then every element is followed by `worldSize - 1` skipped ones.
 *
 * @example
 * ```ts
 * const mine = shardOp(open, 1, 4);
 * ```
 */
export function shardOp<T>(up: Open<T>, rank: number, worldSize: number): Open<T> {
  return async function* (position, ctx) {
    let gap = position === undefined ? rank : worldSize - 1;
    for await (const item of up(position, ctx)) {
      if (gap > 0) {
        gap--;
        continue;
      }
      yield item;
      gap = worldSize - 1;
    }
  };
}

/**
 * `prefetch`: a background task reads up to `size` elements ahead into a queue. Pass-through positions
 * (each queued element keeps its own). An upstream error reaches the consumer after the elements read
 * before it. Closing the pass stops the task and closes the upstream before `return()` resolves.
 *
 * @example
 * ```ts
 * const ahead = prefetchOp(open, 8);
 * ```
 */
export function prefetchOp<T>(up: Open<T>, size: number): Open<T> {
  return (position, ctx) => prefetchPass(up(position, ctx), size);
}

async function* prefetchPass<T>(
  src: AsyncIterable<Positioned<T>>,
  size: number,
): AsyncGenerator<Positioned<T>> {
  const it = src[Symbol.asyncIterator]();
  const queue: Positioned<T>[] = [];
  let finished = false;
  let failed = false;
  let error: unknown;
  let closed = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (): void => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };
  const producer = (async () => {
    let exhausted = false;
    try {
      while (!closed) {
        if (queue.length >= size) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve;
          });
          continue;
        }
        const r = await it.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        queue.push(r.value);
        wake();
      }
    } catch (err) {
      exhausted = true;
      failed = true;
      error = err;
    }
    finished = true;
    wake();
    if (!exhausted) await it.return?.();
  })();
  try {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        const w = wakeProducer;
        wakeProducer = undefined;
        w?.();
        yield item;
        continue;
      }
      if (finished) {
        if (failed) throw error;
        return;
      }
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
    }
  } finally {
    closed = true;
    const w = wakeProducer;
    wakeProducer = undefined;
    w?.();
    await producer;
  }
}

/**
 * `repeat`: position `{ epoch, at: upstream position in that epoch }`. Epoch `e` of the repeat opens a fresh
 * upstream pass with `ctx.epoch = outer * epochs + e` (finite) or `outer + e` (forever), where `outer` is the
 * enclosing pass's epoch (0 at top level). Repeating forever stops if a fresh epoch yields nothing.
 *
 * @example
 * ```ts
 * const threeEpochs = repeatOp(open, 3);
 * ```
 */
export function repeatOp<T>(up: Open<T>, epochs: number | undefined): Open<T> {
  return async function* (position, ctx) {
    const resumed = countAt(position, 'Repeat', 'epoch');
    let at = resumed.at;
    const total = epochs ?? Number.POSITIVE_INFINITY;
    for (let e = resumed.n; e < total; e++) {
      const epoch = epochs === undefined ? ctx.epoch + e : ctx.epoch * epochs + e;
      const fresh = at === undefined;
      let produced = false;
      for await (const item of up(at, { ...ctx, epoch })) {
        produced = true;
        yield { value: item.value, position: { epoch: e, at: item.position } };
      }
      if (fresh && !produced && epochs === undefined) return;
      at = undefined;
    }
  };
}
