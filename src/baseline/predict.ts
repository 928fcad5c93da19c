/**
 * @module predict — a baseline model's label and probabilities for each sample: batches of decoded samples
 * become the model's six inputs (zeros and a 0 mask for a modality the batch lacks or that is masked out).
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { type Batch, collate } from '../adapters/collate.js';
import type { InputNames } from '../adapters/tf-data.js';
import { loadTfjs } from '../adapters/tfjs.js';
import { ReelsetError } from '../errors.js';
import { Dataset } from '../loaders/dataset/dataset.js';
import { type DecodeOptions, decodeSamples } from '../loaders/decode/stage.js';
import type { Sample } from '../loaders/sample.js';
import { checkInteger, invalidArgument } from '../util/options.js';
import {
  buildInputs,
  checkOnly,
  collateOptionsFor,
  inputSpecs,
  type ModalityName,
  resolveNames,
  shapeText,
} from './inputs.js';
import { argmax, classNames } from './metrics.js';

/**
 * The prediction of one sample.
 *
 * @example
 * ```ts
 * const p: Prediction = { id: '99945958', label: 'Beach', labelId: 8, probabilities: [0.01, ...] };
 * ```
 */
export interface Prediction {
  /** The sample's id. */
  id: string;
  /** The name of the most probable label (`LABELS[labelId].name`, or from the `labels` option). */
  label: string;
  /** The most probable label id (the lowest on a tie). */
  labelId: number;
  /** One probability a label, in label-id order (31 for the baseline). */
  probabilities: number[];
}

/**
 * Options of {@link predictBatch}, {@link predictions} and {@link predict}.
 *
 * @example
 * ```ts
 * const options: PredictOptions = { batchSize: 16, preprocessing: { text: { vocab }, image: { height: 64, width: 64 } } };
 * ```
 */
export interface PredictOptions {
  /** Samples a forward pass (default 32). */
  batchSize?: number;
  /**
   * The decoding the model was trained with: the model directory's preprocessing as decode options
   * (`decodeOptionsFor(preprocessing, vocab)`). When given, the samples are decoded with it first
   * (`decodeSamples`): pass samples as `openDataset` lists them, without decoding. When absent, the samples
   * must already be decoded as the model expects.
   */
  preprocessing?: DecodeOptions;
  /** The model's input names (defaults `text_data`, `image_data`, `video_data`; masks add `_mask`). */
  names?: InputNames;
  /**
   * The label names in label-id order (the model directory's `labels`). Default: the 31 labels' English
   * names when the model has 31 outputs, `class <id>` otherwise.
   */
  labels?: readonly string[];
  /**
   * Feed only these modalities: the others get zeros and a 0 mask, as if every sample lacked them (an
   * ablation). Default: all three.
   */
  only?: readonly ModalityName[];
}

/** The probabilities output of the model: `video_label`, or its only output. */
function pickOutput(model: Tfjs.LayersModel, out: Tfjs.Tensor | Tfjs.Tensor[]): Tfjs.Tensor {
  if (!Array.isArray(out)) return out;
  const i = model.outputNames.indexOf('video_label');
  return out[Math.max(i, 0)] as Tfjs.Tensor;
}

/**
 * The probability rows of a collated batch: one forward pass of the model, whose inputs are built from
 * the batch's columns and masks (a modality the batch lacks, or not in `only`, gets zeros of the model's
 * input shape and a 0 mask). Every tensor made is disposed before it returns.
 *
 * @returns the probabilities, row-major `[batch.size, numClasses]`, and `numClasses`.
 * @throws ReelsetError `REELSET_E_SHAPE` when a column does not fit the model's input;
 *   `REELSET_E_INVALID_ARGUMENT` when the model has an input of an unknown name.
 * @example
 * ```ts
 * const { probabilities, numClasses } = await batchProbabilities(model, collate(samples), { only: ['text'] });
 * ```
 */
export async function batchProbabilities(
  model: Tfjs.LayersModel,
  batch: Batch,
  options: Pick<PredictOptions, 'names' | 'only'> = {},
): Promise<{ probabilities: Float32Array; numClasses: number }> {
  const tf = loadTfjs();
  const specs = inputSpecs(model, resolveNames(options.names));
  const keep = new Set<ModalityName>(checkOnly(options.only));
  const out = tf.tidy(() => {
    const inputs = buildInputs(tf, specs, batch, keep);
    return pickOutput(model, model.predict(inputs.length === 1 ? (inputs[0] as Tfjs.Tensor) : inputs));
  });
  try {
    const numClasses = out.shape[out.shape.length - 1] as number;
    if (out.shape.length !== 2 || out.shape[0] !== batch.size) {
      throw new ReelsetError(
        'REELSET_E_SHAPE',
        `the model's output is ${shapeText(out.shape)}, expected [${batch.size}, classes]`,
      );
    }
    return { probabilities: (await out.data()) as Float32Array, numClasses };
  } finally {
    out.dispose();
  }
}

/**
 * Collates decoded samples for a model: channels-last pixels, token ids padded or cut to the model's text
 * length when it is fixed.
 *
 * @example
 * ```ts
 * const batch = collateForModel(model, samples);
 * ```
 */
export function collateForModel(
  model: Tfjs.LayersModel,
  samples: readonly Sample[],
  names?: InputNames,
): Batch {
  return collate(samples, collateOptionsFor(inputSpecs(model, resolveNames(names))));
}

