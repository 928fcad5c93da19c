/**
 * @module view/classifier — the model behind the viewer's model views, as one small interface: a tfjs
 * baseline model directory (`loadBaseline` + `predict`) or an `.onnx` file (`OnnxClassifier`), both on the server.
 */
import path from 'node:path';
import type { BaselineDecodeOptions } from '../baseline/preprocessing.js';
import type { SplitRecord } from '../cli/model-data.js';
import type { Vocab } from '../loaders/decode/text.js';
import type { Sample } from '../loaders/sample.js';
import { invalidArgument } from '../util/options.js';

/**
 * The output of a classifier for one sample: the most probable label id and one probability a label.
 *
 * @example
 * ```ts
 * const out: ClassifierOutput = { labelId: 8, probabilities: [0.01, 0.02] };
 * ```
 */
export interface ClassifierOutput {
  labelId: number;
  probabilities: number[];
}

/**
 * What the viewer needs of a model: the names of its labels (label-id order), the runtime that runs it
 * (shown on the page), and predictions of raw samples (as the layout lists them: the classifier decodes
 * them with its own preprocessing). A sample that cannot be decoded gives `undefined` in its place.
 *
 * @example
 * ```ts
 * const [first] = await classifier.predict([sample]);
 * console.log(classifier.runtime, first && classifier.labels[first.labelId]);
 * ```
 */
export interface ViewClassifier {
  readonly labels: readonly string[];
  readonly runtime: string;
  predict(samples: readonly Sample[]): Promise<Array<ClassifierOutput | undefined>>;
}

/**
 * A classifier with what the viewer shows beside it: the split its training recorded (the one `reelset
 * evaluate` uses), the model's text encoding for the token ids of a brief, and where it came from.
 *
 * @example
 * ```ts
 * const { classifier, split } = await loadViewModel('runs/lite');
 * ```
 */
export interface ViewModel {
  classifier: ViewClassifier;
  /** The split the training recorded, or the default split. */
  split: SplitRecord;
  /** The model's encoding of a brief (token ids), when it reads text. */
  encode?: (brief: string) => { ids: number[]; tokens: string[]; oovId: number };
  /** The model path as given. */
  source: string;
  /** Model inputs in words, e.g. `text 25 ids, cover 64x64, 4 frames 32x32`. */
  inputs: string;
}

/** Pairs the samples with the predictions of those that decoded (order kept; skipped ones left out). */
function align(
  samples: readonly Sample[],
  predictions: ReadonlyArray<{ id: string; labelId: number; probabilities: number[] }>,
): Array<ClassifierOutput | undefined> {
  let p = 0;
  return samples.map((sample) => {
    const next = predictions[p];
    if (next === undefined || next.id !== sample.id) return undefined;
    p++;
    return { labelId: next.labelId, probabilities: next.probabilities };
  });
}

/**
 * Loads a baseline model directory written by `reelset train` as a {@link ViewModel}: the tfjs model on the
 * backend `selectBackend` picks for it (wasm when installed), decoding each sample with the directory's
 * preprocessing and vocabulary. Loads @tensorflow/tfjs.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a directory not written by `reelset train`;
 *   `REELSET_E_MISSING_PEER` without @tensorflow/tfjs.
 * @example
 * ```ts
 * const model = await loadTfjsViewModel('runs/lite');
 * console.log(model.classifier.runtime); // 'TensorFlow.js (wasm) on the server'
 * ```
 */
export async function loadTfjsViewModel(modelDir: string): Promise<ViewModel> {
  const [{ loadTrained, recordedSplit }, { predict }, { selectBackend }] = await Promise.all([
    import('../cli/model-data.js'),
    import('../baseline/predict.js'),
    import('../adapters/backend.js'),
  ]);
  const { loaded, decode } = await loadTrained(modelDir, undefined);
  const choice = await selectBackend({ model: loaded.model });
  const labels = loaded.labels;
  const classifier: ViewClassifier = {
    labels,
    runtime: `TensorFlow.js (${choice.tfBackend}) on the server`,
    predict: async (samples) => {
      const results = await predict(loaded.model, samples, {
        preprocessing: { ...decode, onSkip: () => undefined },
        labels,
        batchSize: 32,
      });
      return align(samples, results);
    },
  };
  const model: ViewModel = {
    classifier,
    split: recordedSplit(loaded.metrics, loaded.info.training?.options.seed),
    source: modelDir,
    inputs: describeInputs(decode),
  };
  if (loaded.vocab !== undefined) model.encode = await briefEncoder(loaded.vocab, decode);
  return model;
}

