/**
 * @module onnx/converters/normalization — BatchNormalization (inference: folded on the host into one
 * scale and one shift along the last axis, channels-last) and LayerNormalization (mean and variance over its
 * axes, composed from ReduceMean so that any axes and every supported opset work).
 */
import { attr } from '../graph.js';
import {
  type ConvertContext,
  type Converter,
  type HostTensor,
  onlyInput,
  refuseOption,
  unsupported,
  weight,
  weightsOf,
} from './context.js';

/** The layer's axes, made non-negative for a value of rank `rank`. */
function axesOf(ctx: ConvertContext, rank: number): number[] {
  const raw = ctx.config.axis ?? -1;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((a) => {
    if (typeof a !== 'number' || a === 0 || a >= rank || a < -rank + 1) {
      throw unsupported(ctx.layer, `option axis = ${JSON.stringify(raw)}`);
    }
    return a < 0 ? a + rank : a;
  });
}

/** A broadcast shape for a per-axis parameter: 1 everywhere but the given axes (batch included). */
function broadcastShape(shape: readonly (number | null)[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? (d as number) : 1));
}

/** y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale. */
const batchNorm: Converter = (ctx) => {
  const x = onlyInput(ctx);
  const [axis] = axesOf(ctx, x.shape.length) as [number];
  // tfjs's kernels read the moving statistics along the last axis whatever `axis` says: refused, not guessed.
  refuseOption(ctx, 'axis', axis === x.shape.length - 1);
  const weights = weightsOf(ctx.layer);
  const mean = weight(ctx.layer, weights, 'moving_mean').data;
  const variance = weight(ctx.layer, weights, 'moving_variance').data;
  const gamma = ctx.config.scale === false ? undefined : weight(ctx.layer, weights, 'gamma').data;
  const beta = ctx.config.center === false ? undefined : weight(ctx.layer, weights, 'beta').data;
  const epsilon = Number(ctx.config.epsilon ?? 1e-3);
  const scale = mean.map((_, c) => (gamma?.[c] ?? 1) / Math.sqrt((variance[c] as number) + epsilon));
  const shift = mean.map((m, c) => (beta?.[c] ?? 0) - m * (scale[c] as number));
  const dims = [scale.length];
  const { g } = ctx;
  const scaled = g.op(
    'Mul',
    [x.name, g.floats(`${ctx.layer.name}/scale`, dims, scale)],
    {},
    `${ctx.layer.name}/scale`,
  );
  return [
    g.op('Add', [scaled, g.floats(`${ctx.layer.name}/shift`, dims, shift)], {}, `${ctx.layer.name}/shift`),
  ];
};

/** (x - mean) / sqrt(variance + eps) * gamma + beta, moments over the layer's axes. */
const layerNorm: Converter = (ctx) => {
  const { g } = ctx;
  const x = onlyInput(ctx);
  const name = ctx.layer.name;
  const axes = axesOf(ctx, x.shape.length);
  const reduce = { axes: attr.ints(axes), keepdims: attr.int(1) };
  const centred = g.op(
    'Sub',
    [x.name, g.op('ReduceMean', [x.name], reduce, `${name}/mean`)],
    {},
    `${name}/centred`,
  );
  const square = g.op('Mul', [centred, centred], {}, `${name}/square`);
  const variance = g.op('ReduceMean', [square], reduce, `${name}/variance`);
  const epsilon = g.floats('epsilon', [], [Number(ctx.config.epsilon ?? 1e-3)]);
  const std = g.op('Sqrt', [g.op('Add', [variance, epsilon], {}, `${name}/variance_eps`)], {}, `${name}/std`);
  let y = g.op('Div', [centred, std], {}, `${name}/normalized`);
  const weights = weightsOf(ctx.layer);
  const dims = broadcastShape(x.shape, axes);
  const param = (key: string): HostTensor | undefined =>
    ctx.config[key === 'gamma' ? 'scale' : 'center'] === false ? undefined : weight(ctx.layer, weights, key);
  const gamma = param('gamma');
  if (gamma !== undefined)
    y = g.op('Mul', [y, g.floats(`${name}/gamma`, dims, gamma.data)], {}, `${name}/gamma`);
  const beta = param('beta');
  if (beta !== undefined) y = g.op('Add', [y, g.floats(`${name}/beta`, dims, beta.data)], {}, `${name}/beta`);
  return [y];
};

/**
 * Converters of the normalization layers.
 *
 * @example
 * ```ts
 * const convert = NORMALIZATION_CONVERTERS.BatchNormalization;
 * ```
 */
export const NORMALIZATION_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
});
