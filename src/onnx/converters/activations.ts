/**
 * @module onnx/converters/activations — every tfjs activation as ONNX nodes (`applyActivation`, also used
 * for the `activation` option of Dense, Conv and the others), and the activation layers.
 */
import { attr } from '../graph.js';
import { type ConvertContext, type Converter, onlyInput, unsupported, weight, weightsOf } from './context.js';

/** Composed activations at opset 17 (no Gelu or Mish op yet); the others are one op. */
const COMPOSED: Record<string, (ctx: ConvertContext, x: string, hint: string) => string> = {
  linear: (_ctx, x) => x,
  relu6: (ctx, x, hint) =>
    ctx.g.op('Clip', [x, ctx.g.floats('zero', [], [0]), ctx.g.floats('six', [], [6])], {}, `${hint}/relu6`),
  swish: (ctx, x, hint) =>
    ctx.g.op('Mul', [x, ctx.g.op('Sigmoid', [x], {}, `${hint}/sigmoid`)], {}, `${hint}/swish`),
  mish: (ctx, x, hint) => {
    const softplus = ctx.g.op('Softplus', [x], {}, `${hint}/softplus`);
    return ctx.g.op('Mul', [x, ctx.g.op('Tanh', [softplus], {}, `${hint}/tanh`)], {}, `${hint}/mish`);
  },
  // tfjs gelu: x * 0.5 * (1 + erf(x / sqrt(2))).
  gelu: (ctx, x, hint) => {
    const { g } = ctx;
    const erf = g.op(
      'Erf',
      [g.op('Div', [x, g.floats('sqrt2', [], [Math.SQRT2])], {}, `${hint}/scaled`)],
      {},
      `${hint}/erf`,
    );
    const cdf = g.op(
      'Mul',
      [g.op('Add', [erf, g.floats('one', [], [1])], {}, `${hint}/plus1`), g.floats('half', [], [0.5])],
      {},
      `${hint}/cdf`,
    );
    return g.op('Mul', [x, cdf], {}, `${hint}/gelu`);
  },
  // tfjs gelu_new: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
  gelu_new: (ctx, x, hint) => {
    const { g } = ctx;
    const cube = g.op('Mul', [g.op('Mul', [x, x], {}, `${hint}/x2`), x], {}, `${hint}/x3`);
    const inner = g.op(
      'Add',
      [x, g.op('Mul', [cube, g.floats('c', [], [0.044715])], {}, `${hint}/cx3`)],
      {},
      `${hint}/inner`,
    );
    const scaled = g.op('Mul', [inner, g.floats('k', [], [Math.sqrt(2 / Math.PI)])], {}, `${hint}/scaled`);
    const tanh = g.op('Tanh', [scaled], {}, `${hint}/tanh`);
    const half = g.op(
      'Mul',
      [g.op('Add', [tanh, g.floats('one', [], [1])], {}, `${hint}/plus1`), g.floats('half', [], [0.5])],
      {},
      `${hint}/cdf`,
    );
    return g.op('Mul', [x, half], {}, `${hint}/gelu_new`);
  },
};

/** Activations that are one ONNX op, with the attributes that make it tfjs's. */
const SINGLE: Record<string, [string, Record<string, ReturnType<typeof attr.int>>]> = {
  relu: ['Relu', {}],
  elu: ['Elu', { alpha: attr.float(1) }],
  selu: ['Selu', {}], // ONNX's default alpha and gamma are tfjs's constants
  sigmoid: ['Sigmoid', {}],
  hardSigmoid: ['HardSigmoid', { alpha: attr.float(0.2), beta: attr.float(0.5) }],
  tanh: ['Tanh', {}],
  softmax: ['Softmax', { axis: attr.int(-1) }],
  logSoftmax: ['LogSoftmax', { axis: attr.int(-1) }],
  softplus: ['Softplus', {}],
  softsign: ['Softsign', {}],
};

