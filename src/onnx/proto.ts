/**
 * @module onnx/proto — our own protobuf encoder for the subset of `onnx.proto` reelset writes (a model, its
 * graph, nodes, typed attributes, raw-data tensors, value infos and metadata), with the field numbers of
 * onnx/onnx.proto. Encoding only: varints, length-delimited fields, little-endian fixed32 floats.
 */

/**
 * `TensorProto.DataType` values reelset writes.
 *
 * @example
 * ```ts
 * const t: TensorProto = { name: 'w', dataType: DATA_TYPE.float, dims: [2], rawData: rawData(new Float32Array([1, 2])) };
 * ```
 */
export const DATA_TYPE = Object.freeze({ float: 1, int32: 6, int64: 7, bool: 9 } as const);

/**
 * A `TensorProto.DataType` value reelset writes.
 *
 * @example
 * ```ts
 * const type: DataType = DATA_TYPE.int64;
 * ```
 */
export type DataType = (typeof DATA_TYPE)[keyof typeof DATA_TYPE];

/**
 * A constant tensor (an initializer or a `TENSOR` attribute); its values are in `rawData`, little-endian.
 *
 * @example
 * ```ts
 * const axes: TensorProto = { name: 'axes', dataType: DATA_TYPE.int64, dims: [1], rawData: rawData(new BigInt64Array([1n])) };
 * ```
 */
export interface TensorProto {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  rawData: Uint8Array;
}

/**
 * A node attribute: its name and a typed value (the encoder always writes the `type` field).
 *
 * @example
 * ```ts
 * const perm: AttributeProto = { name: 'perm', kind: 'ints', value: [0, 3, 1, 2] };
 * ```
 */
export type AttributeProto = { name: string } & (
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProto }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
);

/**
 * A graph node.
 *
 * @example
 * ```ts
 * const node: NodeProto = { name: 'relu', opType: 'Relu', inputs: ['x'], outputs: ['y'], attributes: [] };
 * ```
 */
export interface NodeProto {
  name: string;
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly AttributeProto[];
}

/**
 * The name, element type and shape of a graph input or output. A dimension is a size, a symbolic name
 * (`dim_param`, e.g. `'batch'`) or `null` (unknown).
 *
 * @example
 * ```ts
 * const input: ValueInfoProto = { name: 'image_data', elemType: DATA_TYPE.float, shape: ['batch', 64, 64, 3] };
 * ```
 */
export interface ValueInfoProto {
  name: string;
  elemType: DataType;
  shape: readonly (number | string | null)[];
}

/**
 * A graph: nodes in topological order, initializers, inputs and outputs.
 *
 * @example
 * ```ts
 * const graph: GraphProto = { name: 'g', nodes: [node], initializers: [], inputs: [x], outputs: [y] };
 * ```
 */
export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfoProto[];
  outputs: readonly ValueInfoProto[];
}

/**
 * A whole model: IR version, the default-domain opset, producer, graph and `metadata_props`.
 *
 * @example
 * ```ts
 * const bytes = encodeModel({ irVersion: 8, opset: 17, producerName: 'reelset', producerVersion: '0.1.0', graph, metadata: {} });
 * ```
 */
export interface ModelProto {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
  metadata: Readonly<Record<string, string>>;
}

const VARINT = 0;
const BYTES = 2;
const FIXED32 = 5;

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

const utf8 = new TextEncoder();

/** Collects the encoded bytes of one message as chunks; nested messages are encoded first, then framed. */
class Writer {
  readonly #chunks: Uint8Array[] = [];
  #scratch: number[] = [];
  #length = 0;

  get length(): number {
    return this.#length + this.#scratch.length;
  }

  #flush(): void {
    if (this.#scratch.length === 0) return;
    const bytes = Uint8Array.from(this.#scratch);
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    this.#scratch = [];
  }

  varint(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.#scratch.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      this.#scratch.push(v);
      return;
    }
    // Negative and large values: the 64-bit two's complement, 7 bits at a time (10 bytes for a negative).
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.#scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#scratch.push(Number(v));
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, bytes: Uint8Array): void {
    this.tag(field, BYTES);
    this.varint(bytes.length);
    this.#flush();
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  string(field: number, text: string): void {
    this.bytes(field, utf8.encode(text));
  }

  int(field: number, value: number): void {
    this.tag(field, VARINT);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, FIXED32);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.#scratch.push(view.getUint8(i));
  }

  message(field: number, encode: (w: Writer) => void): void {
    const inner = new Writer();
    encode(inner);
    this.tag(field, BYTES);
    this.varint(inner.length);
    this.#flush();
    for (const chunk of inner.finishChunks()) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
  }

  finishChunks(): Uint8Array[] {
    this.#flush();
    return this.#chunks;
  }

  finish(): Uint8Array {
    const chunks = this.finishChunks();
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/**
 * The little-endian bytes of a typed array, as `TensorProto.raw_data` requires (whatever the host's byte
 * order).
 *
 * @example
 * ```ts
 * rawData(new Float32Array([1])); // Uint8Array [0, 0, 128, 63]
 * ```
 */
export function rawData(values: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  if (values instanceof Uint8Array) return values;
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  const n = values.length;
  if (values instanceof Float32Array)
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i] as number, true);
  else if (values instanceof Int32Array)
    for (let i = 0; i < n; i++) view.setInt32(i * 4, values[i] as number, true);
  else for (let i = 0; i < n; i++) view.setBigInt64(i * 8, values[i] as bigint, true);
  return out;
}

function tensor(w: Writer, t: TensorProto): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.rawData);
}

function attribute(w: Writer, a: AttributeProto): void {
  w.string(1, a.name);
  w.int(20, ATTRIBUTE_TYPE[a.kind]);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, (m) => tensor(m, a.value));
      break;
    case 'floats':
      for (const v of a.value) w.float(7, v);
      break;
    case 'ints':
      for (const v of a.value) w.int(8, v);
      break;
    case 'strings':
      for (const v of a.value) w.string(9, v);
      break;
  }
}

function node(w: Writer, n: NodeProto): void {
  for (const input of n.inputs) w.string(1, input);
  for (const output of n.outputs) w.string(2, output);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, (m) => attribute(m, a));
}

function valueInfo(w: Writer, v: ValueInfoProto): void {
  w.string(1, v.name);
  // TypeProto { tensor_type (1): Tensor { elem_type (1), shape (2): TensorShapeProto { dim (1) } } }
  w.message(2, (type) =>
    type.message(1, (t) => {
      t.int(1, v.elemType);
      t.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d);
            else if (typeof d === 'string') dim.string(2, d);
          });
        }
      });
    }),
  );
}

function graph(w: Writer, g: GraphProto): void {
  for (const n of g.nodes) w.message(1, (m) => node(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => tensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => valueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => valueInfo(m, v));
}

/**
 * The protobuf bytes of an ONNX `ModelProto`: what an `.onnx` file holds.
 *
 * @example
 * ```ts
 * await writeFile('model.onnx', encodeModel(model));
 * ```
 */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.message(7, (m) => graph(m, model.graph));
  w.message(8, (m) => m.int(2, model.opset)); // the default domain: no `domain` field
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}
