/**
 * @module train — `trainBaseline`: trains a TensorFlow.js model on decoded samples with `fitDataset`,
 * decoding once (a cache), checkpointing every epoch and on a stop, resuming exactly, and writing a model
 * directory.
 */
import path from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { type BackendKind, explainBackendError, selectBackend } from '../adapters/backend.js';
import { type Batch, collate } from '../adapters/collate.js';
import type { TfBatch } from '../adapters/tf-data.js';
import { loadTfjs } from '../adapters/tfjs.js';
import { ReelsetError } from '../errors.js';
import type { Dataset, DatasetIterator, IterationState } from '../loaders/dataset/dataset.js';
import type { Json } from '../loaders/dataset/source.js';
import { Vocab } from '../loaders/decode/text.js';
import { LABELS } from '../loaders/layout/labels.js';
import type { Sample } from '../loaders/sample.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkPositive,
  describeValue,
  invalidArgument,
} from '../util/options.js';
import { readCheckpoint, restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
import { buildInputs, collateOptionsFor, type InputSpec, inputSpecs, shapeText } from './inputs.js';
import { BASELINE_FILES, type EpochRecord, saveBaseline, type TrainingSummary } from './model-dir.js';
import { checkPreprocessing, type Preprocessing } from './preprocessing.js';

/**
 * One progress report of {@link trainBaseline}, after each training batch.
 *
 * @example
 * ```ts
 * const report: TrainProgress = {
 *   epoch: 2, epochs: 10, batch: 17, batches: 39, loss: 2.05, accuracy: 0.34, samplesPerSec: 412, etaSec: 95,
 * };
 * ```
 */
export interface TrainProgress {
  /** The epoch running, 1..epochs. */
  epoch: number;
  /** Epochs of the run. */
  epochs: number;
  /** Batches done in this epoch, 1..batches (a resumed epoch starts after those done before the stop). */
  batch: number;
  /** Batches an epoch. */
  batches: number;
  /** Mean training loss over this epoch's batches so far. */
  loss: number;
  /** Mean training accuracy over this epoch's batches so far, 0-1. */
  accuracy: number;
  /** Training throughput of this process so far (validation time included). */
  samplesPerSec: number;
  /** Seconds left for the remaining batches of every epoch, at that throughput (validation not counted). */
  etaSec: number;
}

/**
 * Early stopping on the validation loss: stop after `patience` epochs in a row without an improvement of
 * more than `minDelta` (default 0) over the best so far.
 *
 * @example
 * ```ts
 * const early: EarlyStoppingOptions = { patience: 3, minDelta: 0.001 };
 * ```
 */
export interface EarlyStoppingOptions {
  patience: number;
  minDelta?: number;
}

/**
 * Options of {@link trainBaseline}.
 *
 * @example
 * ```ts
 * const options: TrainOptions = {
 *   validation, epochs: 10, batchSize: 32, learningRate: 1e-3, seed: 1,
 *   modelDir: 'runs/1', resume: true, earlyStopping: { patience: 3 },
 *   onProgress: (p) => console.log(`epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss}`),
 * };
 * ```
 */
export interface TrainOptions {
  /** Decoded samples evaluated at the end of every epoch (cached like the training set). */
  validation?: Dataset<Sample>;
  /** Epochs to run in all, counting those of the run being resumed (default 10). */
  epochs?: number;
  /** Samples a batch (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Adam's learning rate (default 1e-3). */
  learningRate?: number;
  /**
   * The seed of the shuffles (default 0): epoch e of a run is shuffled with `(seed, e)`, so the same seed
   * gives the same batches on every run and machine. Weight initialization is the model's (seed its
   * initializers when it is built).
   */
  seed?: number;
  /**
   * How many samples the shuffle buffer holds (default: every training sample with the memory cache, at
   * most 1,000 with a disk cache or none, so memory stays bounded).
   */
  shuffleBuffer?: number;
  /**
   * Where the decoded samples are kept: `'memory'` (default), `{ dir }` on disk (`<dir>/train`,
   * `<dir>/validation`: kept for later runs and resumes), or `false` (the datasets given are cheap to read
   * again, e.g. cached already).
   */
  cache?: 'memory' | { dir: string } | false;
  /** Called after every training batch. */
  onProgress?: (progress: TrainProgress) => void;
  /** Called after every epoch, with its record. */
  onEpochEnd?: (record: EpochRecord) => void;
  /** Write the model directory here when training ends (completed, stopped early, or stopped by a signal). */
  modelDir?: string;
  /**
   * Keep the last checkpoint here (default `<modelDir>/checkpoint` when `modelDir` is given; no checkpoints
   * when neither is given).
   */
  checkpointDir?: string;
  /**
   * Continue from the checkpoint in `checkpointDir` (weights, optimizer state, epoch, batch, data iterator
   * state, history). Without a checkpoint there, training starts from the beginning. Default false: a
   * checkpoint there is overwritten.
   */
  resume?: boolean;
  /** Stop on the validation loss (needs `validation`). */
  earlyStopping?: EarlyStoppingOptions;
  /** Stop at the next batch boundary, write a checkpoint, and resolve with `stopped: true`. */
  signal?: AbortSignal;
  /**
   * Handle SIGINT (Ctrl-C) as `signal` does while training (default true); a second SIGINT ends the process
   * as usual.
   */
  sigint?: boolean;
  /**
   * The TensorFlow.js backend: `'auto'` (default: `selectBackend({ training: true, model })`, the first
   * backend that can train this model), a kind (only that one), or `'current'` (the active one, unchecked).
   */
  backend?: BackendKind | 'auto' | 'current';
  /** Label names in label-id order, for the model directory (default: the 31 labels). */
  labels?: readonly string[];
  /** The vocabulary the tokens were encoded with, for the model directory. */
  vocab?: Vocab;
  /** The preprocessing config, for the model directory (checked with `checkPreprocessing` first). */
  preprocessing?: Preprocessing;
}

/**
 * What {@link trainBaseline} resolves with.
 *
 * @example
 * ```ts
 * const result: TrainResult = await trainBaseline(model, train, { epochs: 5 });
 * if (result.stopped) console.log(`stopped in epoch ${result.epochsCompleted + 1}; run again with resume`);
 * ```
 */
export interface TrainResult {
  /** True when a signal or SIGINT stopped training before the end (a checkpoint was written). */
  stopped: boolean;
  /** True when early stopping ended training. */
  earlyStopped: boolean;
  /** Epochs run to their end (in all, including those of a resumed run). */
  epochsCompleted: number;
  /** One record an epoch completed. */
  history: EpochRecord[];
  /** Where a resumed run started: the epoch (from 1) and the batches already done in it. */
  resumedFrom?: { epoch: number; batch: number };
  /** The TensorFlow.js backend it ran on. */
  backend: string;
  /** Samples of the training and validation sets. */
  samples: { train: number; validation: number };
  /** The model directory written, when `modelDir` was given. */
  modelDir?: string;
  /** The checkpoint folder, when there is one. */
  checkpointDir?: string;
}

/** The trainer's state in a checkpoint (`progress` of state.json). */
interface Progress {
  /** Epochs completed. */
  epoch: number;
  /** Batches done in epoch `epoch` (0 at an epoch boundary). */
  batch: number;
  /** The training pipeline's iteration state after the last batch trained, or null before the first. */
  iterator: IterationState | null;
  /** The options a resumed run must share. */
  options: { seed: number; batchSize: number; learningRate: number; shuffleBuffer: number; samples: number };
  history: EpochRecord[];
  /** Sums over the batches done in the current epoch: loss and accuracy times batch size, samples, seconds. */
  running: { loss: number; accuracy: number; samples: number; seconds: number };
  /** Early stopping: the best validation loss so far and the epochs since it. */
  early: { best: number | null; wait: number };
}

const DEFAULTS = { epochs: 10, batchSize: 32, learningRate: 1e-3, seed: 0 } as const;
/** The optimizers trainBaseline made (and may dispose when it compiles the same model again). */
const OWN_OPTIMIZERS = new WeakSet<object>();
/** The shuffle buffer's default bound when samples are not all in memory anyway. */
const BOUNDED_SHUFFLE = 1000;

function checkModel(value: unknown): Tfjs.LayersModel {
  const model = value as Tfjs.LayersModel;
  if (
    typeof model !== 'object' ||
    model === null ||
    typeof model.fitDataset !== 'function' ||
    !Array.isArray(model.inputs)
  ) {
    throw invalidArgument(`model must be a tf.LayersModel, got ${describeValue(value)}`);
  }
  if (model.outputs.length !== 1) {
    throw invalidArgument(
      `model must have one output (the label probabilities), it has ${model.outputs.length}`,
    );
  }
  return model;
}

/** The model's inputs (see inputs.ts), each of a full shape: training builds every input of every batch. */
function trainingInputs(model: Tfjs.LayersModel): InputSpec[] {
  const specs = inputSpecs(model);
  for (const spec of specs) {
    if (spec.shape.slice(1).some((d) => d === null)) {
      throw invalidArgument(
        `the model's input ${spec.name} has an open dimension ${shapeText(spec.shape)}: give every input a full shape`,
      );
    }
  }
  return specs;
}

/**
 * The tensors of one batch for `fitDataset`: every input of the model (a column the batch lacks is zeros
 * with a 0 mask), and the labels as float32 `[B]` for sparse categorical cross-entropy. Nothing is left
 * behind on an error.
 */
function batchTensors(
  tf: typeof Tfjs,
  specs: readonly InputSpec[],
  batch: Batch,
  numClasses: number,
): TfBatch {
  for (let i = 0; i < batch.size; i++) {
    const label = batch.labels[i] as number;
    if (!(label >= 0 && label < numClasses)) {
      throw invalidArgument(`label ${label} of sample ${batch.ids[i]} is outside 0..${numClasses - 1}`);
    }
  }
  const inputs = buildInputs(tf, specs, batch);
  const xs: { [name: string]: Tfjs.Tensor } = {};
  for (const [i, spec] of specs.entries()) xs[spec.name] = inputs[i] as Tfjs.Tensor;
  return { xs, ys: tf.tensor1d(Float32Array.from(batch.labels), 'float32') };
}

function checkCache(value: unknown): 'memory' | { dir: string } | false {
  if (value === undefined || value === 'memory') return 'memory';
  if (value === false) return false;
  const dir = (value as { dir?: unknown } | null)?.dir;
  if (typeof value === 'object' && value !== null && typeof dir === 'string' && dir !== '') return { dir };
  throw invalidArgument(`cache must be 'memory', { dir } or false, got ${describeValue(value)}`);
}

function cached(
  dataset: Dataset<Sample>,
  cache: 'memory' | { dir: string } | false,
  part: 'train' | 'validation',
): Dataset<Sample> {
  if (cache === false) return dataset;
  if (cache === 'memory') return dataset.cache();
  return dataset.cache({ dir: path.join(cache.dir, part) });
}

function checkDataset(name: string, value: unknown): Dataset<Sample> {
  const d = value as Dataset<Sample> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.summary !== 'function' ||
    typeof d.resume !== 'function' ||
    typeof d[Symbol.asyncIterator] !== 'function'
  ) {
    throw invalidArgument(
      `${name} must be a reelset Dataset of decoded samples, got ${describeValue(value)}`,
    );
  }
  return d;
}

