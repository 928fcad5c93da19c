/**
 * @module onnx/converters/reshape — Flatten, Reshape, Permute and RepeatVector. Values stay channels-last
 * between layers, so each is the ONNX op on the tfjs order as it is.
 */
import { attr } from '../graph.js';
import { type Converter, channelsLastOnly, onlyInput } from './context.js';

/** Flatten: ONNX Flatten at axis 1 ([B, d1 x d2 x ...], in tfjs's row-major order). */
const flatten: Converter = (ctx) => {
  channelsLastOnly(ctx);
  return [ctx.g.op('Flatten', [onlyInput(ctx).name], { axis: attr.int(1) }, `${ctx.layer.name}/flatten`)];
};

/** Reshape: to the tfjs output shape when it is known, else the target shape (tfjs keeps -1 as null) after the batch. */
const reshape: Converter = (ctx) => {
  const out = (ctx.outputShapes[0] ?? []).slice(1);
  const target = out.every((d) => d !== null)
    ? [-1, ...(out as number[])]
    : [0, ...(ctx.config.targetShape as (number | null)[]).map((d) => d ?? -1)];
  return [ctx.g.reshape(onlyInput(ctx).name, target, `${ctx.layer.name}/reshape`)];
};

/** Permute: Transpose with the batch axis first and the layer's 1-based dims after it. */
const permuteLayer: Converter = (ctx) => [
  ctx.g.transpose(onlyInput(ctx).name, [0, ...(ctx.config.dims as number[])], `${ctx.layer.name}/permute`),
];

/** RepeatVector: [B, F] -> Unsqueeze to [B, 1, F] -> Tile to [B, n, F]. */
const repeatVector: Converter = (ctx) => {
  const { g } = ctx;
  const name = ctx.layer.name;
  const column = g.op('Unsqueeze', [onlyInput(ctx).name, g.int64s('axes', [1])], {}, `${name}/unsqueeze`);
  return [g.op('Tile', [column, g.int64s('repeats', [1, Number(ctx.config.n), 1])], {}, `${name}/tile`)];
};

/**
 * Converters of the reshaping layers.
 *
 * @example
 * ```ts
 * const convert = RESHAPE_CONVERTERS.Flatten;
 * ```
 */
export const RESHAPE_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Flatten: flatten,
  Reshape: reshape,
  Permute: permuteLayer,
  RepeatVector: repeatVector,
});
