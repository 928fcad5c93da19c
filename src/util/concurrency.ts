/**
 * @module util/concurrency — the one concurrency primitive: a {@link Limiter} of calls in flight, and
 * {@link forEachLimit}, which runs a function over a stream with it.
 */
import { checkInteger } from './options.js';

/**
 * At most `size` tasks at once: `run(task)` waits for a free slot (first come, first served), runs the task
 * and frees the slot when it settles.
 *
 * @example
 * ```ts
 * const limiter = new Limiter(4);
 * const results = await Promise.all(paths.map((p) => limiter.run(() => decode(p)))); // 4 at a time
 * ```
 */
export class Limiter {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  /** @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` unless `size` is a whole number ≥ 1. */
  constructor(size: number) {
    this.#free = checkInteger('concurrency', size, 1);
  }

  /**
   * Waits for a free slot and takes it; give it back with {@link Limiter.release}.
   *
   * @example
   * ```ts
   * await limiter.acquire();
   * try { await work(); } finally { limiter.release(); }
   * ```
   */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Gives a slot back: to the longest waiting caller, or to the pool.
   *
   * @example
   * ```ts
   * limiter.release();
   * ```
   */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }

  /**
   * Runs `task` in a slot.
   *
   * @example
   * ```ts
   * const image = await limiter.run(() => decodeImage(path));
   * ```
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}

/**
 * Calls `fn` for each element of `source`, at most `limit` calls at a time, pulling an element only when a
 * slot is free (so a streamed source is never read ahead by more than `limit`). Rejects with the first
 * error after the calls in flight have settled; no new call starts after an error, and the source is
 * closed.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` unless `limit` is a whole number ≥ 1.
 * @example
 * ```ts
 * await forEachLimit(scanEntries(root), 8, async (entry) => {
 *   await inspect(entry);
 * });
 * ```
 */
export async function forEachLimit<T>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (value: T) => Promise<void>,
): Promise<void> {
  const limiter = new Limiter(limit);
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let exhausted = false;
  while (failure === undefined) {
    await limiter.acquire();
    if (failure !== undefined) break;
    let next: IteratorResult<T>;
    try {
      next = await it.next();
    } catch (error) {
      failure = { error };
      exhausted = true;
      break;
    }
    if (next.done) {
      exhausted = true;
      break;
    }
    if (failure !== undefined) break;
    const call = fn(next.value)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        running.delete(call);
        limiter.release();
      });
    running.add(call);
  }
  await Promise.all(running);
  if (failure !== undefined) {
    if (!exhausted) await it.return?.();
    throw failure.error;
  }
}
