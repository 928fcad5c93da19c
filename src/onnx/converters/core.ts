/**
 * @module onnx/converters/core — Dense, Rescaling and the layers that only act while training (Dropout
 * and the noise layers: the identity at inference).
 */
import { applyActivation } from './activations.js';
import { type ConvertContext, type Converter, onlyInput, weight, weightsOf } from './context.js';

/**
 * `x` plus the layer's `bias` weight when `useBias` is on (the bias lies along the last axis, or along the
 * channel axis of a channels-first value when `shape` is given: [C, 1, ..., 1]).
 *
 * @example
 * ```ts
 * const y = addBias(ctx, weights, ctx.g.op('MatMul', [x, kernel]));
 * ```
 */
export function addBias(
  ctx: ConvertContext,
  weights: ReturnType<typeof weightsOf>,
  x: string,
  shape?: readonly number[],
): string {
  if (ctx.config.useBias === false) return x;
  const bias = weight(ctx.layer, weights, 'bias');
  const b = ctx.g.floats(`${ctx.layer.name}/bias`, shape ?? bias.shape, bias.data);
  return ctx.g.op('Add', [x, b], {}, `${ctx.layer.name}/add_bias`);
}

/** Dense: MatMul on the last axis (any rank), bias, activation. */
const dense: Converter = (ctx) => {
  const x = onlyInput(ctx).name;
  const weights = weightsOf(ctx.layer);
  const kernel = weight(ctx.layer, weights, 'kernel');
  const w = ctx.g.floats(`${ctx.layer.name}/kernel`, kernel.shape, kernel.data);
  const y = addBias(ctx, weights, ctx.g.op('MatMul', [x, w], {}, `${ctx.layer.name}/matmul`));
  return [applyActivation(ctx, y, ctx.config.activation)];
};

/** Rescaling: x * scale + offset. */
const rescaling: Converter = (ctx) => {
  const { g } = ctx;
  const name = ctx.layer.name;
  const scaled = g.op(
    'Mul',
    [onlyInput(ctx).name, g.floats('scale', [], [Number(ctx.config.scale)])],
    {},
    `${name}/scale`,
  );
  const offset = Number(ctx.config.offset ?? 0);
  return [
    offset === 0 ? scaled : g.op('Add', [scaled, g.floats('offset', [], [offset])], {}, `${name}/offset`),
  ];
};

/** The identity: a training-only layer adds no node. */
const inferenceIdentity: Converter = (ctx) => [onlyInput(ctx).name];

/**
 * Converters of the core layers.
 *
 * @example
 * ```ts
 * const convert = CORE_CONVERTERS.Dense;
 * ```
 */
export const CORE_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Dense: dense,
  Rescaling: rescaling,
  Dropout: inferenceIdentity,
  SpatialDropout1D: inferenceIdentity,
  GaussianNoise: inferenceIdentity,
  GaussianDropout: inferenceIdentity,
  AlphaDropout: inferenceIdentity,
});
