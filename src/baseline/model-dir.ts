/**
 * @module model-dir — a baseline model directory: everything needed to predict (topology and weights in
 * the tfjs layers format, labels, vocabulary, preprocessing config, metrics, reelset version) in one folder.
 *
 * Layout of a model directory:
 * ```text
 * <dir>/
 *   model.json     tfjs layers format: topology, training config, weights manifest (names weights.bin)
 *   weights.bin    every weight of the model, in the manifest's order, little-endian
 *   vocab.txt      the vocabulary, one token a line in id order (Vocab.save), when the model reads text
 *   reelset.json   { format: 'reelset-model', version: 1, reelset, created, labels, preprocessing, metrics,
 *                    training, files }: written last, so a folder without it is incomplete
 *   checkpoint/    the last training checkpoint (state.json + weights-*.bin), when trained with checkpoints
 * ```
 * `model.json` + `weights.bin` load in any TensorFlow.js (`tf.loadLayersModel`) through
 * {@link fileIOHandler} or over HTTP; no tfjs-node is needed.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { loadTfjs } from '../adapters/tfjs.js';
import { ReelsetError } from '../errors.js';
import type { Json } from '../loaders/dataset/source.js';
import { Vocab } from '../loaders/decode/text.js';
import { LABELS } from '../loaders/layout/labels.js';
import { fileError, writeFileAtomic } from '../util/files.js';
import { invalidArgument } from '../util/options.js';
import { fileIOHandler } from './io-handler.js';
import { registerBaselineLayers } from './model.js';
import { checkPreprocessing, type Preprocessing } from './preprocessing.js';
import { reelsetVersion } from './version.js';

/**
 * The file names inside a model directory.
 *
 * @example
 * ```ts
 * const info = join('runs/1', BASELINE_FILES.info); // runs/1/reelset.json
 * ```
 */
export const BASELINE_FILES = Object.freeze({
  model: 'model.json',
  weights: 'weights.bin',
  vocab: 'vocab.txt',
  info: 'reelset.json',
  checkpoint: 'checkpoint',
} as const);

/**
 * The metrics of one training epoch: means over the epoch's batches (weighted by batch size), and the
 * validation set's when there is one.
 *
 * @example
 * ```ts
 * const record: EpochRecord = { epoch: 1, loss: 2.1, accuracy: 0.31, valLoss: 2.3, valAccuracy: 0.28, seconds: 41.5 };
 * ```
 */
export interface EpochRecord {
  /** The epoch, counted from 1. */
  epoch: number;
  /** Mean sparse categorical cross-entropy over the epoch's training batches. */
  loss: number;
  /** Mean (sparse categorical) accuracy over the epoch's training batches, 0-1. */
  accuracy: number;
  /** Loss on the validation set at the end of the epoch. */
  valLoss?: number;
  /** Accuracy on the validation set at the end of the epoch, 0-1. */
  valAccuracy?: number;
  /** Seconds the epoch took (training and validation, summed over the processes of a resumed run). */
  seconds: number;
}

/**
 * How a model was trained, as `reelset.json` records it.
 *
 * @example
 * ```ts
 * const training: TrainingSummary = {
 *   options: { epochs: 10, batchSize: 32, learningRate: 0.001, seed: 1, shuffleBuffer: 1000 },
 *   epochsCompleted: 10, completed: true, stopped: false, earlyStopped: false,
 *   backend: 'cpu', samples: { train: 1240, validation: 155 }, history: [],
 * };
 * ```
 */
export interface TrainingSummary {
  /** The options that decide the result (with their defaults filled in). */
  options: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    seed: number;
    shuffleBuffer: number;
    earlyStopping?: { patience: number; minDelta: number };
  };
  /** Epochs run to their end. */
  epochsCompleted: number;
  /** True when training ran all its epochs or stopped early; false when it was stopped (signal, SIGINT). */
  completed: boolean;
  /** Stopped by a signal or SIGINT before the end (the weights may be mid-epoch). */
  stopped: boolean;
  /** Stopped by early stopping. */
  earlyStopped: boolean;
  /** The TensorFlow.js backend it ran on (`tf.getBackend()`). */
  backend: string;
  /** How many samples the training and validation sets hold. */
  samples: { train: number; validation: number };
  /** One record an epoch completed. */
  history: EpochRecord[];
}

/**
 * The contents of `reelset.json`.
 *
 * @example
 * ```ts
 * const info = await readBaselineInfo('runs/1');
 * console.log(info.reelset, info.labels.length, info.metrics);
 * ```
 */
