/**
 * @module onnx/export — `exportOnnx` and `modelToOnnx`: a tfjs LayersModel as an ONNX model (IR 8, opset
 * 17 by default) with reelset's metadata (labels, preprocessing, vocabulary, version).
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { checkPreprocessing, type Preprocessing } from '../baseline/preprocessing.js';
import { reelsetVersion } from '../baseline/version.js';
import { checkExtension, checkOutputFile, writeFileAtomic } from '../util/files.js';
import { checkInteger, describeValue, invalidArgument } from '../util/options.js';
import { convertModel } from './convert.js';
import { DATA_TYPE, encodeModel, type ValueInfoProto } from './proto.js';

/** The IR version written (Debian's python3-onnx 1.12 checks up to 8; onnxruntime 1.30 reads up to 13). */
const IR_VERSION = 8;

/**
 * The opsets `exportOnnx` writes: 13 to 17 (one graph for all; from opset 18, ReduceMean and ReduceMax
 * take their axes as an input, and Debian's onnx 1.12 checks up to 17). The default is 17.
 *
 * @example
 * ```ts
 * console.log(ONNX_OPSETS); // { min: 13, max: 17, default: 17 }
 * ```
 */
export const ONNX_OPSETS = Object.freeze({ min: 13, max: 17, default: 17 } as const);

/**
 * The `metadata_props` keys reelset writes: the labels (a JSON array, in class-id order), the
 * preprocessing (JSON), the vocabulary (a JSON array of tokens, ids 1..N) and reelset's version.
 *
 * @example
 * ```ts
 * const labels = JSON.parse(session.handler.metadata[ONNX_METADATA_KEYS.labels]);
 * ```
 */
export const ONNX_METADATA_KEYS = Object.freeze({
  labels: 'labels',
  preprocessing: 'preprocessing',
  vocabulary: 'vocabulary',
  version: 'reelset_version',
} as const);

/**
 * Options of {@link exportOnnx} and {@link modelToOnnx}.
 *
 * @example
 * ```ts
 * const options: OnnxExportOptions = { opset: 17, preprocessing: pre, labels: [...LABELS], vocabulary: vocab };
 * ```
 */
export interface OnnxExportOptions {
  /** The default-domain opset, 13 to 17 (default 17). */
  opset?: number;
  /** The preprocessing the model's inputs come from, stored as JSON (`OnnxClassifier` decodes with it). */
  preprocessing?: Preprocessing;
  /** The class names in class-id order; their count must match the output's last dimension. */
  labels?: readonly string[];
  /** The text vocabulary: its tokens in id order (ids 1..N), or a `Vocab`. */
  vocabulary?: readonly string[] | { readonly tokens: readonly string[] };
  /** More `metadata_props` entries (string values; reelset's own keys are refused). */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * A graph input or output as exported: its name, element type and shape (`'batch'` for the dynamic batch
 * dimension, `null` for another unknown size).
 *
 * @example
 * ```ts
 * const info: OnnxTensorInfo = { name: 'image_data', dtype: 'float32', shape: ['batch', 64, 64, 3] };
 * ```
 */
export interface OnnxTensorInfo {
  name: string;
  dtype: 'float32' | 'int32' | 'bool';
  shape: (number | string | null)[];
}

/**
 * What {@link exportOnnx} wrote.
 *
 * @example
 * ```ts
 * const { path, bytes, nodes } = await exportOnnx(model, 'model.onnx');
 * ```
 */
export interface OnnxExportResult {
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** Number of nodes of the graph. */
  nodes: number;
  opset: number;
}

const OPTION_KEYS = ['opset', 'preprocessing', 'labels', 'vocabulary', 'metadata'];
const DTYPES = {
  [DATA_TYPE.float]: 'float32',
  [DATA_TYPE.int32]: 'int32',
  [DATA_TYPE.bool]: 'bool',
} as const;

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument(`${name} must be a non-empty array of strings, got ${describeValue(value)}`);
  }
  const bad = value.findIndex((v) => typeof v !== 'string' || v === '');
  if (bad >= 0)
    throw invalidArgument(`${name}[${bad}] must be a non-empty string, got ${describeValue(value[bad])}`);
  return value as string[];
}

