/**
 * @module onnx/graph — `OnnxGraph`, the graph the converters write into: unique value names, nodes with
 * typed attributes, initializers (small int64 constants shared), and the final pass that folds
 * Transpose pairs, drops unused nodes and names the outputs.
 */
import {
  type AttributeProto,
  DATA_TYPE,
  type DataType,
  type GraphProto,
  type NodeProto,
  rawData,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';

/**
 * An attribute value without its name (the key of the attributes object names it).
 *
 * @example
 * ```ts
 * const attrs: Record<string, Attr> = { perm: attr.ints([0, 3, 1, 2]) };
 * ```
 */
export type Attr = AttributeProto extends infer A ? (A extends unknown ? Omit<A, 'name'> : never) : never;

/**
 * Constructors of typed attribute values.
 *
 * @example
 * ```ts
 * graph.op('Softmax', [x], { axis: attr.int(-1) });
 * ```
 */
export const attr = Object.freeze({
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): Attr => ({ kind: 'strings', value }),
  tensor: (value: TensorProto): Attr => ({ kind: 'tensor', value }),
});

/**
 * A graph output: the value that holds it, and the name, type and shape it gets.
 *
 * @example
 * ```ts
 * const out: GraphOutput = { value: 'dense/Softmax', info: { name: 'video_label', elemType: DATA_TYPE.float, shape: ['batch', 31] } };
 * ```
 */
export interface GraphOutput {
  value: string;
  info: ValueInfoProto;
}

interface MutableNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
}

/** Constants of at most this many values are written once and shared. */
const SHARED_SIZE = 16;

const isIdentityPerm = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);

/**
 * The ONNX graph under construction. Every name it hands out is unique; names reserved up front (the
 * graph's input and output names) are never handed out.
 *
 * @example
 * ```ts
 * const g = new OnnxGraph(17, ['y']);
 * const x = g.input({ name: 'x', elemType: DATA_TYPE.float, shape: ['batch', 4] });
 * const y = g.op('Relu', [x], {}, 'relu');
 * const proto = g.build('model', [{ value: y, info: { name: 'y', elemType: DATA_TYPE.float, shape: ['batch', 4] } }]);
 * ```
 */
export class OnnxGraph {
  /** The default-domain opset the graph targets. */
  readonly opset: number;
  readonly #used = new Set<string>();
  readonly #nodes: MutableNode[] = [];
  readonly #initializers = new Map<string, TensorProto>();
  readonly #shared = new Map<string, string>();
  readonly #inputs: ValueInfoProto[] = [];

  constructor(opset: number, reserved: Iterable<string> = []) {
    this.opset = opset;
    for (const name of reserved) this.#used.add(name);
  }

