/**
 * @module util/options — the one checker of option values, with one message style:
 * `<name> must be <what>, got <value>` (a `ReelsetError` `REELSET_E_INVALID_ARGUMENT`).
 */
import { ReelsetError } from '../errors.js';

/**
 * A `REELSET_E_INVALID_ARGUMENT` error with `message`.
 *
 * @example
 * ```ts
 * throw invalidArgument('labels must be a non-empty array of label names');
 * ```
 */
export function invalidArgument(message: string, cause?: unknown): ReelsetError {
  return new ReelsetError('REELSET_E_INVALID_ARGUMENT', message, cause === undefined ? undefined : { cause });
}

/**
 * A value as an option message shows it: numbers and booleans as they are, strings quoted and named as
 * strings (so that `'8'` is not mistaken for `8`), other values by their kind.
 *
 * @example
 * ```ts
 * describeValue(8); // '8'
 * describeValue('8'); // 'the string "8"'
 * describeValue([1]); // 'an array'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return typeof value === 'bigint' ? `the bigint ${value}` : String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'function' ? 'a function' : 'an object';
}

/**
 * The range part of a message: `from 1 to 64`, `≥ 1` or `≤ 10`, or nothing.
 *
 * @example
 * ```ts
 * rangeText(1, 64); // ' from 1 to 64'
 * ```
 */
export function rangeText(min: number, max: number): string {
  const hasMin = min > Number.MIN_SAFE_INTEGER;
  const hasMax = max < Number.MAX_SAFE_INTEGER;
  if (hasMin && hasMax) return ` from ${min} to ${max}`;
  if (hasMin) return ` ≥ ${min}`;
  return hasMax ? ` ≤ ${max}` : '';
}

/**
 * Checks a whole-number option: a safe integer from `min` to `max` (both included). Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise, e.g. `concurrency must be a whole number ≥ 1,
 *   got the string "8"`.
 * @example
 * ```ts
 * const concurrency = checkInteger('concurrency', options.concurrency ?? 4, 1, 64);
 * ```
 */
export function checkInteger(
  name: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(
      `${name} must be a whole number${rangeText(min, max)}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks a number option: finite, from `min` to `max` (both included). Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * const seconds = checkNumber('seconds', options.seconds ?? 2, 0.1, 600);
 * ```
 */
export function checkNumber(
  name: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidArgument(`${name} must be a number${rangeText(min, max)}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks a number option that must be above 0 (and at most `max`). Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * const fps = checkPositive('video.fps', options.fps, 1000);
 * ```
 */
export function checkPositive(name: string, value: unknown, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    const most = max < Number.MAX_VALUE ? ` and at most ${max}` : '';
    throw invalidArgument(`${name} must be a number above 0${most}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks that an option is one of `allowed`. Returns it, typed.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise, listing the allowed values.
 * @example
 * ```ts
 * const onError = checkOneOf('onError', options.onError ?? 'skip', ['skip', 'throw'] as const);
 * ```
 */
export function checkOneOf<const T>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    const list = allowed.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
    throw invalidArgument(`${name} must be one of ${list}, got ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * Checks an optional callback option: undefined or a function. Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * const onSkip = checkFunction('onSkip', options.onSkip);
 * ```
 */
export function checkFunction<F extends (...args: never[]) => unknown>(
  name: string,
  value: F | undefined,
): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw invalidArgument(`${name} must be a function, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks an optional boolean option, with its default. Returns it.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * const lowercase = checkBoolean('text.lowercase', options.lowercase, false);
 * ```
 */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw invalidArgument(`${name} must be true or false, got ${describeValue(value)}`);
  return value;
}
