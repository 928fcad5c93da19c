/**
 * @module onnx/converters/wrappers — Bidirectional (one bidirectional ONNX recurrent node, the two
 * directions merged as the layer's mergeMode says) and TimeDistributed (the wrapped layer on the batch
 * and time axes folded into one).
 */

import { attr } from '../graph.js';
import { type Converter, type LayerLike, onlyInput, staticShape, unsupported } from './context.js';
import { batchMajor, recurrentNode } from './recurrent.js';

interface BidirectionalLike {
  forwardLayer: LayerLike;
  backwardLayer: LayerLike;
}

const MERGES: Record<string, 'Concat' | 'Add' | 'Mul' | 'Average'> = {
  concat: 'Concat',
  sum: 'Add',
  mul: 'Mul',
  ave: 'Average',
};

/**
 * Bidirectional: Y [T, 2, B, H] (or Y_h [2, B, H] without returnSequences) split into the forward and
 * backward halves, which ONNX already aligns with the input's time steps as tfjs's re-reversed output is,
 * then merged: concat (forward first), sum, mul, ave, or both halves as two outputs (mergeMode null).
 */
const bidirectional: Converter = (ctx) => {
  const { g } = ctx;
  const name = ctx.layer.name;
  const { forwardLayer, backwardLayer } = ctx.layer as unknown as BidirectionalLike;
  const mode = ctx.config.mergeMode ?? null;
  const merge = mode === null ? undefined : MERGES[String(mode)];
  if (mode !== null && merge === undefined)
    throw unsupported(ctx.layer, `option mergeMode = ${JSON.stringify(mode)}`);
  const { y, yh } = recurrentNode(ctx, onlyInput(ctx), [forwardLayer, backwardLayer]);
  const sequences = forwardLayer.getConfig().returnSequences === true;
  // Sequences: [T, 2, B, H], direction axis 1; last outputs: [2, B, H], axis 0. Each half loses that axis.
  const [both, axis] = sequences ? [y, 1] : [yh, 0];
  const half = (i: number): string =>
    g.op(
      'Gather',
      [both, g.int64s(`index${i}`, [i], [])],
      { axis: attr.int(axis) },
      `${name}/${i === 0 ? 'forward' : 'backward'}`,
    );
  const halves = [half(0), half(1)];
  const finish = (v: string): string => (sequences ? batchMajor(ctx, v) : v);
  if (merge === undefined) return halves.map(finish);
  const [fwd, bwd] = halves as [string, string];
  let merged: string;
  if (merge === 'Concat') merged = g.op('Concat', [fwd, bwd], { axis: attr.int(-1) }, `${name}/concat`);
  else if (merge === 'Average') {
    merged = g.op(
      'Mul',
      [g.op('Add', [fwd, bwd], {}, `${name}/sum`), g.floats('half', [], [0.5])],
      {},
      `${name}/ave`,
    );
  } else merged = g.op(merge, [fwd, bwd], {}, `${name}/${merge}`);
  return [finish(merged)];
};

/**
 * TimeDistributed: [B, T, ...] reshaped to [B x T, ...], the wrapped layer converted on it, and its output
 * reshaped to [B, T, ...]. The time steps and the inner sizes must be known.
 */
const timeDistributed: Converter = (ctx) => {
  const x = onlyInput(ctx);
  const { g } = ctx;
  const name = ctx.layer.name;
  const [steps, ...inner] = staticShape(ctx, x.shape, 'TimeDistributed') as [number, ...number[]];
  const outInner = staticShape(ctx, ctx.outputShapes[0] ?? [], 'TimeDistributed').slice(1);
  const folded = g.reshape(x.name, [-1, ...inner], `${name}/fold_time`);
  const wrapped = (ctx.layer as unknown as { layer: LayerLike }).layer;
  const [y] = ctx.convertLayer(
    wrapped,
    [{ name: folded, shape: [null, ...inner], dtype: x.dtype }],
    [[null, ...outInner]],
  );
  return [g.reshape(y as string, [-1, steps, ...outInner], `${name}/unfold_time`)];
};

/**
 * Converters of the wrapper layers.
 *
 * @example
 * ```ts
 * const convert = WRAPPER_CONVERTERS.Bidirectional;
 * ```
 */
export const WRAPPER_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Bidirectional: bidirectional,
  TimeDistributed: timeDistributed,
});