export interface BaselineInfo {
  format: 'reelset-model';
  version: 1;
  /** The reelset version that wrote the directory. */
  reelset: string;
  /** When it was written (ISO 8601). */
  created: string;
  /** The label names, in label-id order (the model's output order). */
  labels: string[];
  /** The preprocessing config (`Preprocessing`: preset, text, image, video), or null when none was given. */
  preprocessing: Preprocessing | null;
  /** Metrics: the last epoch's (`train`, `validation`) after training; evaluations add theirs. */
  metrics: { [name: string]: Json };
  /** How it was trained, or null for a model saved without training. */
  training: TrainingSummary | null;
  /** The files of the directory. */
  files: { model: string; weights: string; vocab: string | null };
}

/**
 * What {@link saveBaseline} writes.
 *
 * @example
 * ```ts
 * const preprocessing = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
 * const parts: BaselineParts = { model, vocab, preprocessing, metrics: { test: { accuracy: 0.42 } } };
 * ```
 */
export interface BaselineParts {
  /** The model (its topology and weights; its optimizer state is not saved: see the checkpoint). */
  model: Tfjs.LayersModel;
  /** Label names in label-id order (default: the 31 labels of the data set). */
  labels?: readonly string[];
  /** The vocabulary the text was encoded with. */
  vocab?: Vocab;
  /** The preprocessing config. */
  preprocessing?: Preprocessing;
  /** Metrics to record. */
  metrics?: { [name: string]: Json };
  /** How the model was trained. */
  training?: TrainingSummary;
}

/**
 * A model directory, loaded.
 *
 * @example
 * ```ts
 * const { model, vocab, preprocessing, labels } = await loadBaseline('runs/1');
 * ```
 */
export interface LoadedBaseline {
  /** The model, with the weights of the directory (compiled from its training config when it has one). */
  model: Tfjs.LayersModel;
  /** The preprocessing config (checked with `checkPreprocessing`), or null. */
  preprocessing: Preprocessing | null;
  /** The vocabulary, when the directory has one. */
  vocab: Vocab | undefined;
  /** The label names, in label-id order. */
  labels: string[];
  /** The recorded metrics. */
  metrics: { [name: string]: Json };
  /** All of `reelset.json`. */
  info: BaselineInfo;
}

function badDir(message: string, cause?: unknown): ReelsetError {
  return invalidArgument(message, cause);
}

function checkLabels(labels: unknown): string[] {
  if (
    !Array.isArray(labels) ||
    labels.length === 0 ||
    labels.some((l) => typeof l !== 'string' || l === '')
  ) {
    throw invalidArgument('labels must be a non-empty array of non-empty strings');
  }
  return [...(labels as string[])];
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of `value` as JSON (throws INVALID_ARGUMENT when it is not representable). */
function asJson<T>(what: string, value: T): T {
  try {
    return JSON.parse(JSON.stringify(value)) as T;
  } catch (err) {
    throw invalidArgument(`${what} must be JSON`, err);
  }
}

/**
 * Writes a model directory (layout in the module's summary): `reelset.json` is removed first and written
 * last, so a directory whose writing was interrupted has none and is refused by {@link loadBaseline}
 * rather than read half old, half new. Each file is written atomically (temporary file, fsync, rename).
 * A `checkpoint/` folder already there is left alone. Returns what `reelset.json` now holds.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for bad parts (labels, a preprocessing config that
 *   `checkPreprocessing` refuses, non-JSON metrics).
 * @example
 * ```ts
 * await saveBaseline('runs/1', { model, vocab, preprocessing, labels: LABELS.map((l) => l.name) });
 * ```
 */
export async function saveBaseline(dir: string, parts: BaselineParts): Promise<BaselineInfo> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('dir must be a non-empty string');
  if (!isObject(parts) || typeof (parts.model as { save?: unknown } | undefined)?.save !== 'function') {
    throw invalidArgument('parts.model must be a tf.LayersModel');
  }
  const labels = checkLabels(parts.labels ?? LABELS.map((l) => l.name));
  if (parts.vocab !== undefined && !(parts.vocab instanceof Vocab)) {
    throw invalidArgument('parts.vocab must be a Vocab');
  }
  const info: BaselineInfo = {
    format: 'reelset-model',
    version: 1,
    reelset: reelsetVersion(),
    created: new Date().toISOString(),
    labels,
    preprocessing: parts.preprocessing === undefined ? null : checkPreprocessing(parts.preprocessing),
    metrics: asJson('metrics', parts.metrics ?? {}),
    training: parts.training === undefined ? null : asJson('training', parts.training),
    files: {
      model: BASELINE_FILES.model,
      weights: BASELINE_FILES.weights,
      vocab: parts.vocab === undefined ? null : BASELINE_FILES.vocab,
    },
  };
  await mkdir(dir, { recursive: true });
  await rm(path.join(dir, BASELINE_FILES.info), { force: true });
  await parts.model.save(
    fileIOHandler(dir, { model: BASELINE_FILES.model, weights: BASELINE_FILES.weights }),
  );
  const vocabFile = path.join(dir, BASELINE_FILES.vocab);
  if (parts.vocab !== undefined) await writeFileAtomic(vocabFile, parts.vocab.toText());
  else await rm(vocabFile, { force: true });
  await writeFileAtomic(path.join(dir, BASELINE_FILES.info), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/**
 * Reads and checks `reelset.json` of a model directory (without loading the model).
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when the directory has no `reelset.json` (not a model
 *   directory, or one whose writing was interrupted); `REELSET_E_INVALID_ARGUMENT` when it is malformed.
 * @example
 * ```ts
 * const { labels, preprocessing, training } = await readBaselineInfo('runs/1');
 * ```
 */
export async function readBaselineInfo(dir: string): Promise<BaselineInfo> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('dir must be a non-empty string');
  const file = path.join(dir, BASELINE_FILES.info);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ReelsetError(
        'REELSET_E_NOT_FOUND',
        `${dir} is not a model directory: it has no ${BASELINE_FILES.info} (or its writing was interrupted)`,
        { cause: err },
      );
    }
    throw fileError(err, file, 'the model information file');
  }
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch (err) {
    throw badDir(`${file} is not JSON`, err);
  }
  if (
    !isObject(info) ||
    info.format !== 'reelset-model' ||
    info.version !== 1 ||
    !Array.isArray(info.labels) ||
    !isObject(info.metrics) ||
    !(info.preprocessing === null || isObject(info.preprocessing)) ||
    !isObject(info.files) ||
    info.files.model !== BASELINE_FILES.model ||
    info.files.weights !== BASELINE_FILES.weights ||
    !(info.files.vocab === null || info.files.vocab === BASELINE_FILES.vocab)
  ) {
    throw badDir(
      `${file} is not a reelset model directory's ${BASELINE_FILES.info} (format reelset-model, version 1)`,
    );
  }
  return info as unknown as BaselineInfo;
}

