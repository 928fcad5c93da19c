/** @module tfdata — a reelset Dataset as a TensorFlow.js `tf.data.Dataset` that `model.fitDataset` consumes. */
import type * as Tfjs from '@tensorflow/tfjs';
import type { Dataset } from '../loaders/dataset/dataset.js';
import { LABELS } from '../loaders/layout/labels.js';
import type { Sample } from '../loaders/sample.js';
import { checkInteger, checkOneOf, invalidArgument } from '../util/options.js';
import { type Batch, type BatchingOptions, collateBatches } from './collate.js';
import { loadTfjs } from './tfjs.js';

/**
 * The input names of the three modalities: the original's `text_data`, `image_data`, `video_data` by default.
 *
 * @example
 * ```ts
 * const names: InputNames = { text: 'tokens', image: 'cover', video: 'frames' };
 * ```
 */
export interface InputNames {
  text?: string;
  image?: string;
  video?: string;
}

/**
 * Options of {@link toTfDataset}: the batching and collation (see `collate`), plus how columns become tensors.
 *
 * @example
 * ```ts
 * const options: TfDatasetOptions = { batchSize: 32, dropRemainder: true, labels: 'one-hot' };
 * ```
 */
export interface TfDatasetOptions extends BatchingOptions {
  /** Input names of `xs` (defaults `text_data`, `image_data`, `video_data`). */
  names?: InputNames;
  /**
   * `ys` as label ids, float32 `[B]` (`'sparse'`, the default: what TensorFlow.js's
   * `sparseCategoricalCrossentropy` takes), or one-hot float32 `[B, numClasses]` (`'one-hot'`).
   */
  labels?: 'sparse' | 'one-hot';
  /** Classes of the one-hot labels (default 31). */
  numClasses?: number;
  /** Add each modality's mask (float32 `[B]`, 1 present / 0 zero-filled) to `xs` as `<name>_mask` (default false). */
  masks?: boolean;
}

/**
 * One element of the tf.data Dataset: `xs` maps input names to tensors (only the modalities the samples
 * have: tokens int32 `[B, L]`, image float32 `[B, H, W, C]`, video float32 `[B, T, H, W, C]`, or the
 * channels-first layouts), `ys` the labels. The consumer owns and disposes them (`fitDataset` does).
 *
 * @example
 * ```ts
 * await ds.forEachAsync(({ xs, ys }: TfBatch) => {
 *   console.log(xs.text_data?.shape, ys.shape);
 *   tf.dispose([xs, ys]);
 * });
 * ```
 */
export type TfBatch = { xs: { [name: string]: Tfjs.Tensor }; ys: Tfjs.Tensor };

/** Turns one collated batch into tensors (no intermediate tensor is created, so none can leak). */
function toTensors(
  tf: typeof Tfjs,
  batch: Batch,
  names: Required<InputNames>,
  oneHot: number | undefined,
  masks: boolean,
): TfBatch {
  const xs: { [name: string]: Tfjs.Tensor } = {};
  const made: Tfjs.Tensor[] = [];
  try {
    const add = (name: string, t: Tfjs.Tensor): void => {
      made.push(t);
      xs[name] = t;
    };
    const mask = (name: string, m: Uint8Array | undefined): void => {
      if (masks && m !== undefined) add(`${name}_mask`, tf.tensor1d(Float32Array.from(m), 'float32'));
    };
    if (batch.tokens) {
      add(names.text, tf.tensor(batch.tokens.data, batch.tokens.shape, 'int32'));
      mask(names.text, batch.masks.tokens);
    }
    if (batch.image) {
      add(names.image, tf.tensor(batch.image.data, batch.image.shape, 'float32'));
      mask(names.image, batch.masks.image);
    }
    if (batch.video) {
      add(names.video, tf.tensor(batch.video.data, batch.video.shape, 'float32'));
      mask(names.video, batch.masks.video);
    }
    let ys: Tfjs.Tensor;
    if (oneHot === undefined) ys = tf.tensor1d(Float32Array.from(batch.labels), 'float32');
    else {
      const data = new Float32Array(batch.size * oneHot);
      for (let i = 0; i < batch.size; i++) {
        const label = batch.labels[i] as number;
        if (label < 0 || label >= oneHot) {
          throw invalidArgument(`label ${label} of sample ${batch.ids[i]} is outside 0..${oneHot - 1}`);
        }
        data[i * oneHot + label] = 1;
      }
      ys = tf.tensor2d(data, [batch.size, oneHot], 'float32');
    }
    return { xs, ys };
  } catch (err) {
    tf.dispose(made);
    throw err;
  }
}

/**
 * A TensorFlow.js `tf.data.Dataset` of `{ xs, ys }` batches over a reelset Dataset of samples, ready for
 * `model.fitDataset`: `xs` holds one tensor per modality present in the samples, named as the model's
 * inputs (`text_data`, `image_data`, `video_data` by default; modalities absent from the samples are
 * omitted), `ys` the labels. Built with `tf.data.generator`: each epoch (each `iterator()`) is a fresh pass
 * over `dataset`, so put `cache()` before it to decode video once.
 *
 * Tensors: each batch's tensors are created when the batch is pulled and belong to the consumer;
 * `fitDataset` and `forEachAsync` + `tf.dispose` free them, so `tf.memory().numTensors` stays flat.
 * Pixels become float32 as they are (0-255 for uint8 samples: scale in the model, or decode with
 * `dtype: 'float32', normalize`).
 *
 * @throws ReelsetError `REELSET_E_MISSING_PEER` when @tensorflow/tfjs is not installed (it is a peer
 *   dependency: `npm install @tensorflow/tfjs`); `REELSET_E_INVALID_ARGUMENT` for a bad option;
 *   `REELSET_E_SHAPE` (while iterating) when samples of a batch disagree on a shape.
 * @example
 * ```ts
 * await selectBackend();
 * const train = openDataset('data', { text: { vocab }, image: { height: 64, width: 64 } }).cache();
 * const ds = toTfDataset(train.shuffle({ seed: 1, bufferSize: 256 }), { batchSize: 32 });
 * await model.fitDataset(ds, { epochs: 5 });
 * ```
 */
export function toTfDataset(dataset: Dataset<Sample>, options: TfDatasetOptions): Tfjs.data.Dataset<TfBatch> {
  const tf = loadTfjs();
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const { names = {}, labels = 'sparse', numClasses = LABELS.length, masks = false, ...batching } = options;
  const resolved: Required<InputNames> = {
    text: names.text ?? 'text_data',
    image: names.image ?? 'image_data',
    video: names.video ?? 'video_data',
  };
  for (const name of Object.values(resolved)) {
    if (typeof name !== 'string' || name === '') throw invalidArgument('names are non-empty strings');
  }
  if (new Set(Object.values(resolved)).size !== 3) throw invalidArgument('names must be distinct');
  checkOneOf('labels', labels, ['sparse', 'one-hot'] as const);
  checkInteger('numClasses', numClasses, 1);
  const batches = collateBatches(dataset, batching);
  const oneHot = labels === 'one-hot' ? numClasses : undefined;
  const withMasks = masks === true;
  return tf.data.generator(async function* () {
    for await (const batch of batches) yield toTensors(tf, batch, resolved, oneHot, withMasks);
  } as unknown as () => AsyncIterator<TfBatch>);
}
