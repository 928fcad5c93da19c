/**
 * @module checkpoint — the last training checkpoint in a folder: model weights, optimizer weights and the
 * trainer's JSON state, committed by one atomic rename so that a kill at any moment leaves the previous
 * checkpoint or the new one, never a mix.
 *
 * Folder layout:
 * - `state.json`: the commit point, written last (temporary file, fsync, rename): `{ format:
 *   'reelset-checkpoint', version: 1, reelset, created, file, model: [specs], optimizer: { className,
 *   specs }, progress }`, where `progress` is the trainer's JSON (epoch, batch, iterator state, history...);
 * - `weights-<stamp>.bin`: the model's weights (in `model.weights` order) then the optimizer's (in
 *   `optimizer.getWeights()` order), little-endian, as the specs list them. The files of older checkpoints
 *   are removed once `state.json` names a new one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { loadTfjs } from '../adapters/tfjs.js';
import { ReelsetError } from '../errors.js';
import type { Json } from '../loaders/dataset/source.js';
import { fileError, writeFileAtomic } from '../util/files.js';
import { weightBytes } from './io-handler.js';
import { reelsetVersion } from './version.js';

/**
 * The file of a checkpoint folder that commits it (see the module's layout).
 *
 * @example
 * ```ts
 * const committed = existsSync(join(dir, CHECKPOINT_STATE));
 * ```
 */
export const CHECKPOINT_STATE = 'state.json';

/**
 * What `state.json` holds.
 *
 * @example
 * ```ts
 * const state: CheckpointFile = JSON.parse(readFileSync('runs/1/checkpoint/state.json', 'utf8'));
 * console.log(state.progress);
 * ```
 */
export interface CheckpointFile {
  format: 'reelset-checkpoint';
  version: 1;
  /** The reelset version that wrote it. */
  reelset: string;
  /** When it was written (ISO 8601). */
  created: string;
  /** The weights file, in the same folder. */
  file: string;
  /** The model's weights, in `model.weights` order. */
  model: Tfjs.io.WeightsManifestEntry[];
  /**
   * The optimizer's class (`Adam`) and weights, in `optimizer.getWeights()` order (`iter` first), and the
   * scalars it keeps outside them (Adam's running `accBeta1`, `accBeta2`), which `setWeights` would
   * recompute as powers and so round differently.
   */
  optimizer: {
    className: string;
    specs: Tfjs.io.WeightsManifestEntry[];
    scalars?: { [name: string]: number };
  };
  /** The trainer's own state. */
  progress: Json;
}

function checkpointError(message: string, cause?: unknown): ReelsetError {
  return new ReelsetError('REELSET_E_STATE', message, cause === undefined ? undefined : { cause });
}

/**
 * Writes a checkpoint of `model` (its weights and its optimizer's) and `progress` into `dir`, replacing the
 * one there: the weights go to a new file, then `state.json` is renamed over the old one, then the old
 * weights file is removed. Nothing is read from the model after it returns, and no tensor stays behind.
 *
 * @example
 * ```ts
 * await writeCheckpoint('runs/1/checkpoint', model, { epoch: 3, batch: 0 });
 * ```
 */
export async function writeCheckpoint(dir: string, model: Tfjs.LayersModel, progress: Json): Promise<void> {
  const tf = loadTfjs();
  const optimizer = model.optimizer;
  if (optimizer == null) throw checkpointError('the model has no optimizer: compile it first');
  await mkdir(dir, { recursive: true });
  const modelNamed = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const optimizerNamed = await optimizer.getWeights();
  let encoded: { data: ArrayBuffer; specs: Tfjs.io.WeightsManifestEntry[] };
  try {
    encoded = await tf.io.encodeWeights([...modelNamed, ...optimizerNamed]);
  } finally {
    // getWeights makes a new scalar for the iteration count (`iter`); the rest are the optimizer's own.
    const iter = optimizerNamed.find((w) => w.name === 'iter');
    iter?.tensor.dispose();
  }
  const scalars = await optimizerScalars(optimizer);
  const file = `weights-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.bin`;
  await writeFileAtomic(path.join(dir, file), new Uint8Array(encoded.data));
  const state: CheckpointFile = {
    format: 'reelset-checkpoint',
    version: 1,
    reelset: reelsetVersion(),
    created: new Date().toISOString(),
    file,
    model: encoded.specs.slice(0, modelNamed.length),
    optimizer: {
      className: optimizer.getClassName(),
      specs: encoded.specs.slice(modelNamed.length),
      ...(scalars === undefined ? {} : { scalars }),
    },
    progress,
  };
  await writeFileAtomic(path.join(dir, CHECKPOINT_STATE), `${JSON.stringify(state)}\n`);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n !== file && (/^weights-.*\.bin$/.test(n) || n.endsWith('.tmp')))
      .map((n) => rm(path.join(dir, n), { force: true }).catch(() => {})),
  );
}