/**
 * The tfjs activation names the exporter converts (`Activation` layers and the `activation` option).
 *
 * @example
 * ```ts
 * ACTIVATIONS.includes('gelu'); // true
 * ```
 */
export const ACTIVATIONS: readonly string[] = Object.freeze(
  [...Object.keys(SINGLE), ...Object.keys(COMPOSED)].sort(),
);

/**
 * Applies the tfjs activation `name` (a config value such as `'relu'`; `undefined` or `null` is linear) to
 * the value `x`; returns the result's name.
 *
 * @throws ReelsetError `REELSET_E_UNSUPPORTED_LAYER` for an activation without a conversion.
 * @example
 * ```ts
 * const y = applyActivation(ctx, matmul, ctx.config.activation);
 * ```
 */
export function applyActivation(ctx: ConvertContext, x: string, name: unknown): string {
  const id = name ?? 'linear';
  const hint = ctx.layer.name;
  if (typeof id === 'string' && id in COMPOSED)
    return (COMPOSED[id] as (typeof COMPOSED)[string])(ctx, x, hint);
  if (typeof id === 'string' && id in SINGLE) {
    const [op, attrs] = SINGLE[id] as (typeof SINGLE)[string];
    return ctx.g.op(op, [x], attrs, `${hint}/${id}`);
  }
  throw unsupported(ctx.layer, `activation ${JSON.stringify(id)}`);
}

const activation: Converter = (ctx) => [applyActivation(ctx, onlyInput(ctx).name, ctx.config.activation)];

/** ReLU layer: relu, capped at `maxValue` when given. */
const reluLayer: Converter = (ctx) => {
  const x = onlyInput(ctx).name;
  const max = ctx.config.maxValue;
  if (max === undefined || max === null) return [ctx.g.op('Relu', [x], {}, `${ctx.layer.name}/relu`)];
  const { g } = ctx;
  return [
    g.op(
      'Clip',
      [x, g.floats('zero', [], [0]), g.floats('max', [], [Number(max)])],
      {},
      `${ctx.layer.name}/relu`,
    ),
  ];
};

/** A layer that is one op with one float attribute read from the config. */
const withAlpha =
  (op: string, attribute: string, option: string, fallback: number): Converter =>
  (ctx) => {
    const value = ctx.config[option] ?? fallback;
    return [
      ctx.g.op(
        op,
        [onlyInput(ctx).name],
        { [attribute]: attr.float(Number(value)) },
        `${ctx.layer.name}/${op}`,
      ),
    ];
  };

/** Softmax layer: softmax along its `axis` (tfjs's default is 1). */
const softmaxLayer: Converter = (ctx) => {
  const axis = ctx.config.axis;
  if (typeof axis !== 'number') throw unsupported(ctx.layer, `option axis = ${JSON.stringify(axis)}`);
  return [ctx.g.op('Softmax', [onlyInput(ctx).name], { axis: attr.int(axis) }, `${ctx.layer.name}/softmax`)];
};

/** PReLU layer: ONNX PRelu with the learned slopes (shared axes have size 1 in the weight: broadcast). */
const preluLayer: Converter = (ctx) => {
  const alpha = weight(ctx.layer, weightsOf(ctx.layer), 'alpha');
  const slope = ctx.g.floats(`${ctx.layer.name}/alpha`, alpha.shape, alpha.data);
  return [ctx.g.op('PRelu', [onlyInput(ctx).name, slope], {}, `${ctx.layer.name}/prelu`)];
};

/**
 * Converters of the activation layers.
 *
 * @example
 * ```ts
 * const convert = ACTIVATION_CONVERTERS.Activation;
 * ```
 */
export const ACTIVATION_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Activation: activation,
  ReLU: reluLayer,
  LeakyReLU: withAlpha('LeakyRelu', 'alpha', 'alpha', 0.3),
  ELU: withAlpha('Elu', 'alpha', 'alpha', 1),
  ThresholdedReLU: withAlpha('ThresholdedRelu', 'alpha', 'theta', 1),
  Softmax: softmaxLayer,
  PReLU: preluLayer,
});