/**
 * The label names of a model's `numClasses` outputs: `labels` when given (checked: one string a class),
 * else {@link classNames} (the 31 labels' names, or `class <id>`).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when `labels` does not have one string a class.
 * @example
 * ```ts
 * labelNames(31, undefined)[8]; // 'Beach'
 * labelNames(2, ['cat', 'dog']); // ['cat', 'dog']
 * ```
 */
export function labelNames(numClasses: number, labels: readonly string[] | undefined): string[] {
  if (labels === undefined) return classNames(numClasses);
  if (!Array.isArray(labels) || labels.length !== numClasses || labels.some((l) => typeof l !== 'string')) {
    throw invalidArgument(`labels must be ${numClasses} strings, one a class of the model's output`);
  }
  return [...labels];
}

/**
 * The predictions of a batch from its probability rows (row-major `[batch.size, numClasses]`): the most
 * probable label id (the lowest on a tie), its name (`labels`, checked, or {@link classNames}) and the row.
 * Shared by the tfjs and the onnxruntime predictors.
 *
 * @example
 * ```ts
 * const [first] = toPredictions(batch, probabilities, 31, undefined);
 * ```
 */
export function toPredictions(
  batch: Batch,
  probabilities: Float32Array,
  numClasses: number,
  labels: readonly string[] | undefined,
): Prediction[] {
  const names = labelNames(numClasses, labels);
  const out: Prediction[] = [];
  for (let i = 0; i < batch.size; i++) {
    const row = Array.from(probabilities.subarray(i * numClasses, (i + 1) * numClasses));
    const labelId = argmax(row);
    out.push({ id: batch.ids[i] as string, label: names[labelId] as string, labelId, probabilities: row });
  }
  return out;
}

/**
 * The predictions of a batch of decoded samples (or an already collated {@link Batch}), in order: one
 * forward pass.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when the samples do not fit the model's inputs.
 * @example
 * ```ts
 * const [first] = await predictBatch(model, samples);
 * console.log(first.id, first.label, first.probabilities[first.labelId]);
 * ```
 */
export async function predictBatch(
  model: Tfjs.LayersModel,
  samples: readonly Sample[] | Batch,
  options: Pick<PredictOptions, 'names' | 'only' | 'labels'> = {},
): Promise<Prediction[]> {
  const batch = Array.isArray(samples)
    ? collateForModel(model, samples as readonly Sample[], options.names)
    : (samples as Batch);
  const { probabilities, numClasses } = await batchProbabilities(model, batch, options);
  return toPredictions(batch, probabilities, numClasses, options.labels);
}

/**
 * Samples of `input` in groups of `batchSize` (the last one smaller), decoded first with `preprocessing`
 * when given. Shared by {@link predictions} and `evaluate`.
 *
 * @example
 * ```ts
 * for await (const samples of sampleBatches(dataset, 32)) console.log(samples.length);
 * ```
 */
export async function* sampleBatches(
  input: Dataset<Sample> | Iterable<Sample> | AsyncIterable<Sample>,
  batchSize: number,
  preprocessing?: DecodeOptions,
): AsyncGenerator<Sample[]> {
  checkInteger('batchSize', batchSize, 1);
  let source: Iterable<Sample> | AsyncIterable<Sample> = input;
  if (preprocessing !== undefined) {
    const dataset =
      input instanceof Dataset
        ? (input as Dataset<Sample>)
        : Array.isArray(input)
          ? Dataset.from(input as Sample[])
          : Dataset.from(() => input);
    source = decodeSamples(dataset, preprocessing) as Dataset<Sample>;
  }
  let group: Sample[] = [];
  for await (const sample of source) {
    group.push(sample);
    if (group.length === batchSize) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

/**
 * The predictions of every sample of `input` (a Dataset, an array, or any iterable of samples), streamed
 * batch by batch so memory stays flat however many samples there are.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when the samples do not fit the model's inputs;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * for await (const p of predictions(model, openDataset('data'), { preprocessing })) console.log(p.id, p.label);
 * ```
 */
export async function* predictions(
  model: Tfjs.LayersModel,
  input: Dataset<Sample> | Iterable<Sample> | AsyncIterable<Sample>,
  options: PredictOptions = {},
): AsyncGenerator<Prediction> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  for await (const samples of sampleBatches(input, options.batchSize ?? 32, options.preprocessing)) {
    yield* await predictBatch(model, samples, options);
  }
}

/**
 * The predictions of every sample of `input` (a Dataset, an array, or any iterable of samples): label,
 * labelId and the probabilities in label-id order, one a sample, in order. For a large set prefer
 * {@link predictions}, which does not hold them all.
 *
 * @throws ReelsetError `REELSET_E_SHAPE` when the samples do not fit the model's inputs;
 *   `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const { model, preprocessing, vocab, labels } = await loadBaseline('runs/1');
 * const raw = openDataset('data', { labels: ['Beach'] }).take(8);
 * const results = await predict(model, raw, { preprocessing: decodeOptionsFor(preprocessing, vocab), labels });
 * console.log(results[0].label, Math.max(...results[0].probabilities));
 * ```
 */
export async function predict(
  model: Tfjs.LayersModel,
  input: Dataset<Sample> | Iterable<Sample> | AsyncIterable<Sample>,
  options: PredictOptions = {},
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for await (const p of predictions(model, input, options)) out.push(p);
  return out;
}
