/**
 * @module pool — runs an async function over an async iterable with at most N calls at once, and checks
 * the tools' whole-number options (such as that N).
 */
import { ReelsetError } from '../errors.js';

/**
 * Checks a whole-number option of a tool: a safe integer from `min` to `max`. Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * const concurrency = checkWhole('concurrency', options.concurrency ?? 4, 1, 64);
 * ```
 */
export function checkWhole(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `${name} must be a whole number from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/**
 * Calls `fn` for each element of `source`, at most `limit` calls at a time, pulling elements only as
 * workers free up (so a streamed source is never read ahead by more than `limit`). Rejects with the first
 * error after the calls in flight have settled; no new call starts after an error.
 *
 * @example
 * ```ts
 * await forEachLimit(listItems(root), 8, async (item) => {
 *   await inspect(item);
 * });
 * ```
 */
export async function forEachLimit<T>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (value: T) => Promise<void>,
): Promise<void> {
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  let failed = false;
  let error: unknown;
  let pulling: Promise<unknown> = Promise.resolve();
  // Calls to next() are chained so that a sync or async iterator is never asked twice at once.
  const pull = (): Promise<IteratorResult<T>> => {
    const next = pulling.then(() => it.next());
    pulling = next.catch(() => undefined);
    return next;
  };
  const worker = async (): Promise<void> => {
    while (!failed) {
      let next: IteratorResult<T>;
      try {
        next = await pull();
      } catch (err) {
        if (!failed) error = err;
        failed = true;
        return;
      }
      if (next.done || failed) return;
      try {
        await fn(next.value);
      } catch (err) {
        if (!failed) error = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(limit)) }, worker));
  if (failed) {
    await it.return?.();
    throw error;
  }
}
