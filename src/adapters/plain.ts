/** @module plain — samples as native JavaScript values, JSON-safe on request. */

import type { Dataset } from '../loaders/dataset/dataset.js';
import type { Sample } from '../loaders/sample.js';
import { checkBoolean, invalidArgument } from '../util/options.js';

/**
 * A sample as native values: the {@link Sample}'s fields, with `tokens`, `image.data` and `video.data` as
 * typed arrays (`A = Int32Array | Uint8Array | Float32Array`, the default) or plain `number[]`
 * (`{ json: true }`). Pixel data stays flat, in the order of its `shape`.
 *
 * @example
 * ```ts
 * const p: PlainSample<number[]> = { id: '1', label: 'Beach', labelId: 8, brief: ' sand', durationSec: 2,
 *   tokens: [4, 9, 0], source: {} };
 * ```
 */
export interface PlainSample<A = Int32Array | Uint8Array | Float32Array> {
  id: string;
  label: string;
  labelId: number;
  brief: string;
  durationSec: number | null;
  tokens?: A;
  image?: { data: A; shape: number[]; [extra: string]: unknown };
  video?: { data: A; shape: number[]; timesSec: number[]; [extra: string]: unknown };
  source: { txt?: string; jpeg?: string; mp4?: string };
}

/**
 * Options of {@link toPlain}.
 *
 * @example
 * ```ts
 * const options: PlainOptions = { json: true };
 * ```
 */
export interface PlainOptions {
  /** Turn typed arrays into plain arrays, so that `JSON.stringify` round-trips a sample (default false). */
  json?: boolean;
}

/**
 * One sample as native values: a new object (the sample is not modified); with `json`, typed arrays become
 * `number[]` (a copy), otherwise they are shared with the sample.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(plainSample(sample, { json: true }));
 * ```
 */
export function plainSample(sample: Sample, options: PlainOptions = {}): PlainSample<unknown> {
  const json = options.json === true;
  const arr = (a: Int32Array | Uint8Array | Float32Array): unknown => (json ? Array.from(a) : a);
  const { tokens, image, video, source, ...rest } = sample;
  const out: PlainSample<unknown> = { ...rest, source: { ...source } };
  if (tokens !== undefined) out.tokens = arr(tokens);
  if (image !== undefined) out.image = { ...image, data: arr(image.data), shape: [...image.shape] };
  if (video !== undefined) {
    out.video = { ...video, data: arr(video.data), shape: [...video.shape], timesSec: [...video.timesSec] };
  }
  return out;
}

/**
 * A Dataset of samples as native JavaScript values (the original's native interface): `for await` gives
 * plain objects; `{ json: true }` makes them JSON-safe (`JSON.parse(JSON.stringify(x))` equals `x`). Batch
 * them with `.batch(n)` like any Dataset.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * for await (const s of toPlain(decoded, { json: true })) process.stdout.write(`${JSON.stringify(s)}\n`);
 * ```
 */
export function toPlain(dataset: Dataset<Sample>, options: { json: true }): Dataset<PlainSample<number[]>>;
export function toPlain(dataset: Dataset<Sample>, options?: PlainOptions): Dataset<PlainSample>;
export function toPlain(dataset: Dataset<Sample>, options: PlainOptions = {}): Dataset<PlainSample<unknown>> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const o = { json: checkBoolean('json', options.json, false) };
  return dataset.map((sample) => plainSample(sample, o));
}