/** Scalars an optimizer keeps besides its weights (Adam's `accBeta1`, `accBeta2`), read by name. */
const OPTIMIZER_SCALARS = ['accBeta1', 'accBeta2'] as const;

function scalarVariable(optimizer: Tfjs.Optimizer, name: string): Tfjs.Variable | undefined {
  const v = (optimizer as unknown as { [key: string]: unknown })[name] as Tfjs.Variable | undefined;
  return v != null && typeof v.assign === 'function' && v.size === 1 ? v : undefined;
}

async function optimizerScalars(optimizer: Tfjs.Optimizer): Promise<{ [name: string]: number } | undefined> {
  const out: { [name: string]: number } = {};
  for (const name of OPTIMIZER_SCALARS) {
    const v = scalarVariable(optimizer, name);
    if (v !== undefined) out[name] = (await v.data())[0] as number;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function isSpec(value: unknown): value is Tfjs.io.WeightsManifestEntry {
  const s = value as Tfjs.io.WeightsManifestEntry;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.name === 'string' &&
    Array.isArray(s.shape) &&
    s.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    (s.dtype === 'float32' || s.dtype === 'int32' || s.dtype === 'bool') &&
    s.quantization === undefined
  );
}

function isCheckpointFile(value: unknown): value is CheckpointFile {
  const c = value as CheckpointFile;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.format === 'reelset-checkpoint' &&
    c.version === 1 &&
    typeof c.file === 'string' &&
    /^weights-[a-z0-9]+-[0-9a-f]+\.bin$/.test(c.file) &&
    Array.isArray(c.model) &&
    c.model.every(isSpec) &&
    typeof c.optimizer === 'object' &&
    c.optimizer !== null &&
    typeof c.optimizer.className === 'string' &&
    Array.isArray(c.optimizer.specs) &&
    c.optimizer.specs.every(isSpec) &&
    (c.optimizer.scalars === undefined ||
      (typeof c.optimizer.scalars === 'object' &&
        c.optimizer.scalars !== null &&
        Object.values(c.optimizer.scalars).every((x) => typeof x === 'number' && Number.isFinite(x)))) &&
    'progress' in c
  );
}

/**
 * Reads the checkpoint in `dir`: undefined when there is none (no `state.json`).
 *
 * @throws ReelsetError `REELSET_E_STATE` when `state.json` is malformed or its weights file is missing or
 *   truncated.
 * @example
 * ```ts
 * const checkpoint = await readCheckpoint('runs/1/checkpoint');
 * if (checkpoint) console.log(checkpoint.state.progress);
 * ```
 */
export async function readCheckpoint(
  dir: string,
): Promise<{ state: CheckpointFile; weights: Uint8Array } | undefined> {
  const stateFile = path.join(dir, CHECKPOINT_STATE);
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fileError(err, stateFile, 'the checkpoint state');
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (err) {
    throw checkpointError(`${stateFile} is not JSON`, err);
  }
  if (!isCheckpointFile(state)) throw checkpointError(`${stateFile} is not a reelset checkpoint`);
  const weightsFile = path.join(dir, state.file);
  let weights: Uint8Array;
  try {
    weights = await readFile(weightsFile);
  } catch (err) {
    throw checkpointError(`the checkpoint's weights file ${weightsFile} cannot be read`, err);
  }
  const expected = weightBytes([...state.model, ...state.optimizer.specs]);
  if (expected !== weights.length) {
    throw checkpointError(
      `the checkpoint's weights file ${weightsFile} holds ${weights.length} bytes, its state announces ${expected}`,
    );
  }
  return { state, weights };
}

