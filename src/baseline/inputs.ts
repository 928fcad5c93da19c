/**
 * @module baseline/inputs — a model's inputs, read from the model, and their tensors built from a collated
 * batch: each modality's column and mask, zeros and a 0 mask for a modality a batch lacks or leaves out.
 * Shared by training, evaluation and prediction.
 */
import type * as Tfjs from '@tensorflow/tfjs';
import type { Batch, CollateOptions } from '../adapters/collate.js';
import type { InputNames } from '../adapters/tf-data.js';
import { ReelsetError } from '../errors.js';
import { invalidArgument } from '../util/options.js';

/**
 * The three modalities of a sample, as the model's branches name them.
 *
 * @example
 * ```ts
 * const only: ModalityName = 'video';
 * ```
 */
export type ModalityName = 'text' | 'image' | 'video';

/**
 * The modalities, in the order of the model's inputs.
 *
 * @example
 * ```ts
 * for (const m of MODALITIES) console.log(m); // text, image, video
 * ```
 */
export const MODALITIES: readonly ModalityName[] = Object.freeze(['text', 'image', 'video'] as const);

/**
 * One input of the model: the modality it carries (its data or its mask), its shape and dtype.
 *
 * @example
 * ```ts
 * const spec: InputSpec = { name: 'text_data_mask', modality: 'text', mask: true, shape: [null, 1], dtype: 'float32' };
 * ```
 */
export interface InputSpec {
  name: string;
  modality: ModalityName;
  mask: boolean;
  shape: (number | null)[];
  dtype: Tfjs.DataType;
}

/**
 * The input names of the three modalities: `text_data`, `image_data`, `video_data` unless renamed (their
 * masks are the same names with `_mask`).
 *
 * @example
 * ```ts
 * resolveNames({ text: 'tokens' }).text; // 'tokens'
 * ```
 */
export function resolveNames(names: InputNames = {}): Record<ModalityName, string> {
  return {
    text: names.text ?? 'text_data',
    image: names.image ?? 'image_data',
    video: names.video ?? 'video_data',
  };
}

/**
 * Reads a model's inputs (their names, shapes and dtypes, from any runtime): which modality (and data or
 * mask) each is.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an input of another name.
 * @example
 * ```ts
 * const specs = specsOfInputs([{ name: 'text_data', shape: [null, 25], dtype: 'int32' }]);
 * ```
 */
export function specsOfInputs(
  inputs: readonly { name: string; shape: readonly (number | null)[]; dtype: Tfjs.DataType }[],
  names: Record<ModalityName, string> = resolveNames(),
): InputSpec[] {
  const known = new Map<string, { modality: ModalityName; mask: boolean }>();
  for (const m of MODALITIES) {
    known.set(names[m], { modality: m, mask: false });
    known.set(`${names[m]}_mask`, { modality: m, mask: true });
  }
  return inputs.map(({ name, shape, dtype }) => {
    const kind = known.get(name);
    if (kind === undefined) {
      throw invalidArgument(
        `the model has an input "${name}", which is none of ${[...known.keys()].join(', ')} (pass the names option)`,
      );
    }
    return { name, ...kind, shape: [...shape], dtype };
  });
}

/**
 * Reads the tfjs model's inputs: which modality (and data or mask) each is, its shape and dtype.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an input of another name.
 * @example
 * ```ts
 * const specs = inputSpecs(model); // in the order of model.inputs
 * ```
 */
export function inputSpecs(
  model: Tfjs.LayersModel,
  names: Record<ModalityName, string> = resolveNames(),
): InputSpec[] {
  const inputs = model.inputs.map((input, i) => ({
    name: model.inputNames[i] ?? input.name,
    shape: input.shape,
    dtype: input.dtype,
  }));
  return specsOfInputs(inputs, names);
}

/**
 * Checks an `only` option (the modalities fed; the others are masked). Default: all three.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * checkOnly(['text']); // ['text']
 * ```
 */
export function checkOnly(only: unknown): readonly ModalityName[] {
  if (only === undefined) return MODALITIES;
  if (!Array.isArray(only) || only.some((m) => !MODALITIES.includes(m))) {
    throw invalidArgument(`only must be an array of ${MODALITIES.join(', ')}`);
  }
  return only as ModalityName[];
}

/**
 * The token length the model takes, when its text input has a fixed one.
 *
 * @example
 * ```ts
 * textLength(inputSpecs(model)); // 25
 * ```
 */
export function textLength(specs: readonly InputSpec[]): number | undefined {
  const text = specs.find((s) => s.modality === 'text' && !s.mask);
  const l = text?.shape[1];
  return typeof l === 'number' && l > 0 ? l : undefined;
}

/**
 * The collate options a model with these inputs takes: channels-last pixels, token ids padded or cut to
 * its text length when that is fixed. Used by training, prediction (tfjs and onnxruntime) and the benches.
 *
 * @example
 * ```ts
 * const batch = collate(samples, collateOptionsFor(inputSpecs(model)));
 * ```
 */
export function collateOptionsFor(specs: readonly InputSpec[]): CollateOptions {
  const maxLength = textLength(specs);
  return maxLength === undefined ? { layout: 'channels-last' } : { layout: 'channels-last', maxLength };
}