function isProgress(value: unknown): value is Progress {
  const p = value as Progress;
  return (
    typeof p === 'object' &&
    p !== null &&
    Number.isSafeInteger(p.epoch) &&
    Number.isSafeInteger(p.batch) &&
    (p.iterator === null || typeof p.iterator === 'object') &&
    typeof p.options === 'object' &&
    p.options !== null &&
    Array.isArray(p.history) &&
    typeof p.running === 'object' &&
    p.running !== null &&
    typeof p.early === 'object' &&
    p.early !== null
  );
}

function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Trains `model` on the decoded samples of `train` with TensorFlow.js's `fitDataset`, one epoch at a time:
 * the model is compiled here (replacing any earlier compile) with Adam (`learningRate`), sparse categorical cross-entropy and accuracy; inputs built from
 * collated batches for every input the model has (`text_data`, `image_data`, `video_data` and their
 * `_mask`s: a modality a batch lacks gets zeros and a 0 mask, a sample lacking it is masked, not dropped).
 *
 * - **Decoded once**: `train` (and `validation`) are cached (`cache`, memory by default, or a folder) and
 *   read in full once before the first epoch (which also counts them); every epoch then reads the cache,
 *   shuffled with `(seed, epoch)`, never decoding video again.
 * - **Checkpoints** (in `checkpointDir`, default `<modelDir>/checkpoint`): after every epoch, and when
 *   `signal` aborts or SIGINT arrives (training stops at the next batch boundary). A checkpoint holds the
 *   model's weights, the optimizer's weights and iteration count, the epoch, the batches done in it, the
 *   data iterator's state, the history and the early-stopping state; it is committed by one atomic rename,
 *   so a SIGKILL at any moment leaves the previous or the new one.
 * - **Resume** (`resume: true`): restores that checkpoint into `model` (a fresh model of the same
 *   architecture) and continues right after the last batch trained, in the same epoch, with the same
 *   shuffle order: a finished epoch is never run again. A process killed outright (SIGKILL, a crash)
 *   resumes from its last checkpoint: the end of its last completed epoch, so the epoch it was in runs again
 *   from its first batch, with the same batches. The seed, batch size, learning rate, shuffle buffer and the
 *   number of samples must be those of the checkpoint (`REELSET_E_STATE` otherwise); `epochs` may grow.
 * - **Model directory** (`modelDir`): written when training ends (see `saveBaseline`): `model.json`,
 *   `weights.bin`, `vocab.txt`, `reelset.json` (labels, preprocessing, the last epoch's metrics, training
 *   options and history, the reelset version).
 *
 * Determinism: batches (order and composition) depend only on the data, `seed` and `batchSize`; with a
 * model whose initializers are seeded and no dropout, a run resumed from a checkpoint computes what the
 * uninterrupted run computes. Not restored on resume: TensorFlow.js's global random state (dropout masks
 * and unseeded initializers draw from it), so a model with dropout resumes equivalently, not identically.
 *
 * Tensors: each batch's tensors are disposed by `fitDataset`; `tf.memory().numTensors` stays flat over an
 * epoch and across epochs. Errors of `fitDataset` about missing kernels are explained
 * (`explainBackendError`).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option or a model with unknown inputs;
 *   `REELSET_E_STATE` for a checkpoint that does not fit; `REELSET_E_SHAPE` when samples do not fit the
 *   model's inputs; `REELSET_E_BACKEND` when the backend cannot train the model; `REELSET_E_MISSING_PEER`
 *   without @tensorflow/tfjs.
 * @example
 * ```ts
 * const refs = openDataset('data').split({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
 * const vocab = await buildVocab(refs.train);
 * const decode = { text: { vocab }, image: { height: 64, width: 64 }, video: { frames: 4, height: 32, width: 32 } };
 * const train = decodeSamples(refs.train, decode);
 * const validation = decodeSamples(refs.validation, decode);
 * const result = await trainBaseline(model, train, {
 *   validation, epochs: 10, batchSize: 32, seed: 1, modelDir: 'runs/1', resume: true, vocab,
 *   onProgress: (p) => bar.update(p.batch, p),
 * });
 * if (result.stopped) console.log('stopped: run again with resume: true to continue');
 * ```
 */
