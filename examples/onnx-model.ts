/**
 * @module onnx-model — a tiny hand-written protobuf encoder that builds a valid ONNX model (IR 8, opset 17)
 * for the examples and tests, so that no ONNX dependency is needed before the exporter exists.
 */

/** Protobuf wire types. */
const VARINT = 0;
const LEN = 2;

/** An append-only protobuf message writer (only what ONNX's ModelProto needs). */
class Writer {
  private readonly parts: number[] = [];

  private varint(value: number): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.key(field, VARINT);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LEN);
    this.varint(value.length);
    for (const byte of value) this.parts.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** ONNX TensorProto.DataType FLOAT. */
const FLOAT = 1;

/** A ValueInfoProto of a float tensor; a dimension is a number or a symbolic name. */
function valueInfo(w: Writer, field: number, name: string, dims: readonly (number | string)[]): void {
  w.message(field, (v) => {
    v.string(1, name);
    v.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.int(1, FLOAT);
        tensor.message(2, (shape) => {
          for (const d of dims) {
            shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
          }
        });
      }),
    );
  });
}

/** A float initializer (TensorProto with raw_data, little-endian). */
function initializer(w: Writer, name: string, dims: readonly number[], values: Float32Array): void {
  w.message(5, (t) => {
    for (const d of dims) t.int(1, d);
    t.int(2, FLOAT);
    t.string(8, name);
    t.bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  });
}

/** A NodeProto. `ints` attributes only (AttributeProto type INTS = 7, INT = 2). */
function node(
  w: Writer,
  op: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, number | readonly number[]> = {},
): void {
  w.message(1, (n) => {
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, `${op}_${outputs[0]}`);
    n.string(4, op);
    for (const [name, value] of Object.entries(attributes)) {
      n.message(5, (a) => {
        a.string(1, name);
        if (typeof value === 'number') a.int(3, value).int(20, 2);
        else {
          for (const v of value) a.int(8, v);
          a.int(20, 7);
        }
      });
    }
  });
}

/**
 * Options of {@link imageClassifierOnnx}.
 *
 * @example
 * ```ts
 * const options: ImageClassifierOptions = { channels: 3, classes: 31, seed: 1 };
 * ```
 */
export interface ImageClassifierOptions {
  /** C of the NCHW input (default 3). */
  channels?: number;
  /** Output classes (default 31). */
  classes?: number;
  /** Seed of the weights (default 1). */
  seed?: number;
  /** Input name (default `image_data`). */
  input?: string;
  /** Output name (default `video_label`). */
  output?: string;
}

/**
 * The bytes of an ONNX model (IR 8, opset 17): `image_data` float32 `[N, C, H, W]` (N, H, W symbolic) ->
 * ReduceMean over H, W -> MatMul `[C, K]` -> Add `[K]` -> Softmax -> `video_label` float32 `[N, K]`.
 *
 * @example
 * ```ts
 * const session = await ort.InferenceSession.create(imageClassifierOnnx({ classes: 31 }));
 * ```
 */
export function imageClassifierOnnx(options: ImageClassifierOptions = {}): Uint8Array {
  const c = options.channels ?? 3;
  const k = options.classes ?? 31;
  const input = options.input ?? 'image_data';
  const output = options.output ?? 'video_label';
  let state = (options.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32) * 2 - 1;
  };
  const weights = Float32Array.from({ length: c * k }, () => random());
  const bias = Float32Array.from({ length: k }, () => random() * 0.1);
  const model = new Writer();
  model.int(1, 8); // ir_version
  model.string(2, 'reelset-examples'); // producer_name
  model.message(7, (g) => {
    node(g, 'ReduceMean', [input], ['pooled'], { axes: [2, 3], keepdims: 0 });
    node(g, 'MatMul', ['pooled', 'W'], ['logits0']);
    node(g, 'Add', ['logits0', 'B'], ['logits']);
    node(g, 'Softmax', ['logits'], [output], { axis: -1 });
    g.string(2, 'image_classifier');
    initializer(g, 'W', [c, k], weights);
    initializer(g, 'B', [k], bias);
    valueInfo(g, 11, input, ['N', c, 'H', 'W']);
    valueInfo(g, 12, output, ['N', k]);
  });
  model.message(8, (o) => o.string(1, '').int(2, 17)); // opset_import: default domain, version 17
  return model.finish();
}
