/**
 * @module onnx/converters/context — what a layer converter receives (`ConvertContext`) and the helpers
 * every converter shares: the unsupported-layer error, option checks, weights read to the host and
 * permuted there.
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { ReelsetError } from '../../errors.js';
import type { OnnxGraph } from '../graph.js';

/**
 * A tfjs layer as the exporter reads it (a `tf.layers.Layer`).
 *
 * @example
 * ```ts
 * const layer: LayerLike = model.layers[1] as LayerLike;
 * ```
 */
export type LayerLike = Pick<
  Tfjs.layers.Layer,
  'name' | 'getClassName' | 'getConfig' | 'getWeights' | 'weights'
>;

/**
 * A tensor of the ONNX graph: its value name and the tfjs shape (batch first, `null` where unknown) and
 * dtype of the tfjs tensor it stands for. Every value keeps the tfjs layout (channels last).
 *
 * @example
 * ```ts
 * const x: Value = { name: 'image_data', shape: [null, 64, 64, 3], dtype: 'float32' };
 * ```
 */
export interface Value {
  name: string;
  shape: readonly (number | null)[];
  dtype: string;
}

/**
 * What a converter receives: the graph, the layer and its config, its input values and the tfjs shapes
 * of its outputs; `convertLayer` converts another layer (the one a wrapper holds) on given values.
 *
 * @example
 * ```ts
 * const relu: Converter = (ctx) => [ctx.g.op('Relu', [onlyInput(ctx).name])];
 * ```
 */
export interface ConvertContext {
  g: OnnxGraph;
  layer: LayerLike;
  config: Record<string, unknown>;
  inputs: readonly Value[];
  outputShapes: readonly (readonly (number | null)[])[];
  convertLayer(
    layer: LayerLike,
    inputs: readonly Value[],
    outputShapes: readonly (readonly (number | null)[])[],
  ): string[];
}

/**
 * A layer converter: writes the layer's nodes and returns the names of its outputs, one per tfjs output.
 *
 * @example
 * ```ts
 * const identity: Converter = (ctx) => [onlyInput(ctx).name];
 * ```
 */
export type Converter = (ctx: ConvertContext) => string[];

/**
 * The `REELSET_E_UNSUPPORTED_LAYER` error for `layer`, naming it (name and class) and what is not
 * supported.
 *
 * @example
 * ```ts
 * throw unsupported(layer, "option padding 'causal'");
 * // Layer "conv" (Conv2D): option padding 'causal' has no ONNX conversion
 * ```
 */
export function unsupported(layer: LayerLike, what: string): ReelsetError {
  return new ReelsetError(
    'REELSET_E_UNSUPPORTED_LAYER',
    `Layer ${JSON.stringify(layer.name)} (${layer.getClassName()}): ${what} has no ONNX conversion`,
  );
}

/**
 * Refuses an option whose value changes the maths in a way the converter does not handle: throws
 * {@link unsupported} naming `option` and its value unless `ok`.
 *
 * @example
 * ```ts
 * refuseOption(ctx, 'dataFormat', ctx.config.dataFormat === 'channelsLast');
 * ```
 */
export function refuseOption(ctx: ConvertContext, option: string, ok: boolean): void {
  if (!ok) throw unsupported(ctx.layer, `option ${option} = ${JSON.stringify(ctx.config[option])}`);
}

/**
 * Refuses the options every layer with a `dataFormat` may set to `channelsFirst`.
 *
 * @example
 * ```ts
 * channelsLastOnly(ctx);
 * ```
 */
export function channelsLastOnly(ctx: ConvertContext): void {
  const format = ctx.config.dataFormat;
  refuseOption(ctx, 'dataFormat', format === undefined || format === null || format === 'channelsLast');
}

/**
 * The layer's single input (a layer called on several tensors is refused).
 *
 * @example
 * ```ts
 * const x = onlyInput(ctx);
 * ```
 */
export function onlyInput(ctx: ConvertContext): Value {
  const [x] = ctx.inputs;
  if (x === undefined || ctx.inputs.length !== 1) {
    throw unsupported(ctx.layer, `a call on ${ctx.inputs.length} tensors (initial states, extra inputs)`);
  }
  return x;
}

/**
 * A number or list option as a list of `n` numbers (tfjs stores `kernelSize: 3` or `[3, 3]`).
 *
 * @example
 * ```ts
 * numberList(3, 2); // [3, 3]
 * ```
 */
export function numberList(value: unknown, n: number): number[] {
  if (Array.isArray(value)) return value.map(Number);
  return Array.from({ length: n }, () => Number(value));
}

/**
 * The shape without its batch dimension, every size known; `what` names the need in the error.
 *
 * @example
 * ```ts
 * const [h, w, c] = staticShape(ctx, x.shape, "padding 'same'");
 * ```
 */
export function staticShape(ctx: ConvertContext, shape: readonly (number | null)[], what: string): number[] {
  const rest = shape.slice(1);
  if (rest.some((d) => d === null))
    throw unsupported(ctx.layer, `${what} with an unknown size in shape [${shape.join(', ')}]`);
  return rest as number[];
}

/**
 * A weight on the host: its shape and values.
 *
 * @example
 * ```ts
 * const kernel: HostTensor = { shape: [4, 3], data: new Float32Array(12) };
 * ```
 */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * The layer's weights by their short name (`kernel`, `bias`, `recurrent_kernel`, `gamma`, `moving_mean`,
 * `embeddings`, `depthwise_kernel`...), read with `getWeights()` and `dataSync()`.
 *
 * @example
 * ```ts
 * const kernel = weightsOf(layer).get('kernel');
 * ```
 */
export function weightsOf(layer: LayerLike): Map<string, HostTensor> {
  const tensors = layer.getWeights();
  const out = new Map<string, HostTensor>();
  layer.weights.forEach((w, i) => {
    const t = tensors[i] as Tfjs.Tensor;
    const short = (w.originalName ?? w.name).split('/').pop() as string;
    out.set(short, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
  });
  return out;
}

/**
 * The weight `name` of `layer`, or the unsupported-layer error when it has none (a layer that was never
 * built).
 *
 * @example
 * ```ts
 * const kernel = weight(ctx.layer, weights, 'kernel');
 * ```
 */
export function weight(layer: LayerLike, weights: Map<string, HostTensor>, name: string): HostTensor {
  const w = weights.get(name);
  if (w === undefined) throw unsupported(layer, `a missing weight ${JSON.stringify(name)}`);
  return w;
}

/**
 * A tensor transposed on the host (`perm` as ONNX Transpose's: output axis i is input axis perm[i]).
 *
 * @example
 * ```ts
 * permute({ shape: [3, 3, 4, 8], data }, [3, 2, 0, 1]); // a Conv2D kernel as ONNX Conv's W
 * ```
 */
export function permute(t: HostTensor, perm: readonly number[]): HostTensor {
  const rank = t.shape.length;
  const shape = perm.map((p) => t.shape[p] as number);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--)
    inStrides[i] = (inStrides[i + 1] as number) * (t.shape[i + 1] as number);
  const strides = perm.map((p) => inStrides[p] as number);
  const data = new Float32Array(t.data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < data.length; o++) {
    let source = 0;
    for (let a = 0; a < rank; a++) source += (index[a] as number) * (strides[a] as number);
    data[o] = t.data[source] as number;
    for (let a = rank - 1; a >= 0; a--) {
      index[a] = (index[a] as number) + 1;
      if ((index[a] as number) < (shape[a] as number)) break;
      index[a] = 0;
    }
  }
  return { shape, data };
}
