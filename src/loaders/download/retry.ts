/**
 * @module download/retry — small pieces of the downloader: abortable sleep, backoff with full jitter,
 * `Retry-After` parsing and a shared token bucket (bytes per second).
 */
import { ReelsetError } from '../../errors.js';

/**
 * Waits `ms` milliseconds; rejects with `REELSET_E_ABORTED` as soon as `signal` aborts.
 *
 * @example
 * ```ts
 * await sleep(100, controller.signal);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The error a stopped download reports: `REELSET_E_ABORTED`, with the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw abortError(signal);
 * ```
 */
export function abortError(signal: AbortSignal): ReelsetError {
  return new ReelsetError('REELSET_E_ABORTED', 'Download aborted', { cause: signal.reason });
}

/**
 * Exponential backoff with full jitter: a uniform delay in `[0, min(maxMs, baseMs * 2^attempt))`.
 *
 * @param attempt 0 for the first retry
 * @example
 * ```ts
 * backoffMs(3, 200, 30_000); // somewhere in [0, 1600)
 * ```
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a `Retry-After` header (delay seconds, or an HTTP date) into milliseconds from `nowMs`; undefined
 * when absent or unreadable. A date in the past gives 0.
 *
 * @example
 * ```ts
 * retryAfterMs('3'); // 3000
 * retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')); // 2000
 * ```
 */
export function retryAfterMs(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * A token bucket shared by every download of a run: `take(n)` waits until `n` bytes may pass at
 * `bytesPerSecond` (bursts up to one second's worth). Waiters are served in order.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(1_000_000);
 * await bucket.take(chunk.length);
 * ```
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  /** @param bytesPerSecond the sustained rate (> 0) */
  constructor(bytesPerSecond: number) {
    this.#rate = bytesPerSecond;
    this.#burst = Math.max(bytesPerSecond, 16 * 1024);
    this.#tokens = this.#burst;
    this.#last = performance.now();
  }

  /** Waits until `n` bytes may pass (rejects with `REELSET_E_ABORTED` when `signal` aborts). */
  take(n: number, signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#consume(n, signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #consume(n: number, signal?: AbortSignal): Promise<void> {
    let left = n;
    while (left > 0) {
      const t = performance.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((t - this.#last) / 1000) * this.#rate);
      this.#last = t;
      const piece = Math.min(left, this.#burst);
      if (this.#tokens >= piece) {
        this.#tokens -= piece;
        left -= piece;
      } else {
        await sleep(Math.ceil(((piece - this.#tokens) / this.#rate) * 1000), signal);
      }
    }
  }
}
