/**
 * @module fields — validation of the metadata fields shared by the catalog and the on-disk `.txt` files:
 * ids, URLs and `m:ss` durations. Each check returns the cleaned value or throws a {@link ReelsetError}.
 */
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';

const DIGITS = /^[0-9]{1,12}$/;
const DURATION = /^(?:(\d{1,3}):)?(\d{1,4}):([0-5]\d)$/;

/**
 * Checks an mp4_id: 1 to 12 ASCII digits. Returns it without leading zeros (the catalog's form), so
 * `'099945958'` and `'99945958'` name the same clip.
 *
 * @throws ReelsetError with `code` (default `REELSET_E_BAD_ITEM`) when it is not digits.
 * @example
 * ```ts
 * parseId('099945958'); // '99945958'
 * ```
 */
export function parseId(value: unknown, code: ReelsetErrorCode = 'REELSET_E_BAD_ITEM'): string {
  if (typeof value !== 'string' || !DIGITS.test(value)) {
    throw new ReelsetError(code, `mp4_id must be 1-12 digits, got ${JSON.stringify(value)}`);
  }
  return value.replace(/^0+(?=\d)/, '');
}

/**
 * Checks a download URL: an absolute `http:` or `https:` URL with a host. Returns it unchanged.
 *
 * @throws ReelsetError with `code` (default `REELSET_E_BAD_ITEM`) for anything else (`file:`, `javascript:`...).
 * @example
 * ```ts
 * parseHttpUrl('https://p5-v1.xpccdn.com/099945958_main_xl.mp4');
 * ```
 */
export function parseHttpUrl(value: unknown, code: ReelsetErrorCode = 'REELSET_E_BAD_ITEM'): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return value;
    } catch {
      // reported below
    }
  }
  throw new ReelsetError(code, `Expected an http(s) URL, got ${JSON.stringify(value)}`);
}

/**
 * Converts a duration written `m:ss` (or `h:mm:ss`) to seconds.
 *
 * @throws ReelsetError with `code` (default `REELSET_E_BAD_ITEM`) for any other form.
 * @example
 * ```ts
 * parseDuration('0:15'); // 15
 * parseDuration('1:02:03'); // 3723
 * ```
 */
export function parseDuration(value: unknown, code: ReelsetErrorCode = 'REELSET_E_BAD_ITEM'): number {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  if (!match) throw new ReelsetError(code, `Expected a duration m:ss, got ${JSON.stringify(value)}`);
  const [, hours, minutes, seconds] = match;
  return Number(hours ?? 0) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/**
 * Writes seconds as the original's `m:ss`.
 *
 * @example
 * ```ts
 * formatDuration(75); // '1:15'
 * ```
 */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * The id zero-padded to 9 digits, as in the download URLs (`099945958_main_xl.mp4`).
 *
 * @example
 * ```ts
 * paddedId('99945958'); // '099945958'
 * ```
 */
export function paddedId(id: string): string {
  return id.padStart(9, '0');
}
