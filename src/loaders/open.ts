/**
 * @module open — `openDataset`: the layout source followed by the decode stage, the one place where the two
 * meet (neither imports the other).
 */
import { checkInteger } from '../util/options.js';
import { Dataset } from './dataset/dataset.js';
import {
  type DecodedSample,
  type DecodeOptions,
  decodeStage,
  planDecoding,
  wantsDecoding,
} from './decode/stage.js';
import { type LayoutOptions, layoutSource } from './layout/layout-source.js';
import type { Sample } from './sample.js';

/**
 * Options of {@link openDataset}: those of the layout (`require`, `labels`, `onError`, `onSkip`: see
 * {@link LayoutOptions}) and those of decoding (`text`, `image`, `video`, `compat`, `concurrency`: see
 * {@link DecodeOptions}). `require`, `onError` and `onSkip` apply to both stages.
 *
 * @example
 * ```ts
 * const skips: Skip[] = [];
 * const options: OpenDatasetOptions = {
 *   require: ['txt', 'jpeg', 'mp4'],
 *   labels: ['Beach', 'Green Screen'],
 *   onSkip: (skip) => skips.push(skip),
 *   image: true,
 * };
 * ```
 */
export interface OpenDatasetOptions extends LayoutOptions, DecodeOptions {}

/**
 * Opens a data set in the original on-disk layout `<root>/<label>/<mp4_id>/<mp4_id>.{txt,jpeg,mp4}` as a
 * restartable, resumable `Dataset` of {@link Sample}s: `Dataset.fromSource(layoutSource(root, options))`,
 * followed by the decode stage (`decodeSamples`) when `text`, `image`, `video` or `compat` is given. The
 * samples are typed after the options: with `video: true`, `sample.video` is there (no `!`).
 * See {@link layoutSource} for the order, the checks and the symbolic link rules. Skips (of the layout and
 * of decoding) go to `onSkip`; to read layout skips as an array after a pass, build the dataset from
 * {@link layoutSource} and read its `skips`. Without `text.vocab`, the vocabulary is built from the same
 * items in a first pass over the `.txt` files (that pass records no skips).
 *
 * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` at call time for an unknown name in `labels`;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option; `REELSET_E_NOT_FOUND` when a pass starts and the root
 *   is not a readable folder.
 * @example
 * ```ts
 * const skips: Skip[] = [];
 * const dataset = openDataset('data', { require: ['txt', 'jpeg', 'mp4'], onSkip: (skip) => skips.push(skip) });
 * for await (const sample of dataset) console.log(sample.id, sample.label, sample.brief, sample.source.mp4);
 * console.log(`${skips.length} items skipped`);
 *
 * const decoded = openDataset('data', { text: { vocab }, image: true, video: { frames: 8 } });
 * for await (const s of decoded) console.log(s.tokens.length, s.image.shape, s.video.shape);
 * ```
 */
export function openDataset(root: string): Dataset<Sample>;
export function openDataset<const O extends OpenDatasetOptions>(
  root: string,
  options: O,
): Dataset<DecodedSample<O>>;
export function openDataset(root: string, options: OpenDatasetOptions = {}): Dataset<Sample> {
  const o = options;
  if (!wantsDecoding(o)) {
    // Checked even when nothing decodes, so that a bad value (`'8'`) is never silently ignored.
    if (o?.concurrency !== undefined) checkInteger('concurrency', o.concurrency, 1);
    return Dataset.fromSource(layoutSource(root, o));
  }
  const plan = planDecoding(o);
  const layout: LayoutOptions = { require: o.require ?? plan.required };
  if (o.labels !== undefined) layout.labels = o.labels;
  if (o.onError !== undefined) layout.onError = o.onError;
  const quiet: LayoutOptions = { ...layout, onError: 'skip' };
  if (o.onSkip !== undefined) layout.onSkip = o.onSkip;
  const samples = Dataset.fromSource(layoutSource(root, layout));
  return decodeStage(samples, plan, () => Dataset.fromSource(layoutSource(root, quiet)));
}
