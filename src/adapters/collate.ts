/** @module collate — a batch of Samples becomes columns: typed arrays with shapes, padding and masks. */
import { ReelsetError } from '../errors.js';
import type { Dataset } from '../loaders/dataset/dataset.js';
import type { PixelLayout } from '../loaders/decode/pixels.js';
import type { Sample } from '../loaders/sample.js';
import { checkInteger, checkOneOf, invalidArgument } from '../util/options.js';

export type { PixelLayout };

/**
 * The element array of a pixel column: `Uint8Array` (0-255) or `Float32Array`, as the decode stage made it.
 *
 * @example
 * ```ts
 * const pixels: PixelArray = new Uint8Array(3 * 32 * 32);
 * ```
 */
export type PixelArray = Uint8Array | Float32Array;

/**
 * One column of a batch: a typed array and its shape (row-major, C order; the first axis is the batch).
 *
 * @example
 * ```ts
 * const column: Column<Int32Array> = { data: new Int32Array(2 * 25), shape: [2, 25] };
 * ```
 */
export interface Column<A extends Int32Array | PixelArray> {
  /** The elements, row-major. The batch owns this buffer; it is never reused. */
  data: A;
  /** The shape: `data.length` is the product of its entries. */
  shape: number[];
}

/**
 * A collated batch: one column per modality present in at least one of its samples.
 *
 * | column   | dtype                    | shape (channels-last) | shape (channels-first) |
 * | -------- | ------------------------ | --------------------- | ---------------------- |
 * | `tokens` | `Int32Array`             | `[B, L]`              | `[B, L]`               |
 * | `image`  | `Uint8Array`/`Float32Array` | `[B, H, W, C]`     | `[B, C, H, W]`         |
 * | `video`  | `Uint8Array`/`Float32Array` | `[B, T, H, W, C]`  | `[B, T, C, H, W]`      |
 * | `labels` | `Int32Array`             | `[B]`                 | `[B]`                  |
 *
 * A sample lacking a modality that others have gets a block of zeros there and a 0 in `masks[modality]`
 * (1 where present).
 *
 * @example
 * ```ts
 * const batch = collate(samples);
 * console.log(batch.size, batch.image?.shape, batch.masks.image); // 4 [4, 224, 224, 3] Uint8Array [1, 1, 0, 1]
 * ```
 */
export interface Batch {
  /** B, the number of samples. */
  size: number;
  /** The sample ids, in order. */
  ids: string[];
  /** The label ids (0-30), `[B]`. */
  labels: Int32Array;
  /** Token ids, `[B, L]`, post-padded with 0. */
  tokens?: Column<Int32Array>;
  /** Cover pixels, `[B, H, W, C]` or `[B, C, H, W]`. */
  image?: Column<PixelArray>;
  /** Frames, `[B, T, H, W, C]` or `[B, T, C, H, W]`. */
  video?: Column<PixelArray>;
  /** Per column present: 1 where the sample had that modality, 0 where it got zeros. `Uint8Array` `[B]`. */
  masks: { tokens?: Uint8Array; image?: Uint8Array; video?: Uint8Array };
  /** The layout of `image` and `video`. */
  layout: PixelLayout;
}

/**
 * Options of {@link collate} (and of the adapters, which pass them on).
 *
 * @example
 * ```ts
 * const options: CollateOptions = { layout: 'channels-first', maxLength: 25 };
 * ```
 */
export interface CollateOptions {
  /**
   * The layout wanted in the batch. Default: the samples' own (the `layout` their decoded `image` or `video`
   * carries; channels-last when a hand-made block has none), so nothing is transposed. A different one
   * transposes.
   */
  layout?: PixelLayout;
  /** L: token ids are post-padded with 0 or post-truncated to this length (default: the longest in the batch). */
  maxLength?: number;
}

/** One sample's pixel block: data, its shape and the layout of that shape (channels-last when absent). */
interface Block {
  data: PixelArray;
  shape: readonly number[];
  layout?: PixelLayout;
}

const LAYOUTS: readonly PixelLayout[] = ['channels-last', 'channels-first'];

