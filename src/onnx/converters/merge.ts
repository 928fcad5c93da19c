/**
 * @module onnx/converters/merge — Concatenate, Add, Multiply, Average, Maximum and Minimum (tfjs has no
 * Subtract layer), with
 * tfjs's rule for inputs of different ranks (the lower ones get axes inserted at 1, not numpy's leading
 * axes).
 */
import { attr } from '../graph.js';
import type { ConvertContext, Converter } from './context.js';

/** The inputs' names, each of lower rank expanded at axis 1 up to the highest rank, as tfjs's Merge does. */
function sameRank(ctx: ConvertContext): string[] {
  const rank = Math.max(...ctx.inputs.map((x) => x.shape.length));
  return ctx.inputs.map((x) => {
    const missing = rank - x.shape.length;
    if (missing === 0) return x.name;
    const axes = ctx.g.int64s(
      'axes',
      Array.from({ length: missing }, (_, i) => i + 1),
    );
    return ctx.g.op('Unsqueeze', [x.name, axes], {}, `${ctx.layer.name}/expand`);
  });
}

/** A pairwise op folded over the inputs from the left. */
const fold =
  (op: 'Add' | 'Mul' | 'Max' | 'Min'): Converter =>
  (ctx) => {
    const [first, ...rest] = sameRank(ctx);
    return [rest.reduce((acc, x) => ctx.g.op(op, [acc, x], {}, `${ctx.layer.name}/${op}`), first as string)];
  };

/** Average: the sum times 1 / n, as tfjs computes it. */
const average: Converter = (ctx) => {
  const [sum] = fold('Add')(ctx) as [string];
  const scale = ctx.g.floats('inverse_count', [], [1 / ctx.inputs.length]);
  return [ctx.g.op('Mul', [sum, scale], {}, `${ctx.layer.name}/average`)];
};

/** Concatenate along the layer's axis. */
const concatenate: Converter = (ctx) => {
  const axis = Number(ctx.config.axis ?? -1);
  return [
    ctx.g.op(
      'Concat',
      ctx.inputs.map((x) => x.name),
      { axis: attr.int(axis) },
      `${ctx.layer.name}/concat`,
    ),
  ];
};

/**
 * Converters of the merge layers.
 *
 * @example
 * ```ts
 * const convert = MERGE_CONVERTERS.Concatenate;
 * ```
 */
export const MERGE_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Concatenate: concatenate,
  Add: fold('Add'),
  Multiply: fold('Mul'),
  Average: average,
  Maximum: fold('Max'),
  Minimum: fold('Min'),
});
