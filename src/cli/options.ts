/**
 * @module options — parsers of command-line option values shared by the commands: each returns the value
 * or throws `ReelsetError` `REELSET_E_INVALID_ARGUMENT` naming the option, in the style of util/options.
 */
import { invalidArgument, rangeText } from '../util/options.js';

/**
 * Parses a whole number within `[min, max]`, for commander's `argParser`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` naming `flag` otherwise.
 * @example
 * ```ts
 * program.option('--limit <n>', 'at most n samples', integerOption('--limit', 1));
 * ```
 */
export function integerOption(
  flag: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): (value: string) => number {
  return (value) => {
    const parsed = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw invalidArgument(
        `${flag} must be a whole number${rangeText(min, max)}, got ${JSON.stringify(value)}`,
      );
    }
    return parsed;
  };
}

/**
 * Parses a finite number within `[min, max]`, for commander's `argParser`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` naming `flag` otherwise.
 * @example
 * ```ts
 * program.option('--seconds <s>', 'clip length', numberOption('--seconds', 0.1, 600));
 * ```
 */
export function numberOption(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw invalidArgument(`${flag} must be a number${rangeText(min, max)}, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };
}