function shapeError(message: string): ReelsetError {
  return new ReelsetError('REELSET_E_SHAPE', message);
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkLayout(value: unknown): PixelLayout | undefined {
  return value === undefined ? undefined : checkOneOf('layout', value, LAYOUTS);
}

/** The layout of the first block present, or undefined when none is. */
function firstLayout(blocks: readonly (Block | undefined)[]): PixelLayout | undefined {
  const first = blocks.find((block) => block !== undefined);
  return first === undefined ? undefined : (first.layout ?? 'channels-last');
}

/** Converts `[..., h, w, c]` to `[..., c, h, w]` (or back), frame by frame, into `out` at `offset`. */
function transposeInto(
  src: PixelArray,
  frames: number,
  pixels: number,
  channels: number,
  toFirst: boolean,
  out: PixelArray,
  offset: number,
): void {
  const frameSize = pixels * channels;
  for (let f = 0; f < frames; f++) {
    const base = f * frameSize;
    const o = offset + base;
    if (toFirst) {
      for (let c = 0; c < channels; c++) {
        const oc = o + c * pixels;
        for (let p = 0, i = base + c; p < pixels; p++, i += channels) out[oc + p] = src[i] as number;
      }
    } else {
      for (let c = 0; c < channels; c++) {
        const ic = base + c * pixels;
        for (let p = 0, i = o + c; p < pixels; p++, i += channels) out[i] = src[ic + p] as number;
      }
    }
  }
}

/**
 * Stacks one pixel modality. `rank` is 3 (image) or 4 (video); the last three axes are HWC or CHW.
 * Returns undefined when no sample has it.
 */
function stack(
  name: 'image' | 'video',
  blocks: readonly (Block | undefined)[],
  rank: 3 | 4,
  to: PixelLayout,
  ids: readonly string[],
): { column: Column<PixelArray>; mask: Uint8Array } | undefined {
  let first: Block | undefined;
  let firstIndex = -1;
  for (const [i, block] of blocks.entries()) {
    if (block !== undefined) {
      first = block;
      firstIndex = i;
      break;
    }
  }
  if (first === undefined) return undefined;
  const shape = first.shape;
  const floats = first.data instanceof Float32Array;
  const from = first.layout ?? 'channels-last';
  for (const [i, block] of blocks.entries()) {
    if (block === undefined) continue;
    if ((block.layout ?? 'channels-last') !== from) {
      throw shapeError(
        `${name} of sample ${ids[i]} is ${block.layout ?? 'channels-last'}, sample ${ids[firstIndex]} is ${from}`,
      );
    }
    const s = block.shape;
    if (s.length !== rank || s.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw shapeError(`${name} of sample ${ids[i]} has shape [${s.join(', ')}], expected rank ${rank}`);
    }
    if (s.some((d, k) => d !== shape[k])) {
      throw shapeError(
        `${name} of sample ${ids[i]} has shape [${s.join(', ')}], sample ${ids[firstIndex]} has [${shape.join(', ')}]`,
      );
    }
    if (block.data instanceof Float32Array !== floats) {
      throw shapeError(`${name} of sample ${ids[i]} is ${block.data.constructor.name}, others are not`);
    }
    if (block.data.length !== product(s)) {
      throw shapeError(
        `${name} of sample ${ids[i]} has ${block.data.length} elements for shape [${s.join(', ')}]`,
      );
    }
  }
  const per = product(shape);
  const b = blocks.length;
  const data: PixelArray = floats ? new Float32Array(b * per) : new Uint8Array(b * per);
  const mask = new Uint8Array(b);
  const frames = rank === 4 ? (shape[0] as number) : 1;
  const [a0, a1, a2] = shape.slice(rank - 3) as [number, number, number];
  const channels = from === 'channels-last' ? a2 : a0;
  const pixels = from === 'channels-last' ? a0 * a1 : a1 * a2;
  const convert = from !== to;
  for (const [i, block] of blocks.entries()) {
    if (block === undefined) continue;
    mask[i] = 1;
    if (convert) transposeInto(block.data, frames, pixels, channels, to === 'channels-first', data, i * per);
    else data.set(block.data, i * per);
  }
  const inner = convert ? (to === 'channels-first' ? [a2, a0, a1] : [a1, a2, a0]) : [a0, a1, a2];
  const outShape = rank === 4 ? [b, frames, ...inner] : [b, ...inner];
  return { column: { data, shape: outShape }, mask };
}

/**
 * Collates a batch of samples into columns (see {@link Batch} for the dtypes and shapes). Every buffer is
 * new and owned by the returned batch: the samples are not referenced and can be dropped.
 *
 * - `tokens`: `[B, L]` int32, post-padded with 0 (the padding id) or post-truncated to `maxLength`.
 * - `image` / `video`: stacked in the layout the samples carry, or transposed into `layout`.
 * - A sample missing a modality that others have: zeros there, mask 0.
 * - Shapes (and pixel dtypes) of the samples present must agree, or `REELSET_E_SHAPE`.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when samples disagree on a shape or dtype;
 *   `REELSET_E_INVALID_ARGUMENT` for an empty batch or a bad option.
 * @example
 * ```ts
 * const samples = await openDataset('data', { text: true, image: true }).take(8).toArray();
 * const batch = collate(samples, { layout: 'channels-first' });
 * batch.tokens?.shape; // [8, 25]
 * batch.image?.shape; // [8, 3, 224, 224]
 * ```
 */
export function collate(samples: readonly Sample[], options: CollateOptions = {}): Batch {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw invalidArgument('collate needs at least one sample');
  }
  const images = samples.map((s) => s.image);
  const videos = samples.map((s) => s.video);
  const to = checkLayout(options.layout) ?? firstLayout(images) ?? firstLayout(videos) ?? 'channels-last';
  const { maxLength } = options;
  if (maxLength !== undefined) checkInteger('maxLength', maxLength, 1);
  const b = samples.length;
  const ids = new Array<string>(b);
  const labels = new Int32Array(b);
  let longest = -1;
  for (const [i, s] of samples.entries()) {
    ids[i] = s.id;
    labels[i] = s.labelId;
    if (s.tokens !== undefined && s.tokens.length > longest) longest = s.tokens.length;
  }
  const batch: Batch = { size: b, ids, labels, masks: {}, layout: to };
  if (longest >= 0) {
    const l = maxLength ?? Math.max(longest, 1);
    const data = new Int32Array(b * l);
    const mask = new Uint8Array(b);
    for (const [i, s] of samples.entries()) {
      const t = s.tokens;
      if (t === undefined) continue;
      mask[i] = 1;
      data.set(t.length > l ? t.subarray(0, l) : t, i * l);
    }
    batch.tokens = { data, shape: [b, l] };
    batch.masks.tokens = mask;
  }
  for (const [name, blocks, rank] of [
    ['image', images, 3],
    ['video', videos, 4],
  ] as const) {
    const stacked = stack(name, blocks, rank, to, ids);
    if (stacked !== undefined) {
      batch[name] = stacked.column;
      batch.masks[name] = stacked.mask;
    }
  }
  return batch;
}

