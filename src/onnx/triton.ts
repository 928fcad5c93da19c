/**
 * @module triton — an NVIDIA Triton Inference Server model repository for an exported model: the `.onnx`
 * file and a `config.pbtxt` (names, types and dims read from the graph, dynamic batching, a GPU instance
 * group, the labels file), so that Triton serves it on many GPUs without code of ours.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ReelsetError } from '../errors.js';
import { checkInputFile, writeFileAtomic } from '../util/files.js';
import { checkInteger, checkOneOf, invalidArgument } from '../util/options.js';
import type { OnnxTensorInfo } from './export.js';
import { ONNX_METADATA_KEYS } from './export.js';
import { readOnnxMetadata, readOnnxSignature } from './read-model.js';

/**
 * Options of {@link writeTritonRepository}.
 *
 * @example
 * ```ts
 * const options: TritonOptions = { name: 'reelset_lite', maxBatchSize: 64, instances: 2, kind: 'gpu' };
 * ```
 */
export interface TritonOptions {
  /** The model's name in the repository (its folder): letters, digits, `_`, `-`, `.`. Default `reelset_baseline`. */
  name?: string;
  /** The largest batch Triton forms (default 64). */
  maxBatchSize?: number;
  /** How long a request may wait for others to batch with, in microseconds (default 500). */
  maxQueueDelayMicroseconds?: number;
  /** Model instances on each device (default 1). */
  instances?: number;
  /** Where instances run: `'gpu'` (default: every GPU of the server) or `'cpu'`. */
  kind?: 'gpu' | 'cpu';
}

/**
 * What {@link writeTritonRepository} wrote.
 *
 * @example
 * ```ts
 * const { config, model } = await writeTritonRepository('model.onnx', 'triton');
 * ```
 */
export interface TritonRepository {
  /** The model's folder, `<repo>/<name>`. */
  dir: string;
  /** `<repo>/<name>/config.pbtxt`. */
  config: string;
  /** `<repo>/<name>/1/model.onnx`. */
  model: string;
  /** `<repo>/<name>/labels.txt`, when the model's metadata has labels. */
  labels: string | undefined;
  /** The text of the config. */
  text: string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TRITON_TYPES: { readonly [dtype: string]: string } = {
  float32: 'TYPE_FP32',
  int32: 'TYPE_INT32',
  bool: 'TYPE_BOOL',
};

/** A tensor name as Triton's text format and our checks allow: no quote, backslash or line break. */
const TENSOR_NAME = /^[A-Za-z0-9_.:/-]+$/;

/** The labels of the metadata: a JSON array of one-line strings (labels.txt has one a line). */
function checkLabels(json: string, what: string): string[] {
  let labels: unknown;
  try {
    labels = JSON.parse(json);
  } catch (err) {
    throw new ReelsetError('REELSET_E_ONNX', `${what}: its metadata "labels" is not JSON`, { cause: err });
  }
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string' || /[\r\n]/.test(l) || l === '')) {
    throw new ReelsetError(
      'REELSET_E_ONNX',
      `${what}: its metadata "labels" is not a list of one-line names`,
    );
  }
  return labels as string[];
}

/** One `input` or `output` entry: the dims after the batch dimension (-1 for one of unknown size). */
function tensorEntry(t: OnnxTensorInfo, what: string, labels?: string): string {
  if (!TENSOR_NAME.test(t.name)) {
    throw new ReelsetError(
      'REELSET_E_ONNX',
      `${what}: the tensor name ${JSON.stringify(t.name)} cannot be written to a Triton config`,
    );
  }
  const [batch, ...rest] = t.shape;
  if (typeof batch === 'number') {
    throw new ReelsetError(
      'REELSET_E_ONNX',
      `${what}: ${t.name} has a fixed batch size ${batch}; Triton batches need a dynamic one`,
    );
  }
  const dims = rest.map((d) => (typeof d === 'number' ? d : -1));
  const lines = [
    '  {',
    `    name: "${t.name}"`,
    `    data_type: ${TRITON_TYPES[t.dtype]}`,
    `    dims: [ ${dims.join(', ')} ]`,
  ];
  if (labels !== undefined) lines.push(`    label_filename: "${labels}"`);
  lines.push('  }');
  return lines.join('\n');
}