/**
 * Loads a model directory: the model (through {@link fileIOHandler}: no tfjs-node), the vocabulary, the
 * labels, the preprocessing config and the metrics. Everything `predict` needs.
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when `reelset.json`, `model.json`, `weights.bin` or `vocab.txt`
 *   is missing; `REELSET_E_INVALID_ARGUMENT` when one is malformed (the weights truncated, the preprocessing
 *   refused by `checkPreprocessing`);
 *   `REELSET_E_BAD_VOCAB` for a bad vocabulary; `REELSET_E_MISSING_PEER` without @tensorflow/tfjs.
 * @example
 * ```ts
 * const { model, vocab, preprocessing, labels, metrics } = await loadBaseline('runs/1');
 * console.log(labels.length, metrics.validation);
 * ```
 */
export async function loadBaseline(dir: string): Promise<LoadedBaseline> {
  const info = await readBaselineInfo(dir);
  const tf = loadTfjs();
  const vocab = info.files.vocab === null ? undefined : await Vocab.load(path.join(dir, info.files.vocab));
  // A `lite` model's text branch is reelset's own layer: registered before the topology is rebuilt.
  registerBaselineLayers();
  let model: Tfjs.LayersModel;
  try {
    model = await tf.loadLayersModel(
      fileIOHandler(dir, { model: info.files.model, weights: info.files.weights }),
    );
  } catch (err) {
    if (err instanceof ReelsetError) throw err;
    throw badDir(`the model in ${dir} cannot be loaded: ${(err as Error)?.message ?? String(err)}`, err);
  }
  return {
    model,
    preprocessing: info.preprocessing === null ? null : checkPreprocessing(info.preprocessing),
    vocab,
    labels: [...info.labels],
    metrics: info.metrics,
    info,
  };
}

/**
 * Adds metrics to a model directory's `reelset.json` (a shallow merge: a name given replaces the one
 * there), atomically. `evaluate` records the test set's metrics this way.
 *
 * @throws ReelsetError as {@link readBaselineInfo}; `REELSET_E_INVALID_ARGUMENT` for non-JSON metrics.
 * @example
 * ```ts
 * await updateBaselineMetrics('runs/1', { test: { accuracy: 0.42, top5: 0.71 } });
 * ```
 */
export async function updateBaselineMetrics(
  dir: string,
  metrics: { [name: string]: Json },
): Promise<BaselineInfo> {
  if (!isObject(metrics)) throw invalidArgument('metrics must be an object');
  const info = await readBaselineInfo(dir);
  info.metrics = { ...info.metrics, ...asJson('metrics', metrics) };
  await writeFileAtomic(path.join(dir, BASELINE_FILES.info), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