/** The model's encoding of a brief: its token ids, the tokens they stand for, the out-of-vocabulary id. */
async function briefEncoder(
  vocab: Vocab,
  decode: BaselineDecodeOptions,
): Promise<NonNullable<ViewModel['encode']>> {
  const { tokenize } = await import('../loaders/decode/text.js');
  const options = { maxLength: decode.text.maxLength, lowercase: decode.text.lowercase };
  return (brief) => ({
    ids: Array.from(vocab.encode(brief, options)),
    tokens: tokenize(brief, options).slice(0, options.maxLength),
    oovId: vocab.oovId,
  });
}

/**
 * Loads an `.onnx` file written by `reelset export` as a {@link ViewModel}: `OnnxClassifier` on
 * onnxruntime-node (CUDA when installed, else the CPU), decoding with the preprocessing and vocabulary of
 * its metadata. An `.onnx` file records no split: the default split (0.8/0.1/0.1, seed 1) is used.
 *
 * @throws ReelsetError `REELSET_E_ONNX` for a file without preprocessing or that onnxruntime cannot run;
 *   `REELSET_E_MISSING_PEER` without onnxruntime-node.
 * @example
 * ```ts
 * const model = await loadOnnxViewModel('model.onnx');
 * console.log(model.classifier.runtime); // 'onnxruntime-node (cpu) on the server'
 * ```
 */
export async function loadOnnxViewModel(file: string): Promise<ViewModel> {
  const [{ OnnxClassifier }, { DEFAULT_SEED, SPLIT_FRACTIONS }] = await Promise.all([
    import('../onnx/classifier.js'),
    import('../cli/model-data.js'),
  ]);
  const onnx = await OnnxClassifier.load(file);
  const decode = onnx.decodeOptions();
  const classifier: ViewClassifier = {
    labels: onnx.labels,
    runtime: `onnxruntime-node (${onnx.provider}) on the server`,
    predict: async (samples) => {
      const results: Array<{ id: string; labelId: number; probabilities: number[] }> = [];
      for await (const p of onnx.predictions(samples)) results.push(p);
      return align(samples, results);
    },
  };
  const model: ViewModel = {
    classifier,
    split: { ...SPLIT_FRACTIONS, seed: DEFAULT_SEED },
    source: file,
    inputs: describeInputs(decode),
  };
  if (onnx.vocab !== undefined) model.encode = await briefEncoder(onnx.vocab, decode);
  return model;
}

/** The decoding of a model in words. */
function describeInputs(decode: BaselineDecodeOptions): string {
  const { image, video } = decode;
  return [
    `text ${decode.text.maxLength} ids`,
    `cover ${image.width}x${image.height}`,
    `${video.frames} frames ${video.width}x${video.height}`,
  ].join(', ');
}

/**
 * Loads the model given to `reelset view --model`: an `.onnx` file (onnxruntime-node, on the server) or a
 * model directory (tfjs, on the server).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a directory not written by `reelset train`;
 *   `REELSET_E_ONNX` for an `.onnx` file that cannot be run; `REELSET_E_MISSING_PEER` without the runtime.
 * @example
 * ```ts
 * const model = await loadViewModel('runs/lite');
 * ```
 */
export async function loadViewModel(modelPath: string): Promise<ViewModel> {
  if (typeof modelPath !== 'string' || modelPath === '') throw invalidArgument('--model must be a path');
  if (path.extname(modelPath).toLowerCase() === '.onnx') return loadOnnxViewModel(modelPath);
  return loadTfjsViewModel(modelPath);
}
