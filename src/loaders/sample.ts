/**
 * @module sample — the types a data set is read into: a {@link Sample}, and a {@link Skip} recorded when an
 * item or line is left out.
 */
import type { ReelsetErrorCode } from '../errors.js';
import { checkOneOf } from '../util/options.js';
import type { PixelLayout } from './decode/pixels.js';

/**
 * One multimodal sample: a text brief, a cover JPEG and an MP4 clip, with its label. `tokens`, `image` and
 * `video` are filled by the decoding pipelines when they are switched on; `source` says where each part lies.
 *
 * @example
 * ```ts
 * for await (const sample of openDataset('data')) {
 *   console.log(sample.id, sample.label, sample.labelId, sample.brief, sample.source.mp4);
 * }
 * ```
 */
export interface Sample {
  /** The clip's mp4_id, digits only, without zero padding (`'99945958'`). */
  id: string;
  /** The English label name (the label folder on disk). */
  label: string;
  /** The label's id, 0-30. */
  labelId: number;
  /** The text brief as stored (the original keeps a leading space). */
  brief: string;
  /** The clip's duration from the metadata (`mp4_time`), in seconds; null when unknown. */
  durationSec: number | null;
  /** Token ids of the brief (text pipeline on). */
  tokens?: Int32Array;
  /** Cover pixels (cover pipeline on); `layout` says the order of `shape` (channels-last when absent). */
  image?: { data: Uint8Array | Float32Array; shape: [number, number, number]; layout?: PixelLayout };
  /** Sampled frames and the time of each (video pipeline on); `layout` as for `image`. */
  video?: {
    data: Uint8Array | Float32Array;
    shape: [number, number, number, number];
    timesSec: number[];
    layout?: PixelLayout;
  };
  /** Where each part of the sample came from: absolute file paths. */
  source: { txt?: string; jpeg?: string; mp4?: string };
}

/**
 * A record of something left out of an iteration, and why: an item of the on-disk layout, or a line of a
 * catalog. Nothing is dropped without one.
 *
 * @example
 * ```ts
 * const skip: Skip = { where: 'data/Beach/12', reason: 'missing mp4', code: 'REELSET_E_MISSING_MEDIA' };
 * ```
 */
export interface Skip {
  /** A path, or `file:line` for a catalog line. */
  where: string;
  /** The item's id when known. */
  id?: string;
  /** 1-based line number, for catalog lines. */
  line?: number;
  /** What was wrong, in words. */
  reason: string;
  /** The code of the error that caused the skip. */
  code: ReelsetErrorCode;
}

/**
 * What to do with a bad item or line: leave it out and record a {@link Skip} (`'skip'`, the default), or
 * throw its error (`'throw'`).
 *
 * @example
 * ```ts
 * const policy: OnError = 'throw';
 * ```
 */
export type OnError = 'skip' | 'throw';

/**
 * Checks an `onError` option (default `'skip'`).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` unless it is `'skip'` or `'throw'`.
 * @example
 * ```ts
 * const policy = checkOnError(options.onError); // 'skip' when not given
 * ```
 */
export function checkOnError(value: unknown): OnError {
  return checkOneOf('onError', value ?? 'skip', ['skip', 'throw'] as const);
}