  /** A name not used yet, `hint` itself when free, else `hint_1`, `hint_2`... */
  unique(hint: string): string {
    let name = hint;
    for (let i = 1; this.#used.has(name); i++) name = `${hint}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a graph input (its name must be reserved or free) and returns its name. */
  input(info: ValueInfoProto): string {
    this.#used.add(info.name);
    this.#inputs.push(info);
    return info.name;
  }

  /** Adds a node with `outputs` fresh outputs named after `hint`; returns their names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, Attr>,
    hint: string,
    outputs = 1,
  ): string[] {
    const names = Array.from({ length: outputs }, (_, i) =>
      this.unique(outputs === 1 ? hint : `${hint}_${i}`),
    );
    const attributes = Object.entries(attrs).map(([name, a]) => ({ name, ...a }) as AttributeProto);
    this.#nodes.push({
      name: this.unique(`${hint}_node`),
      opType,
      inputs: [...inputs],
      outputs: names,
      attributes,
    });
    return names;
  }

  /** Adds a one-output node and returns its output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, hint = opType): string {
    return this.node(opType, inputs, attrs, hint)[0] as string;
  }

  /** A float32 initializer (small ones shared with every equal one); returns its name. */
  floats(hint: string, dims: readonly number[], values: Float32Array | readonly number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.#initializer(hint, DATA_TYPE.float, dims, data);
  }

  /** An int64 initializer (shapes, axes, indices), shared with every equal one; returns its name. */
  int64s(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.#initializer(
      hint,
      DATA_TYPE.int64,
      dims,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  #initializer(
    hint: string,
    dataType: DataType,
    dims: readonly number[],
    data: Float32Array | BigInt64Array,
  ): string {
    const key = data.length <= SHARED_SIZE ? `${dataType}:${dims.join('x')}:${data.join(',')}` : undefined;
    const known = key === undefined ? undefined : this.#shared.get(key);
    if (known !== undefined) return known;
    const name = this.unique(hint);
    this.#initializers.set(name, { name, dataType, dims: [...dims], rawData: rawData(data) });
    if (key !== undefined) this.#shared.set(key, name);
    return name;
  }

  /** `Transpose(x, perm)`, or `x` itself for the identity permutation. */
  transpose(x: string, perm: readonly number[], hint = 'transpose'): string {
    return isIdentityPerm(perm) ? x : this.op('Transpose', [x], { perm: attr.ints(perm) }, hint);
  }

  /** `Reshape(x, shape)` (a 0 copies the input's dimension, a -1 is inferred). */
  reshape(x: string, shape: readonly number[], hint = 'reshape'): string {
    return this.op('Reshape', [x, this.int64s('shape', shape)], {}, hint);
  }

  /** The nodes that are left once Transpose pairs are folded and unused nodes dropped, outputs named. */
  build(name: string, outputs: readonly GraphOutput[]): GraphProto {
    const alias = this.#foldTransposes();
    const resolve = (v: string): string => alias.get(v) ?? v;
    const values = outputs.map((o) => resolve(o.value));
    const nodes = this.#live(values);
    this.#nameOutputs(nodes, values, outputs);
    const usedNames = new Set(nodes.flatMap((n) => n.inputs));
    return {
      name,
      nodes: nodes as NodeProto[],
      initializers: [...this.#initializers.values()].filter((t) => usedNames.has(t.name)),
      inputs: this.#inputs,
      outputs: outputs.map((o) => o.info),
    };
  }

  /**
   * Folds `Transpose(Transpose(x, p1), p2)` into one Transpose of x (or x itself when the two cancel, as
   * a channels-last round trip between two channels-first ops does). Returns the aliases of the values
   * that disappeared.
   */
  #foldTransposes(): Map<string, string> {
    const alias = new Map<string, string>();
    const producer = new Map<string, MutableNode>();
    for (const n of this.#nodes) {
      n.inputs = n.inputs.map((v) => alias.get(v) ?? v);
      const source = producer.get(n.inputs[0] as string);
      if (n.opType === 'Transpose' && source?.opType === 'Transpose') {
        const p1 = source.attributes[0]?.value as readonly number[];
        const p2 = n.attributes[0]?.value as readonly number[];
        const perm = p2.map((p) => p1[p] as number);
        n.inputs = [source.inputs[0] as string];
        if (isIdentityPerm(perm)) {
          alias.set(n.outputs[0] as string, n.inputs[0] as string);
          n.opType = 'Identity';
          n.attributes = [];
          continue; // no longer a producer: #live drops it, its consumers read the alias
        }
        n.attributes = [{ name: 'perm', kind: 'ints', value: perm }];
      }
      for (const o of n.outputs) producer.set(o, n);
    }
    return alias;
  }

  /** The nodes the outputs depend on, in their order. */
  #live(values: readonly string[]): MutableNode[] {
    const needed = new Set(values);
    const keep = new Set<MutableNode>();
    for (let i = this.#nodes.length - 1; i >= 0; i--) {
      const n = this.#nodes[i] as MutableNode;
      if (!n.outputs.some((o) => needed.has(o))) continue;
      keep.add(n);
      for (const v of n.inputs) needed.add(v);
    }
    return this.#nodes.filter((n) => keep.has(n));
  }

  /**
   * Gives each output value its output name: the producing node's output is renamed (and every use of
   * it), or an Identity is added when the value is a graph input, an initializer, or already an output.
   */
  #nameOutputs(nodes: MutableNode[], values: string[], outputs: readonly GraphOutput[]): void {
    const renamed = new Set<string>();
    outputs.forEach((o, i) => {
      const value = values[i] as string;
      const target = o.info.name;
      const producer = nodes.find((n) => n.outputs.includes(value));
      if (producer === undefined || renamed.has(value)) {
        nodes.push({
          name: this.unique(`${target}_identity`),
          opType: 'Identity',
          inputs: [value],
          outputs: [target],
          attributes: [],
        });
        return;
      }
      renamed.add(value);
      renamed.add(target);
      for (const n of nodes) {
        n.inputs = n.inputs.map((v) => (v === value ? target : v));
        n.outputs = n.outputs.map((v) => (v === value ? target : v));
      }
      for (let j = i + 1; j < values.length; j++) if (values[j] === value) values[j] = target;
    });
  }
}
