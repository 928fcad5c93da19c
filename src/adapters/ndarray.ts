/** @module ndarray — batches as `ndarray` views over the collated typed arrays (numpy-like, no copy). */
import ndarray, { type NdArray } from 'ndarray';
import type { Dataset } from '../loaders/dataset/dataset.js';
import type { Sample } from '../loaders/sample.js';
import {
  type Batch,
  type BatchingOptions,
  collateBatches,
  type PixelArray,
  type PixelLayout,
} from './collate.js';

/**
 * One batch as ndarrays, each a view over the buffer `collate` made (`view.data` is that buffer; nothing is
 * copied). Shapes and dtypes (`view.dtype`):
 *
 * | field    | dtype                 | shape channels-last | shape channels-first |
 * | -------- | --------------------- | ------------------- | -------------------- |
 * | `tokens` | `int32`               | `[B, L]`            | `[B, L]`             |
 * | `image`  | `uint8` or `float32`  | `[B, H, W, C]`      | `[B, C, H, W]`       |
 * | `video`  | `uint8` or `float32`  | `[B, T, H, W, C]`   | `[B, T, C, H, W]`    |
 * | `labels` | `int32`               | `[B]`               | `[B]`                |
 * | `masks.*`| `uint8`               | `[B]`               | `[B]`                |
 *
 * @example
 * ```ts
 * for await (const b of toNdarray(decoded, { batchSize: 8, layout: 'channels-first' })) {
 *   console.log(b.image?.shape, b.image?.dtype, b.labels.get(0)); // [8, 3, 224, 224] 'uint8' 11
 * }
 * ```
 */
export interface NdarrayBatch {
  size: number;
  ids: string[];
  labels: NdArray<Int32Array>;
  tokens?: NdArray<Int32Array>;
  image?: NdArray<PixelArray>;
  video?: NdArray<PixelArray>;
  masks: { tokens?: NdArray<Uint8Array>; image?: NdArray<Uint8Array>; video?: NdArray<Uint8Array> };
  layout: PixelLayout;
}

/**
 * Options of {@link toNdarray}: the batching and collation (`layout: 'channels-first'` for NCHW / NTCHW, the
 * layout of onnxruntime and PyTorch-style models).
 *
 * @example
 * ```ts
 * const options: NdarrayOptions = { batchSize: 16, dropRemainder: true, layout: 'channels-first' };
 * ```
 */
export type NdarrayOptions = BatchingOptions;

/**
 * Wraps a collated {@link Batch} in ndarray views (no copy: each view's `.data` is the batch's buffer).
 *
 * @example
 * ```ts
 * const views = batchToNdarray(collate(samples));
 * views.tokens?.data === batch.tokens?.data; // true
 * ```
 */
export function batchToNdarray(batch: Batch): NdarrayBatch {
  const out: NdarrayBatch = {
    size: batch.size,
    ids: batch.ids,
    labels: ndarray(batch.labels, [batch.size]),
    masks: {},
    layout: batch.layout,
  };
  if (batch.tokens) out.tokens = ndarray(batch.tokens.data, batch.tokens.shape);
  if (batch.image) out.image = ndarray(batch.image.data, batch.image.shape);
  if (batch.video) out.video = ndarray(batch.video.data, batch.video.shape);
  for (const key of ['tokens', 'image', 'video'] as const) {
    const mask = batch.masks[key];
    if (mask !== undefined) out.masks[key] = ndarray(mask, [batch.size]);
  }
  return out;
}

/**
 * A Dataset of {@link NdarrayBatch}es over a Dataset of samples: `batchSize` samples collated (see
 * `collate`), then viewed as ndarrays without copying. Restartable and resumable like any Dataset. Feed an
 * onnxruntime tensor straight from a view: `new ort.Tensor('float32', b.image.data, b.image.shape)`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option; `REELSET_E_SHAPE` (while iterating)
 *   when samples of a batch disagree on a shape.
 * @example
 * ```ts
 * for await (const b of toNdarray(decoded, { batchSize: 4, layout: 'channels-first' })) {
 *   const first = b.image?.pick(0, null, null, null); // [C, H, W] view of sample 0
 *   console.log(b.ids, first?.shape);
 * }
 * ```
 */
export function toNdarray(dataset: Dataset<Sample>, options: NdarrayOptions): Dataset<NdarrayBatch> {
  return collateBatches(dataset, options).map(batchToNdarray);
}