/**
 * The `config.pbtxt` of a model with these inputs and outputs (Triton's protobuf text format).
 *
 * @example
 * ```ts
 * const text = tritonConfig('reelset_baseline', signature, { maxBatchSize: 64 }, true);
 * ```
 */
export function tritonConfig(
  name: string,
  signature: { inputs: OnnxTensorInfo[]; outputs: OnnxTensorInfo[] },
  options: Required<Omit<TritonOptions, 'name'>>,
  withLabels: boolean,
): string {
  const what = `the model ${name}`;
  return [
    `name: "${name}"`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${options.maxBatchSize}`,
    'input [',
    signature.inputs.map((t) => tensorEntry(t, what)).join(',\n'),
    ']',
    'output [',
    signature.outputs
      .map((t, i) => tensorEntry(t, what, withLabels && i === 0 ? 'labels.txt' : undefined))
      .join(',\n'),
    ']',
    'dynamic_batching {',
    `  max_queue_delay_microseconds: ${options.maxQueueDelayMicroseconds}`,
    '}',
    'instance_group [',
    '  {',
    `    count: ${options.instances}`,
    `    kind: ${options.kind === 'gpu' ? 'KIND_GPU' : 'KIND_CPU'}`,
    '  }',
    ']',
    '',
  ].join('\n');
}

/**
 * Writes an NVIDIA Triton model repository for an exported `.onnx` file: `<repo>/<name>/1/model.onnx`,
 * `<repo>/<name>/config.pbtxt` (inputs and outputs as the graph declares them, the batch dimension left to
 * Triton's dynamic batching, an instance group on the GPUs) and `<repo>/<name>/labels.txt` (the labels from
 * the model's metadata, so Triton's classification extension names them). Start Triton with
 * `tritonserver --model-repository=<repo>`.
 *
 * @throws ReelsetError `REELSET_E_ONNX` when the file is not an ONNX model or has a fixed batch size;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option; `REELSET_E_NOT_FOUND` when the file does not exist.
 * @example
 * ```ts
 * import { writeTritonRepository } from 'reelset/onnx';
 * const repo = await writeTritonRepository('model.onnx', 'triton', { name: 'reelset_lite', instances: 2 });
 * console.log(repo.config);
 * ```
 */
export async function writeTritonRepository(
  file: string,
  repo: string,
  options: TritonOptions = {},
): Promise<TritonRepository> {
  if (typeof repo !== 'string' || repo === '') throw invalidArgument('repo must be a folder path');
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const name = options.name ?? 'reelset_baseline';
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidArgument(`name must be letters, digits, _, - or . (not first), got ${JSON.stringify(name)}`);
  }
  const checked = {
    maxBatchSize: checkInteger('maxBatchSize', options.maxBatchSize ?? 64, 1),
    maxQueueDelayMicroseconds: checkInteger(
      'maxQueueDelayMicroseconds',
      options.maxQueueDelayMicroseconds ?? 500,
      0,
    ),
    instances: checkInteger('instances', options.instances ?? 1, 1),
    kind: checkOneOf('kind', options.kind ?? 'gpu', ['gpu', 'cpu'] as const),
  };
  await checkInputFile(file, 'the ONNX model');
  const bytes = await readFile(file);
  const signature = readOnnxSignature(bytes, file);
  const labelsJson = readOnnxMetadata(bytes, file)[ONNX_METADATA_KEYS.labels];
  const labels = labelsJson === undefined ? undefined : checkLabels(labelsJson, file);
  const text = tritonConfig(name, signature, checked, labels !== undefined);
  const dir = path.join(repo, name);
  await mkdir(path.join(dir, '1'), { recursive: true });
  const model = path.join(dir, '1', 'model.onnx');
  await writeFileAtomic(model, bytes);
  const config = path.join(dir, 'config.pbtxt');
  await writeFileAtomic(config, text);
  let labelsFile: string | undefined;
  if (labels !== undefined) {
    labelsFile = path.join(dir, 'labels.txt');
    await writeFileAtomic(labelsFile, `${labels.join('\n')}\n`);
  }
  return { dir, config, model, labels: labelsFile, text };
}
