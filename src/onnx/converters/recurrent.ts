/**
 * @module onnx/converters/recurrent — LSTM, GRU and SimpleRNN as ONNX LSTM, GRU and RNN: the kernels
 * transposed and their gates reordered on the host (tfjs i, f, c, o -> ONNX i, o, f, c), tfjs's single bias
 * as ONNX's input bias with a zero recurrent bias, time-major inside, batch-major outside. `recurrentNode`
 * is shared with Bidirectional.
 */
import { attr } from '../graph.js';
import {
  type ConvertContext,
  type Converter,
  type LayerLike,
  onlyInput,
  unsupported,
  type Value,
  weight,
  weightsOf,
} from './context.js';

interface Recurrence {
  op: 'LSTM' | 'GRU' | 'RNN';
  /** For each ONNX gate in ONNX's order, the index of the tfjs gate. */
  gates: number[];
}

const RECURRENCES: Record<string, Recurrence> = {
  LSTM: { op: 'LSTM', gates: [0, 3, 1, 2] },
  GRU: { op: 'GRU', gates: [0, 1, 2] },
  SimpleRNN: { op: 'RNN', gates: [0] },
};

/** tfjs activations the ONNX recurrent ops take (with ONNX's defaults equal to tfjs's parameters). */
const RNN_ACTIVATIONS: Record<string, string> = {
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  hardSigmoid: 'HardSigmoid',
  relu: 'Relu',
  softsign: 'Softsign',
  softplus: 'Softplus',
  elu: 'Elu',
};

/** The recurrence of `layer` and its checked config: every option that changes the maths is refused. */
function recurrenceOf(
  layer: LayerLike,
  backward: boolean,
): { rec: Recurrence; config: Record<string, unknown> } {
  const rec = RECURRENCES[layer.getClassName()];
  if (rec === undefined) throw unsupported(layer, `a recurrent layer of class ${layer.getClassName()}`);
  const config = layer.getConfig() as Record<string, unknown>;
  const refuse = (option: string, ok: boolean): void => {
    if (!ok) throw unsupported(layer, `option ${option} = ${JSON.stringify(config[option])}`);
  };
  refuse('returnState', config.returnState !== true);
  refuse('stateful', config.stateful !== true);
  refuse('goBackwards', (config.goBackwards === true) === backward);
  return { rec, config };
}

/** ONNX's activations list for one direction: f, g (and h) as the op orders them. */
function activationsOf(layer: LayerLike, rec: Recurrence, config: Record<string, unknown>): string[] {
  const name = (option: string): string => {
    const onnx = RNN_ACTIVATIONS[String(config[option])];
    if (onnx === undefined) throw unsupported(layer, `option ${option} = ${JSON.stringify(config[option])}`);
    return onnx;
  };
  if (rec.op === 'RNN') return [name('activation')];
  if (rec.op === 'GRU') return [name('recurrentActivation'), name('activation')];
  return [name('recurrentActivation'), name('activation'), name('activation')];
}

/** A tfjs kernel [rows, gates x units] as ONNX's [gates x units, rows] in ONNX's gate order. */
function gateMatrix(data: Float32Array, rows: number, units: number, gates: readonly number[]): Float32Array {
  const cols = gates.length * units;
  const out = new Float32Array(cols * rows);
  gates.forEach((source, g) => {
    for (let u = 0; u < units; u++) {
      for (let r = 0; r < rows; r++)
        out[(g * units + u) * rows + r] = data[r * cols + source * units + u] as number;
    }
  });
  return out;
}