/** The checked options as the opset and the metadata_props entries. */
function checkOptions(options: OnnxExportOptions): { opset: number; metadata: Record<string, string> } {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument(`options must be an object, got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).find((k) => !OPTION_KEYS.includes(k));
  if (unknown !== undefined) throw invalidArgument(`unknown option ${JSON.stringify(unknown)}`);
  const opset = checkInteger('opset', options.opset ?? ONNX_OPSETS.default, ONNX_OPSETS.min, ONNX_OPSETS.max);
  const metadata: Record<string, string> = {};
  const extra = options.metadata ?? {};
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw invalidArgument(`metadata must be an object of strings, got ${describeValue(extra)}`);
  }
  const reserved: readonly string[] = Object.values(ONNX_METADATA_KEYS);
  for (const [key, value] of Object.entries(extra)) {
    if (reserved.includes(key)) throw invalidArgument(`metadata key ${JSON.stringify(key)} is reelset's own`);
    if (typeof value !== 'string')
      throw invalidArgument(`metadata.${key} must be a string, got ${describeValue(value)}`);
    metadata[key] = value;
  }
  const keys = ONNX_METADATA_KEYS;
  if (options.labels !== undefined)
    metadata[keys.labels] = JSON.stringify(stringList('labels', options.labels));
  if (options.preprocessing !== undefined) {
    metadata[keys.preprocessing] = JSON.stringify(checkPreprocessing(options.preprocessing));
  }
  if (options.vocabulary !== undefined) {
    const v = options.vocabulary;
    const tokens = Array.isArray(v) ? v : (v as { tokens?: unknown } | null)?.tokens;
    metadata[keys.vocabulary] = JSON.stringify(stringList('vocabulary', tokens));
  }
  metadata[keys.version] = reelsetVersion();
  return { opset, metadata };
}

function tensorInfo(v: ValueInfoProto): OnnxTensorInfo {
  return { name: v.name, dtype: DTYPES[v.elemType as keyof typeof DTYPES], shape: [...v.shape] };
}

/** The encoded model and what the summary says about it. */
function toOnnx(
  model: Tfjs.LayersModel,
  options: OnnxExportOptions,
): Omit<OnnxExportResult, 'path'> & { data: Uint8Array } {
  const { opset, metadata } = checkOptions(options);
  const { graph, inputs, outputs } = convertModel(model, opset);
  const classes = outputs.length === 1 ? outputs[0]?.shape.at(-1) : undefined;
  if (options.labels !== undefined && typeof classes === 'number' && options.labels.length !== classes) {
    throw invalidArgument(
      `labels has ${options.labels.length} names but the model's output has ${classes} classes`,
    );
  }
  const data = encodeModel({
    irVersion: IR_VERSION,
    opset,
    producerName: 'reelset',
    producerVersion: reelsetVersion(),
    graph,
    metadata,
  });
  return {
    data,
    bytes: data.length,
    inputs: inputs.map(tensorInfo),
    outputs: outputs.map(tensorInfo),
    nodes: graph.nodes.length,
    opset,
  };
}

/**
 * The ONNX model (protobuf bytes) of a tfjs LayersModel: what {@link exportOnnx} writes, in memory.
 * Inputs keep their tfjs names, dtypes and channels-last layout, with a dynamic batch dimension.
 *
 * @throws ReelsetError `REELSET_E_UNSUPPORTED_LAYER` naming the first layer or option without a conversion;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const bytes = modelToOnnx(model);
 * const session = await ort.InferenceSession.create(bytes);
 * ```
 */
export function modelToOnnx(model: Tfjs.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  return toOnnx(model, options).data;
}

/**
 * Exports a tfjs LayersModel built from supported layers (`supportedLayers()`) to an `.onnx` file, written
 * whole or not at all (a temporary file renamed), with the labels, preprocessing and vocabulary in its
 * metadata. The weights are read from the model (`getWeights`); tfjs is not imported.
 *
 * @throws ReelsetError `REELSET_E_UNSUPPORTED_LAYER` naming the first layer or option without a conversion;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option or a path not ending in `.onnx`; `REELSET_E_NOT_FOUND` when
 *   the folder does not exist; `REELSET_E_NOT_A_FILE` when the path is a folder.
 * @example
 * ```ts
 * import { exportOnnx } from 'reelset/onnx';
 * const summary = await exportOnnx(model, 'runs/1/model.onnx', { preprocessing: pre, labels: [...LABELS], vocabulary: vocab });
 * console.log(summary.inputs.map((i) => `${i.name} ${i.dtype} [${i.shape}]`));
 * ```
 */
export async function exportOnnx(
  model: Tfjs.LayersModel,
  path: string,
  options: OnnxExportOptions = {},
): Promise<OnnxExportResult> {
  if (typeof path !== 'string' || path === '')
    throw invalidArgument(`path must be a file path, got ${describeValue(path)}`);
  checkExtension('path', path, ['.onnx'], 'ONNX');
  await checkOutputFile(path, 'the ONNX file');
  const { data, ...summary } = toOnnx(model, options);
  await writeFileAtomic(path, data);
  return { path, ...summary };
}
