/**
 * @module evaluate — a baseline model's metrics over a data set (accuracy, top-5, per-class P/R/F1,
 * macro-F1, confusion matrix), with an optional per-modality ablation, in one streamed pass.
 */
import type * as Tfjs from '@tensorflow/tfjs';
import type { InputNames } from '../adapters/tf-data.js';
import type { Dataset } from '../loaders/dataset/dataset.js';
import type { DecodeOptions } from '../loaders/decode/stage.js';
import type { Sample } from '../loaders/sample.js';
import { checkBoolean, invalidArgument } from '../util/options.js';
import type { ModalityName } from './inputs.js';
import { type ClassificationMetrics, MetricsAccumulator } from './metrics.js';
import { batchProbabilities, collateForModel, labelNames, sampleBatches } from './predict.js';

/**
 * The metrics of the model fed one modality alone (the two others zeroed with a 0 mask): what each branch
 * knows by itself.
 *
 * @example
 * ```ts
 * const { text, image, video }: ModalityAblation = result.ablation!;
 * console.log(text.accuracy, image.accuracy, video.accuracy);
 * ```
 */
export interface ModalityAblation {
  /** Text only (cover and video masked). */
  text: ClassificationMetrics;
  /** Cover only (text and video masked). */
  image: ClassificationMetrics;
  /** Video only (text and cover masked). */
  video: ClassificationMetrics;
}

/**
 * What {@link evaluate} returns: the {@link ClassificationMetrics} of the model with every modality it is
 * given, plus the ablation when asked for. Plain JSON (`JSON.stringify` it).
 *
 * @example
 * ```ts
 * const r: EvaluationResult = await evaluate(model, test, { ablation: true });
 * console.log(r.samples, r.accuracy, r.top5, r.macroF1, r.confusion.counts[8][8], r.ablation?.video.accuracy);
 * ```
 */
export interface EvaluationResult extends ClassificationMetrics {
  /** Present with `ablation: true`. */
  ablation?: ModalityAblation;
}

/**
 * Options of {@link evaluate}.
 *
 * @example
 * ```ts
 * const options: EvaluateOptions = { batchSize: 64, ablation: true, onProgress: (n) => console.log(n) };
 * ```
 */
export interface EvaluateOptions {
  /** Samples a forward pass (default 32). */
  batchSize?: number;
  /** Also evaluate text only, cover only and video only (three more forward passes a batch). Default false. */
  ablation?: boolean;
  /**
   * The decoding the model was trained with: the model directory's preprocessing as decode options
   * (`decodeOptionsFor(preprocessing, vocab)`). When given, the samples are decoded with it first; when
   * absent they must already be decoded as the model expects.
   */
  preprocessing?: DecodeOptions;
  /** The model's input names (defaults `text_data`, `image_data`, `video_data`; masks add `_mask`). */
  names?: InputNames;
  /**
   * The label names in label-id order (the model directory's `labels`), for `perClass` and `confusion`.
   * Default: the 31 labels' English names when the model has 31 outputs, `class <id>` otherwise.
   */
  labels?: readonly string[];
  /** Called after each batch with the number of samples evaluated so far. */
  onProgress?: (samples: number) => void;
}

const ABLATIONS: ReadonlyArray<readonly [keyof ModalityAblation, readonly ModalityName[]]> = [
  ['text', ['text']],
  ['image', ['image']],
  ['video', ['video']],
];

/** The class count of the model's (first or `video_label`) output, or 31 when it has no fixed last axis. */
function outputClasses(model: Tfjs.LayersModel): number {
  const i = Math.max(0, model.outputNames.indexOf('video_label'));
  const last = model.outputs[i]?.shape.at(-1);
  return typeof last === 'number' && last > 0 ? last : 31;
}

/**
 * Evaluates a classifier on the samples of `dataset` (a Dataset, an array or any iterable of samples,
 * decoded as the model expects or decoded here with `preprocessing`), in batches of `batchSize`: the
 * inputs of each batch are built from its columns (a modality absent from the whole batch gets zeros of
 * the model's input shape and a 0 mask), one forward pass gives the probabilities, and only counters are
 * kept (memory stays flat); every tensor is disposed (`tf.memory().numTensors` is the same after).
 *
 * - `accuracy`, `top5`, `perClass` (precision / recall / F1 / support; precision 0 for a class never
 *   predicted), `macroF1` (mean F1 over the classes present), `confusion` (`counts[true][predicted]`).
 * - `ablation: true` runs three more passes per batch, each with two of the three modalities masked:
 *   `ablation.text`, `.image`, `.video` are the metrics of each modality alone.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when samples do not fit the model's inputs;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option or a label out of range.
 * @example
 * ```ts
 * const { model, preprocessing, vocab, labels } = await loadBaseline('runs/1');
 * const { test } = openDataset('data').split({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
 * const result = await evaluate(model, test, {
 *   preprocessing: decodeOptionsFor(preprocessing, vocab),
 *   labels,
 *   ablation: true,
 * });
 * console.log(`accuracy ${result.accuracy}, macro-F1 ${result.macroF1}, video alone ${result.ablation?.video.accuracy}`);
 * await writeConfusionPng(result, 'confusion.png');
 * ```
 */
export async function evaluate(
  model: Tfjs.LayersModel,
  dataset: Dataset<Sample> | Iterable<Sample> | AsyncIterable<Sample>,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const ablation = checkBoolean('ablation', options.ablation, false);
  const numClasses = outputClasses(model);
  const names = labelNames(numClasses, options.labels);
  const full = new MetricsAccumulator(numClasses, names);
  const alone = ablation
    ? ABLATIONS.map(([name, only]) => ({ name, only, acc: new MetricsAccumulator(numClasses, names) }))
    : [];
  const forward = { names: options.names };
  for await (const samples of sampleBatches(dataset, options.batchSize ?? 32, options.preprocessing)) {
    const batch = collateForModel(model, samples, options.names);
    const { probabilities } = await batchProbabilities(model, batch, forward);
    full.add(batch.labels, probabilities);
    for (const { only, acc } of alone) {
      acc.add(batch.labels, (await batchProbabilities(model, batch, { ...forward, only })).probabilities);
    }
    options.onProgress?.(full.samples);
  }
  const result: EvaluationResult = full.result();
  if (ablation) {
    const [text, image, video] = alone.map(({ acc }) => acc.result()) as [
      ClassificationMetrics,
      ClassificationMetrics,
      ClassificationMetrics,
    ];
    result.ablation = { text, image, video };
  }
  return result;
}