/** W, R and B of one direction, flat, in ONNX's layout. */
function directionWeights(layer: LayerLike, rec: Recurrence, config: Record<string, unknown>) {
  const weights = weightsOf(layer);
  const kernel = weight(layer, weights, 'kernel');
  const units = Number(config.units);
  const w = gateMatrix(kernel.data, kernel.shape[0] as number, units, rec.gates);
  const r = gateMatrix(weight(layer, weights, 'recurrent_kernel').data, units, units, rec.gates);
  const b = new Float32Array(2 * rec.gates.length * units); // [Wb, Rb]; tfjs has one bias: Rb = 0
  if (config.useBias !== false) b.set(gateMatrix(weight(layer, weights, 'bias').data, 1, units, rec.gates));
  return { w, r, b, units, inputSize: kernel.shape[0] as number };
}

/**
 * One ONNX recurrent node over `x` ([B, T, F], batch-major as tfjs): `layers` is one layer (forward) or
 * the forward and backward layers of a Bidirectional. Returns Y ([T, dirs, B, H]) and Y_h ([dirs, B, H])
 * and the units H.
 *
 * @throws ReelsetError `REELSET_E_UNSUPPORTED_LAYER` for returnState, stateful, goBackwards outside a
 *   Bidirectional, or an activation the ONNX op does not have.
 * @example
 * ```ts
 * const { y, yh } = recurrentNode(ctx, x, [forward, backward]);
 * ```
 */
export function recurrentNode(
  ctx: ConvertContext,
  x: Value,
  layers: readonly LayerLike[],
): { y: string; yh: string; units: number } {
  const { g } = ctx;
  const name = ctx.layer.name;
  const parts = layers.map((layer, i) => {
    const { rec, config } = recurrenceOf(layer, i === 1);
    return { rec, activations: activationsOf(layer, rec, config), ...directionWeights(layer, rec, config) };
  });
  const [first] = parts as [(typeof parts)[number]];
  const dirs = parts.length;
  const rows = first.rec.gates.length * first.units;
  const stack = (key: 'w' | 'r' | 'b'): Float32Array => {
    const out = new Float32Array(dirs * first[key].length);
    for (const [i, p] of parts.entries()) out.set(p[key], i * first[key].length);
    return out;
  };
  const inputs = [
    g.transpose(x.name, [1, 0, 2], `${name}/time_major`),
    g.floats(`${name}/W`, [dirs, rows, first.inputSize], stack('w')),
    g.floats(`${name}/R`, [dirs, rows, first.units], stack('r')),
    g.floats(`${name}/B`, [dirs, 2 * rows], stack('b')),
  ];
  const attrs = {
    hidden_size: attr.int(first.units),
    direction: attr.string(dirs === 2 ? 'bidirectional' : 'forward'),
    activations: attr.strings(parts.flatMap((p) => p.activations)),
  };
  const [y, yh] = g.node(first.rec.op, inputs, attrs, `${name}/${first.rec.op}`, 2) as [string, string];
  return { y, yh, units: first.units };
}

/**
 * A sequence [T, B, H] back to tfjs's batch-major [B, T, H].
 *
 * @example
 * ```ts
 * const out = batchMajor(ctx, forwardY);
 * ```
 */
export function batchMajor(ctx: ConvertContext, y: string): string {
  return ctx.g.transpose(y, [1, 0, 2], `${ctx.layer.name}/batch_major`);
}

/** LSTM, GRU, SimpleRNN: the last output ([B, H]) or, with returnSequences, every output ([B, T, H]). */
const recurrent: Converter = (ctx) => {
  const { y, yh } = recurrentNode(ctx, onlyInput(ctx), [ctx.layer]);
  const { g } = ctx;
  const name = ctx.layer.name;
  if (ctx.config.returnSequences !== true)
    return [g.op('Squeeze', [yh, g.int64s('axes', [0])], {}, `${name}/last`)];
  return [batchMajor(ctx, g.op('Squeeze', [y, g.int64s('axes', [1])], {}, `${name}/sequence`))];
};

/**
 * Converters of the recurrent layers.
 *
 * @example
 * ```ts
 * const convert = RECURRENT_CONVERTERS.LSTM;
 * ```
 */
export const RECURRENT_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  LSTM: recurrent,
  GRU: recurrent,
  SimpleRNN: recurrent,
});