function concreteShape(shape: readonly (number | null)[], b: number): number[] {
  return shape.map((d, i) => (i === 0 ? b : (d ?? 1)));
}

/**
 * A shape as messages show it: `[null, 25]`.
 *
 * @example
 * ```ts
 * shapeText([null, 25]); // '[null, 25]'
 * ```
 */
export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** Pads with 0 or cuts each row of token ids to `l`. */
function fitTokens(data: Int32Array, b: number, from: number, l: number): Int32Array {
  if (from === l) return data;
  const out = new Int32Array(b * l);
  const n = Math.min(from, l);
  for (let i = 0; i < b; i++) out.set(data.subarray(i * from, i * from + n), i * l);
  return out;
}

/**
 * One input of a model as plain data: its name, values (row-major), concrete shape and dtype.
 *
 * @example
 * ```ts
 * const mask: InputArray = { name: 'text_data_mask', data: new Float32Array([1, 0]), shape: [2, 1], dtype: 'float32' };
 * ```
 */
export interface InputArray {
  name: string;
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/**
 * The model's inputs for a collated batch as plain arrays, in the order of `specs`: each modality's column
 * (token ids padded or cut to the model's length) and its mask; a modality the batch lacks, or not in
 * `keep`, gets zeros of the input's shape and a 0 mask. Read by {@link buildInputs} (tfjs) and by the ONNX
 * classifier (onnxruntime), so both runtimes see the same numbers.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when a column does not fit its input, or pixels are not
 *   channels-last.
 * @example
 * ```ts
 * const arrays = inputArrays(specs, collate(samples, { layout: 'channels-last' }));
 * ```
 */
export function inputArrays(
  specs: readonly InputSpec[],
  batch: Batch,
  keep: ReadonlySet<ModalityName> = new Set(MODALITIES),
): InputArray[] {
  if (batch.layout !== 'channels-last' && (batch.image !== undefined || batch.video !== undefined)) {
    throw new ReelsetError(
      'REELSET_E_SHAPE',
      "the model takes channels-last pixels: collate with layout 'channels-last'",
    );
  }
  return specs.map((spec) => inputArray(spec, batch, keep));
}

/**
 * Builds the model's input tensors for a collated batch, in the order of `specs` (`model.inputs`): the
 * arrays of {@link inputArrays} as tensors.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when a column does not fit its input, or pixels are not
 *   channels-last.
 * @example
 * ```ts
 * const inputs = buildInputs(tf, inputSpecs(model), collate(samples));
 * ```
 */
export function buildInputs(
  tf: typeof Tfjs,
  specs: readonly InputSpec[],
  batch: Batch,
  keep: ReadonlySet<ModalityName> = new Set(MODALITIES),
): Tfjs.Tensor[] {
  return inputArrays(specs, batch, keep).map((a) => tf.tensor(a.data, a.shape, a.dtype));
}

/** An array of zeros of `dtype`. */
function zeros(dtype: Tfjs.DataType, size: number): Float32Array | Int32Array {
  return dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

/** `data` as a typed array of `dtype` (uint8 pixels become float32 values, as tfjs casts them). */
function castTo(data: ArrayLike<number>, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  if (dtype === 'int32') return data instanceof Int32Array ? data : Int32Array.from(data);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** One input's array (see {@link inputArrays}). */
function inputArray(spec: InputSpec, batch: Batch, keep: ReadonlySet<ModalityName>): InputArray {
  const b = batch.size;
  const dtype = spec.dtype === 'int32' ? 'int32' : 'float32';
  const shape = concreteShape(spec.shape, b);
  const size = shape.reduce((n, d) => n * d, 1);
  const columns = { text: batch.tokens, image: batch.image, video: batch.video };
  const column = keep.has(spec.modality) ? columns[spec.modality] : undefined;
  if (spec.mask) {
    const masks = { text: batch.masks.tokens, image: batch.masks.image, video: batch.masks.video };
    const mask = column !== undefined ? masks[spec.modality] : undefined;
    const data = zeros(dtype, size);
    if (mask !== undefined) data.set(mask);
    return { name: spec.name, data, shape, dtype };
  }
  if (column === undefined) return { name: spec.name, data: zeros(dtype, size), shape, dtype };
  let data = column.data;
  let columnShape = column.shape;
  if (spec.modality === 'text' && typeof spec.shape[1] === 'number' && columnShape[1] !== spec.shape[1]) {
    data = fitTokens(data as Int32Array, b, columnShape[1] as number, spec.shape[1]);
    columnShape = [b, spec.shape[1]];
  }
  const fits =
    columnShape.length === spec.shape.length &&
    spec.shape.every((d, i) => d === null || d === columnShape[i]);
  if (!fits) {
    throw new ReelsetError(
      'REELSET_E_SHAPE',
      `the batch's ${spec.modality} is ${shapeText(columnShape)}, the model's input ${spec.name} takes ` +
        `${shapeText(spec.shape)}: decode the samples with the model's preprocessing`,
    );
  }
  return { name: spec.name, data: castTo(data, dtype), shape: [...columnShape], dtype };
}