/**
 * Options of {@link collateBatches}: the batching and the collation.
 *
 * @example
 * ```ts
 * const options: BatchingOptions = { batchSize: 32, dropRemainder: true, layout: 'channels-first' };
 * ```
 */
export interface BatchingOptions extends CollateOptions {
  /** Samples a batch (an integer ≥ 1). */
  batchSize: number;
  /** Leave out a last batch smaller than `batchSize` (default false). */
  dropRemainder?: boolean;
}

/**
 * A Dataset of collated {@link Batch}es: `dataset.batch(batchSize, { dropRemainder }).map(collate)`. Like any
 * Dataset it is restartable (each `for await` is a fresh pass) and resumable.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * for await (const batch of collateBatches(decoded, { batchSize: 16 })) {
 *   console.log(batch.ids.length, batch.tokens?.shape);
 * }
 * ```
 */
export function collateBatches(dataset: Dataset<Sample>, options: BatchingOptions): Dataset<Batch> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const { batchSize, dropRemainder, ...rest } = options;
  checkInteger('batchSize', batchSize, 1);
  checkLayout(rest.layout);
  if (rest.maxLength !== undefined) checkInteger('maxLength', rest.maxLength, 1);
  return dataset
    .batch(batchSize, { dropRemainder: dropRemainder ?? false })
    .map((samples) => collate(samples, rest));
}