/** Tensors of `specs` read in order from `bytes` at `offset`; returns them and the offset after. */
function decode(
  tf: typeof Tfjs,
  specs: readonly Tfjs.io.WeightsManifestEntry[],
  bytes: Uint8Array,
  offset: number,
): { tensors: Tfjs.Tensor[]; offset: number } {
  const tensors: Tfjs.Tensor[] = [];
  let at = offset;
  for (const spec of specs) {
    let count = 1;
    for (const d of spec.shape) count *= d;
    const size = count * (spec.dtype === 'bool' ? 1 : 4);
    // Copy into a buffer of its own (aligned): a Buffer's slice is a view of a shared, unaligned pool.
    const chunk = new Uint8Array(size);
    chunk.set(bytes.subarray(at, at + size));
    at += size;
    const values =
      spec.dtype === 'float32'
        ? new Float32Array(chunk.buffer, 0, count)
        : spec.dtype === 'int32'
          ? new Int32Array(chunk.buffer, 0, count)
          : new Uint8Array(chunk.buffer, 0, count);
    tensors.push(tf.tensor(values, spec.shape, spec.dtype));
  }
  return { tensors, offset: at };
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Puts a checkpoint's weights into `model` and its optimizer (which must be of the same class, fresh from
 * `compile`): the model's by position in `model.weights` (names differ between processes, since tfjs
 * numbers layers per process), checked shape by shape; the optimizer's with `setWeights`, which also
 * restores its iteration count. No tensor stays behind.
 *
 * @throws ReelsetError `REELSET_E_STATE` when the model's weights or the optimizer do not match.
 * @example
 * ```ts
 * const checkpoint = await readCheckpoint(dir);
 * if (checkpoint) await restoreCheckpoint(model, checkpoint);
 * ```
 */
export async function restoreCheckpoint(
  model: Tfjs.LayersModel,
  checkpoint: { state: CheckpointFile; weights: Uint8Array },
): Promise<void> {
  const tf = loadTfjs();
  const { state, weights: bytes } = checkpoint;
  const optimizer = model.optimizer;
  if (optimizer == null) throw checkpointError('the model has no optimizer: compile it first');
  const weights = model.weights;
  if (weights.length !== state.model.length) {
    throw checkpointError(
      `the checkpoint holds ${state.model.length} weights, the model has ${weights.length}: it was made by another model`,
    );
  }
  for (const [i, w] of weights.entries()) {
    const spec = state.model[i] as Tfjs.io.WeightsManifestEntry;
    if (spec.shape.length !== w.shape.length || spec.shape.some((d, k) => d !== w.shape[k])) {
      throw checkpointError(
        `the checkpoint's weight ${i} (${spec.name}) is ${shapeText(spec.shape)}, the model's (${w.originalName}) ` +
          `is ${shapeText(w.shape)}: it was made by another model`,
      );
    }
  }
  if (state.optimizer.className !== optimizer.getClassName()) {
    throw checkpointError(
      `the checkpoint's optimizer is ${state.optimizer.className}, the model's is ${optimizer.getClassName()}`,
    );
  }
  const model_ = decode(tf, state.model, bytes, 0);
  try {
    model.setWeights(model_.tensors);
  } finally {
    tf.dispose(model_.tensors);
  }
  const opt = decode(tf, state.optimizer.specs, bytes, model_.offset);
  try {
    // A fresh optimizer has no slots yet; drop any it has, since setWeights replaces them without disposing.
    const current = await optimizer.getWeights();
    tf.dispose(current.map((w) => w.tensor));
    await optimizer.setWeights(
      state.optimizer.specs.map((spec, i) => ({ name: spec.name, tensor: opt.tensors[i] as Tfjs.Tensor })),
    );
  } finally {
    tf.dispose(opt.tensors);
  }
  for (const [name, value] of Object.entries(state.optimizer.scalars ?? {})) {
    const v = scalarVariable(optimizer, name);
    if (v !== undefined) tf.tidy(() => v.assign(tf.scalar(value, v.dtype)));
  }
}
