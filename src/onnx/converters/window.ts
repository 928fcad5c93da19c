/**
 * @module onnx/converters/window — what convolutions and poolings share: the explicit pads of tfjs's
 * `padding` (the odd pixel of 'same' at the end, as TensorFlow puts it) and the channels-first section
 * ONNX's Conv and pooling ops run in, between two Transposes.
 */
import { type ConvertContext, numberList, onlyInput, staticShape, unsupported } from './context.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * A sliding window's settings, read from the layer's config: sizes, strides and dilations per spatial axis,
 * and ONNX's `pads` (all begins, then all ends).
 *
 * @example
 * ```ts
 * const { kernel, strides, dilations, pads } = windowOf(ctx, 2, ctx.config.kernelSize);
 * ```
 */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

/**
 * The window of a layer with `n` spatial axes: `size` is its kernel or pool size; strides (default: the
 * size for poolings, 1 for convolutions), dilations (`dilationRate`, default 1) and the pads of `padding`
 * ('valid' or 'same'; tfjs 4.22 does not run 'causal') from its config.
 *
 * @throws ReelsetError `REELSET_E_UNSUPPORTED_LAYER` for another padding, or 'same' on unknown sizes.
 * @example
 * ```ts
 * const window = windowOf(ctx, 2, ctx.config.poolSize, ctx.config.poolSize);
 * ```
 */
export function windowOf(ctx: ConvertContext, n: number, size: unknown, defaultStrides: unknown = 1): Window {
  const kernel = numberList(size, n);
  const strides = numberList(ctx.config.strides ?? defaultStrides, n);
  const dilations = numberList(ctx.config.dilationRate ?? 1, n);
  const padding = ctx.config.padding ?? 'valid';
  if (padding === 'valid') return { kernel, strides, dilations, pads: new Array<number>(2 * n).fill(0) };
  if (padding !== 'same') throw unsupported(ctx.layer, `option padding = ${JSON.stringify(padding)}`);
  const spatial = staticShape(ctx, onlyInput(ctx).shape, "padding 'same'").slice(0, n);
  const begins: number[] = [];
  const ends: number[] = [];
  spatial.forEach((size, i) => {
    const s = strides[i] as number;
    const out = Math.ceil(size / s);
    const span = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
    const total = Math.max((out - 1) * s + span - size, 0);
    begins.push(Math.floor(total / 2));
    ends.push(total - Math.floor(total / 2));
  });
  return { kernel, strides, dilations, pads: [...begins, ...ends] };
}

/**
 * Runs `body` on the layer's input transposed to channels-first ([B, C, spatial...]) and transposes its
 * result back to channels-last; returns that value's name. Consecutive sections cost no Transpose pair:
 * the graph folds them away.
 *
 * @example
 * ```ts
 * const y = channelsFirst(ctx, (x) => ctx.g.op('MaxPool', [x], attrs));
 * ```
 */
export function channelsFirst(ctx: ConvertContext, body: (x: string) => string): string {
  const x = onlyInput(ctx);
  const rank = x.shape.length;
  const name = ctx.layer.name;
  const first = ctx.g.transpose(x.name, [0, rank - 1, ...range(1, rank - 1)], `${name}/to_channels_first`);
  return ctx.g.transpose(body(first), [0, ...range(2, rank), 1], `${name}/to_channels_last`);
}

/**
 * The spatial axes of a channels-last value of rank `rank` (1 to rank - 2).
 *
 * @example
 * ```ts
 * spatialAxes(4); // [1, 2]
 * ```
 */
export function spatialAxes(rank: number): number[] {
  return range(1, rank - 1);
}