export async function trainBaseline(
  model: Tfjs.LayersModel,
  train: Dataset<Sample>,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const tf = loadTfjs();
  checkModel(model);
  checkDataset('train', train);
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const validation =
    options.validation === undefined ? undefined : checkDataset('validation', options.validation);
  const epochs = checkInteger('epochs', options.epochs ?? DEFAULTS.epochs, 1);
  const batchSize = checkInteger('batchSize', options.batchSize ?? DEFAULTS.batchSize, 1);
  const learningRate = checkPositive('learningRate', options.learningRate ?? DEFAULTS.learningRate);
  const seed = checkInteger('seed', options.seed ?? DEFAULTS.seed);
  const cache = checkCache(options.cache);
  const onProgress =
    options.onProgress === undefined ? undefined : checkFunction('onProgress', options.onProgress);
  const onEpochEnd =
    options.onEpochEnd === undefined ? undefined : checkFunction('onEpochEnd', options.onEpochEnd);
  const resume = checkBoolean('resume', options.resume, false);
  const handleSigint = checkBoolean('sigint', options.sigint, true);
  const backend = options.backend ?? 'auto';
  checkOneOf('backend', backend, ['auto', 'current', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const);
  for (const name of ['modelDir', 'checkpointDir'] as const) {
    const v = options[name];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw invalidArgument(`${name} must be a non-empty string`);
  }
  const modelDir = options.modelDir;
  const checkpointDir =
    options.checkpointDir ??
    (modelDir === undefined ? undefined : path.join(modelDir, BASELINE_FILES.checkpoint));
  if (resume && checkpointDir === undefined) throw invalidArgument('resume needs checkpointDir or modelDir');
  let early: { patience: number; minDelta: number } | undefined;
  if (options.earlyStopping !== undefined) {
    const e = options.earlyStopping;
    if (typeof e !== 'object' || e === null)
      throw invalidArgument('earlyStopping must be { patience, minDelta? }');
    early = {
      patience: checkInteger('earlyStopping.patience', e.patience, 1),
      minDelta: checkNumber('earlyStopping.minDelta', e.minDelta ?? 0, 0, Number.MAX_VALUE),
    };
    if (validation === undefined)
      throw invalidArgument('earlyStopping watches the validation loss: give validation');
  }
  const signal = options.signal;
  if (
    signal !== undefined &&
    (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')
  ) {
    throw invalidArgument('signal must be an AbortSignal');
  }
  if (options.vocab !== undefined && !(options.vocab instanceof Vocab))
    throw invalidArgument('vocab must be a Vocab');
  const preprocessing =
    options.preprocessing === undefined ? undefined : checkPreprocessing(options.preprocessing);
  const specs = trainingInputs(model);
  const outShape = model.outputs[0]?.shape ?? [];
  const numClasses = outShape[outShape.length - 1];
  if (typeof numClasses !== 'number' || numClasses < 2) {
    throw invalidArgument(`the model's output must be [batch, classes], got ${shapeText(outShape)}`);
  }
  const labels = options.labels ?? LABELS.map((l) => l.name);

  // Stops: the signal, and SIGINT while training (a second one ends the process as usual).
  let stopRequested = signal?.aborted === true;
  const onAbort = (): void => {
    stopRequested = true;
  };
  const onSigint = (): void => {
    if (stopRequested) {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    stopRequested = true;
  };
  signal?.addEventListener('abort', onAbort);
  if (handleSigint) process.on('SIGINT', onSigint);
  let iterator: DatasetIterator<Batch> | undefined;
  try {
    // The backend, then the model's compilation (a fresh optimizer, whose state a checkpoint may restore).
    if (backend === 'auto') await selectBackend({ training: true, model });
    else if (backend !== 'current') await selectBackend({ only: backend, training: true, model });
    const backendName = tf.getBackend();
    // An optimizer of an earlier trainBaseline on this model is ours to free (compile does not).
    const previous = model.optimizer;
    if (previous != null && OWN_OPTIMIZERS.has(previous)) previous.dispose();
    const optimizer = tf.train.adam(learningRate);
    OWN_OPTIMIZERS.add(optimizer);
    model.compile({
      optimizer,
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });

    // A checkpoint to resume from is read first (and checked once the data is counted).
    const checkpoint =
      resume && checkpointDir !== undefined ? await readCheckpoint(checkpointDir) : undefined;
    const saved = checkpoint?.state.progress;
    if (checkpoint !== undefined && !isProgress(saved)) {
      throw new ReelsetError('REELSET_E_STATE', `the checkpoint in ${checkpointDir} holds no trainer state`);
    }
    const savedProgress = checkpoint === undefined ? undefined : (saved as unknown as Progress);

    // Decode once: fill the caches with one full pass, which also counts the samples.
    const trainCached = cached(train, cache, 'train');
    const validationCached = validation === undefined ? undefined : cached(validation, cache, 'validation');
    const count = async (d: Dataset<Sample>): Promise<number | undefined> => {
      let n = 0;
      for await (const _ of d) {
        n++;
        if (stopRequested) return undefined;
      }
      return n;
    };
    const trainCount = await count(trainCached);
    const validationCount = validationCached === undefined ? 0 : await count(validationCached);
    const samples = { train: trainCount ?? 0, validation: validationCount ?? 0 };
    if (trainCount === undefined || validationCount === undefined) {
      // Stopped while decoding: nothing trained, nothing to write.
      const result: TrainResult = {
        stopped: true,
        earlyStopped: false,
        epochsCompleted: savedProgress?.epoch ?? 0,
        history: savedProgress?.history ?? [],
        backend: backendName,
        samples,
      };
      if (checkpointDir !== undefined) result.checkpointDir = checkpointDir;
      return result;
    }
    if (trainCount === 0) throw invalidArgument('the training set is empty');
    if (validationCached !== undefined && validationCount === 0)
      throw invalidArgument('the validation set is empty');
    const shuffleBuffer = checkInteger(
      'shuffleBuffer',
      options.shuffleBuffer ?? (cache === 'memory' ? trainCount : Math.min(trainCount, BOUNDED_SHUFFLE)),
      1,
    );
    const batches = Math.ceil(trainCount / batchSize);

    // The state: from the checkpoint when resuming, else fresh.
    const fresh: Progress = {
      epoch: 0,
      batch: 0,
      iterator: null,
      options: { seed, batchSize, learningRate, shuffleBuffer, samples: trainCount },
      history: [],
      running: { loss: 0, accuracy: 0, samples: 0, seconds: 0 },
      early: { best: null, wait: 0 },
    };
    let progress = fresh;
    let resumedFrom: TrainResult['resumedFrom'];
    if (checkpoint !== undefined && savedProgress !== undefined) {
      for (const key of ['seed', 'batchSize', 'learningRate', 'shuffleBuffer', 'samples'] as const) {
        if (savedProgress.options[key] !== fresh.options[key]) {
          throw new ReelsetError(
            'REELSET_E_STATE',
            `the checkpoint in ${checkpointDir} was made with ${key === 'samples' ? 'training samples' : key} ` +
              `${savedProgress.options[key]}, this run has ${fresh.options[key]}: resume with the same options and data`,
          );
        }
      }
      await restoreCheckpoint(model, checkpoint);
      progress = savedProgress;
      resumedFrom = { epoch: progress.epoch + 1, batch: progress.batch };
    }

    // The training pipeline: every epoch a fresh shuffle of the cache, in batches, repeated. Token ids are
    // padded or cut to the model's text length (as predict does).
    const collateOptions = collateOptionsFor(specs);
    const pipeline = trainCached
      .shuffle({ seed, bufferSize: shuffleBuffer })
      .batch(batchSize)
      .map((group) => collate(group, collateOptions), { label: 'Collate' })
      .repeat();
    const it = (progress.iterator === null ? pipeline : pipeline.resume(progress.iterator))[
      Symbol.asyncIterator
    ]();
    iterator = it;
    const validationData =
      validationCached === undefined
        ? undefined
        : tf.data.generator(async function* () {
            let group: Sample[] = [];
            for await (const sample of validationCached) {
              group.push(sample);
              if (group.length === batchSize) {
                yield batchTensors(tf, specs, collate(group, collateOptions), numClasses);
                group = [];
              }
            }
            if (group.length > 0) yield batchTensors(tf, specs, collate(group, collateOptions), numClasses);
          } as unknown as () => AsyncIterator<TfBatch>);

    const started = performance.now();
    let trainedHere = 0;
    let stopped = false;
    let earlyStopped = false;
    const save = async (): Promise<void> => {
      if (checkpointDir !== undefined)
        await writeCheckpoint(checkpointDir, model, progress as unknown as Json);
    };

    // A run that early stopping ended stays ended when resumed.
    if (early !== undefined && progress.early.wait >= early.patience) earlyStopped = true;
    while (progress.epoch < epochs && !earlyStopped) {
      if (stopRequested) {
        stopped = true;
        break;
      }
      const remaining = batches - progress.batch;
      const epochStart = performance.now();
      const epochData = tf.data.generator(async function* () {
        for (let i = 0; i < remaining; i++) {
          const r = await it.next();
          if (r.done) return;
          yield batchTensors(tf, specs, r.value, numClasses);
        }
      } as unknown as () => AsyncIterator<TfBatch>);
      let history: Tfjs.History;
      try {
        history = await model.fitDataset(epochData, {
          epochs: progress.epoch + 1,
          initialEpoch: progress.epoch,
          batchesPerEpoch: remaining,
          verbose: 0,
          yieldEvery: 'batch',
          ...(validationData === undefined ? {} : { validationData }),
          callbacks: {
            onBatchEnd: async (_batch, logs) => {
              const size = Number(logs?.size ?? 0);
              const r = progress.running;
              r.loss += Number(logs?.loss ?? 0) * size;
              r.accuracy += Number(logs?.acc ?? 0) * size;
              r.samples += size;
              progress.batch++;
              progress.iterator = it.state();
              trainedHere += size;
              if (onProgress !== undefined) {
                const elapsed = (performance.now() - started) / 1000;
                const samplesPerSec = elapsed > 0 ? trainedHere / elapsed : 0;
                const left =
                  (batches - progress.batch) * batchSize + (epochs - progress.epoch - 1) * trainCount;
                onProgress({
                  epoch: progress.epoch + 1,
                  epochs,
                  batch: progress.batch,
                  batches,
                  loss: r.samples > 0 ? r.loss / r.samples : 0,
                  accuracy: r.samples > 0 ? r.accuracy / r.samples : 0,
                  samplesPerSec,
                  etaSec: samplesPerSec > 0 ? Math.max(0, left) / samplesPerSec : 0,
                });
              }
              if (stopRequested) model.stopTraining = true;
            },
          },
        });
      } catch (err) {
        throw explainBackendError(err);
      }
      progress.running.seconds += (performance.now() - epochStart) / 1000;
      if (progress.batch < batches) {
        // Stopped mid-epoch: the checkpoint continues right after the last batch trained.
        await save();
        stopped = true;
        break;
      }
      const h = history.history;
      const r = progress.running;
      const record: EpochRecord = {
        epoch: progress.epoch + 1,
        loss: round(r.loss / r.samples),
        accuracy: round(r.accuracy / r.samples),
        seconds: round(r.seconds, 3),
      };
      const valLoss = h.val_loss?.[0];
      const valAcc = h.val_acc?.[0];
      if (valLoss !== undefined) record.valLoss = round(Number(valLoss));
      if (valAcc !== undefined) record.valAccuracy = round(Number(valAcc));
      progress.history.push(record);
      progress.epoch++;
      progress.batch = 0;
      progress.running = { loss: 0, accuracy: 0, samples: 0, seconds: 0 };
      if (early !== undefined && record.valLoss !== undefined) {
        const best = progress.early.best;
        if (best === null || record.valLoss < best - early.minDelta)
          progress.early = { best: record.valLoss, wait: 0 };
        else progress.early.wait++;
        if (progress.early.wait >= early.patience) earlyStopped = true;
      }
      await save();
      onEpochEnd?.(record);
    }
    if (stopRequested && progress.epoch < epochs && !earlyStopped) stopped = true;

    const last = progress.history[progress.history.length - 1];
    const result: TrainResult = {
      stopped,
      earlyStopped,
      epochsCompleted: progress.epoch,
      history: progress.history,
      backend: backendName,
      samples,
    };
    if (resumedFrom !== undefined) result.resumedFrom = resumedFrom;
    if (checkpointDir !== undefined) result.checkpointDir = checkpointDir;
    if (modelDir !== undefined) {
      const metrics: { [name: string]: Json } = {};
      if (last !== undefined) {
        metrics.train = { loss: last.loss, accuracy: last.accuracy, epoch: last.epoch };
        if (last.valLoss !== undefined) {
          metrics.validation = { loss: last.valLoss, accuracy: last.valAccuracy ?? null, epoch: last.epoch };
        }
      }
      const training: TrainingSummary = {
        options: {
          epochs,
          batchSize,
          learningRate,
          seed,
          shuffleBuffer,
          ...(early === undefined ? {} : { earlyStopping: early }),
        },
        epochsCompleted: progress.epoch,
        completed: !stopped,
        stopped,
        earlyStopped,
        backend: backendName,
        samples,
        history: progress.history,
      };
      await saveBaseline(modelDir, {
        model,
        labels,
        metrics,
        training,
        ...(options.vocab === undefined ? {} : { vocab: options.vocab }),
        ...(preprocessing === undefined ? {} : { preprocessing }),
      });
      result.modelDir = modelDir;
    }
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (handleSigint) process.removeListener('SIGINT', onSigint);
    await iterator?.return?.();
  }
}
