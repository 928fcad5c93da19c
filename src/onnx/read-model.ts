/**
 * @module read-model — what reelset reads back from an ONNX file's bytes without onnxruntime: its
 * `metadata_props` (which onnxruntime does not expose) and the names, element types and shapes of its graph
 * inputs and outputs, with a minimal protobuf reader.
 */
import { ReelsetError } from '../errors.js';
import type { OnnxTensorInfo } from './export.js';

/** Field numbers read here (onnx.proto). */
const MODEL = { graph: 7, metadataProps: 14 } as const;
const GRAPH = { input: 11, output: 12 } as const;
const ENTRY = { key: 1, value: 2 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensor: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1, param: 2 } as const;
/** TensorProto.DataType values of the element types reelset writes. */
const ELEM_TYPES: { readonly [code: number]: OnnxTensorInfo['dtype'] } = {
  1: 'float32',
  6: 'int32',
  9: 'bool',
};

/** One field of a message: its number and either its varint value or its bytes. */
interface Field {
  field: number;
  value?: number;
  data?: Uint8Array;
}

function bad(what: string, why: string): ReelsetError {
  return new ReelsetError('REELSET_E_ONNX', `${what} is not an ONNX model: its protobuf ${why}`);
}

/** The fields of one protobuf message, in order (fixed-size ones are skipped). */
function fields(bytes: Uint8Array, what: string): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw bad(what, 'ends inside a number');
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw bad(what, 'has a number of more than 64 bits');
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) out.push({ field, value: varint() });
    else if (wire === 1 || wire === 5) at += wire === 1 ? 8 : 4;
    else if (wire === 2) {
      const length = varint();
      if (at + length > bytes.length) throw bad(what, 'is truncated');
      out.push({ field, data: bytes.subarray(at, at + length) });
      at += length;
    } else throw bad(what, `has an unknown wire type ${wire}`);
    if (at > bytes.length) throw bad(what, 'is truncated');
  }
  return out;
}

const utf8 = new TextDecoder();

/** The bytes of each field `n` of a message. */
function messages(list: Field[], n: number): Uint8Array[] {
  return list.filter((f) => f.field === n && f.data !== undefined).map((f) => f.data as Uint8Array);
}

/**
 * The `metadata_props` of an ONNX model (the bytes of an `.onnx` file) as an object; `what` names the file
 * in errors.
 *
 * @throws ReelsetError `REELSET_E_ONNX` when the bytes are not a protobuf message.
 * @example
 * ```ts
 * const meta = readOnnxMetadata(await readFile('model.onnx'), 'model.onnx');
 * console.log(meta.reelset_version);
 * ```
 */
export function readOnnxMetadata(bytes: Uint8Array, what = 'the file'): Record<string, string> {
  const out = new Map<string, string>(); // never an object indexed by a key from the file (__proto__)
  for (const entry of messages(fields(bytes, what), MODEL.metadataProps)) {
    const parts = fields(entry, what);
    const [key] = messages(parts, ENTRY.key);
    const [value] = messages(parts, ENTRY.value);
    if (key === undefined) continue;
    const name = utf8.decode(key);
    if (!out.has(name)) out.set(name, value === undefined ? '' : utf8.decode(value));
  }
  return Object.fromEntries(out);
}

/** One ValueInfoProto as name, element type and shape (`dim_param` names kept as strings). */
function valueInfo(bytes: Uint8Array, what: string): OnnxTensorInfo {
  const parts = fields(bytes, what);
  const [name] = messages(parts, VALUE_INFO.name);
  const [type] = messages(parts, VALUE_INFO.type);
  const [tensor] = type === undefined ? [] : messages(fields(type, what), TYPE.tensor);
  if (name === undefined || tensor === undefined)
    throw bad(what, 'has a graph input or output without a tensor type');
  const tensorParts = fields(tensor, what);
  const code = tensorParts.find((f) => f.field === TENSOR_TYPE.elemType)?.value ?? 0;
  const dtype = ELEM_TYPES[code];
  if (dtype === undefined) {
    throw new ReelsetError(
      'REELSET_E_ONNX',
      `${what}: ${utf8.decode(name)} has element type ${code}, not one reelset writes`,
    );
  }
  const [shape] = messages(tensorParts, TENSOR_TYPE.shape);
  const dims = shape === undefined ? [] : messages(fields(shape, what), SHAPE.dim);
  return {
    name: utf8.decode(name),
    dtype,
    shape: dims.map((dim) => {
      const d = fields(dim, what);
      const value = d.find((f) => f.field === DIM.value)?.value;
      const [param] = messages(d, DIM.param);
      return value !== undefined ? value : param !== undefined ? utf8.decode(param) : null;
    }),
  };
}

/**
 * The graph inputs and outputs of an ONNX model (the bytes of an `.onnx` file): name, element type and
 * shape (a number, the name of a symbolic dimension such as `'batch'`, or null).
 *
 * @throws ReelsetError `REELSET_E_ONNX` when the bytes are not an ONNX model with a graph.
 * @example
 * ```ts
 * const { inputs, outputs } = readOnnxSignature(await readFile('model.onnx'), 'model.onnx');
 * console.log(inputs.map((i) => `${i.name} [${i.shape}]`));
 * ```
 */
export function readOnnxSignature(
  bytes: Uint8Array,
  what = 'the file',
): { inputs: OnnxTensorInfo[]; outputs: OnnxTensorInfo[] } {
  const [graph] = messages(fields(bytes, what), MODEL.graph);
  if (graph === undefined) throw bad(what, 'has no graph');
  const parts = fields(graph, what);
  return {
    inputs: messages(parts, GRAPH.input).map((b) => valueInfo(b, what)),
    outputs: messages(parts, GRAPH.output).map((b) => valueInfo(b, what)),
  };
}
