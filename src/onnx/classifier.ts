/**
 * @module classifier — `OnnxClassifier`: a classifier exported by reelset (`exportOnnx`), run by
 * onnxruntime on CUDA or the CPU. Its labels, preprocessing and vocabulary come from the file's metadata,
 * so the `.onnx` file and the media are all it needs.
 */
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { type Batch, collate } from '../adapters/collate.js';
import {
  checkOnly,
  collateOptionsFor,
  inputArrays,
  type ModalityName,
  specsOfInputs,
} from '../baseline/inputs.js';
import { labelNames, type Prediction, sampleBatches, toPredictions } from '../baseline/predict.js';
import {
  type BaselineDecodeOptions,
  checkPreprocessing,
  decodeOptionsFor,
  type Preprocessing,
} from '../baseline/preprocessing.js';
import { ReelsetError } from '../errors.js';
import type { Dataset } from '../loaders/dataset/dataset.js';
import type { DecodeOptions } from '../loaders/decode/stage.js';
import { Vocab } from '../loaders/decode/text.js';
import type { Sample } from '../loaders/sample.js';
import { checkInputFile } from '../util/files.js';
import { checkInteger, checkOneOf, describeValue, invalidArgument } from '../util/options.js';
import { ONNX_METADATA_KEYS } from './export.js';
import { readOnnxMetadata } from './read-model.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider, type OnnxSession, openSession } from './session.js';

/**
 * Options of {@link OnnxClassifier.load}.
 *
 * @example
 * ```ts
 * const options: OnnxClassifierOptions = { executionProviders: ['cpu'] };
 * ```
 */
export interface OnnxClassifierOptions {
  /** The providers to try, in order (default `['cuda', 'cpu']`: CUDA when installed, else the CPU). */
  executionProviders?: readonly ExecutionProvider[];
}

/**
 * Options of {@link OnnxClassifier.predictions}.
 *
 * @example
 * ```ts
 * const options: OnnxPredictOptions = { batchSize: 64, concurrency: 4 };
 * ```
 */
export interface OnnxPredictOptions {
  /** Samples a forward pass (default 32). */
  batchSize?: number;
  /** Samples decoded at once (default: the decode stage's). */
  concurrency?: number;
  /** Feed only these modalities; the others get zeros and a 0 mask (an ablation). Default: all three. */
  only?: readonly ModalityName[];
}

function parseJson(meta: Record<string, string>, key: string, what: string): unknown {
  const text = meta[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReelsetError('REELSET_E_ONNX', `${what}: its metadata "${key}" is not JSON`, { cause: err });
  }
}

/** `'float32'` or `'int32'` for an onnxruntime tensor type the classifier feeds. */
function dtypeOf(type: string, name: string, what: string): 'float32' | 'int32' {
  if (type === 'float32' || type === 'int32') return type;
  throw new ReelsetError(
    'REELSET_E_ONNX',
    `${what}: input ${name} is ${type}; reelset feeds float32 or int32`,
  );
}

/**
 * A classifier exported by reelset, run by onnxruntime-node (an optional peer: `npm install
 * onnxruntime-node`). Load it with {@link OnnxClassifier.load}; `provider` says where it runs.
 *
 * @example
 * ```ts
 * import { openDataset } from 'reelset';
 * import { OnnxClassifier } from 'reelset/onnx';
 * const classifier = await OnnxClassifier.load('model.onnx');
 * console.log(`running on ${classifier.provider}`);
 * for await (const p of classifier.predictions(openDataset('data'))) console.log(p.id, p.label);
 * await classifier.release();
 * ```
 */
export class OnnxClassifier {
  /** The file it was loaded from. */
  readonly path: string;
  /** The execution provider it runs on. */
  readonly provider: ExecutionProvider;
  /** The providers tried before `provider`, with why each was not used. */
  readonly tried: readonly { provider: ExecutionProvider; reason: string }[];
  /** The label names, in class-id order (from the metadata; the 31 labels when it has none). */
  readonly labels: readonly string[];
  /** The preprocessing the model was trained with, when its metadata has it. */
  readonly preprocessing: Preprocessing | undefined;
  /** The vocabulary its text was encoded with, when its metadata has it. */
  readonly vocab: Vocab | undefined;
  /** The reelset version that wrote the file. */
  readonly version: string | undefined;
  readonly #open: OnnxSession;
  readonly #specs: ReturnType<typeof specsOfInputs>;
  readonly #output: string;

  private constructor(
    file: string,
    open: OnnxSession,
    meta: Record<string, string>,
    specs: ReturnType<typeof specsOfInputs>,
    output: { name: string; classes: number },
  ) {
    this.path = file;
    this.provider = open.provider;
    this.tried = open.tried;
    this.#open = open;
    this.#specs = specs;
    this.#output = output.name;
    const what = file;
    const labels = parseJson(meta, ONNX_METADATA_KEYS.labels, what);
    try {
      this.labels = Object.freeze(labelNames(output.classes, labels as string[] | undefined));
    } catch (err) {
      throw new ReelsetError('REELSET_E_ONNX', `${what}: ${(err as Error).message}`, { cause: err });
    }
    const pre = parseJson(meta, ONNX_METADATA_KEYS.preprocessing, what);
    const tokens = parseJson(meta, ONNX_METADATA_KEYS.vocabulary, what);
    try {
      this.preprocessing = pre === undefined ? undefined : checkPreprocessing(pre);
      this.vocab = tokens === undefined ? undefined : Vocab.fromTokens(tokens as string[]);
    } catch (err) {
      throw new ReelsetError('REELSET_E_ONNX', `${what}: bad metadata: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.version = meta[ONNX_METADATA_KEYS.version];
  }

  /**
   * Loads an `.onnx` file written by `exportOnnx` (or `reelset export`) into an onnxruntime session on the
   * first provider of `executionProviders` that works, and reads its labels, preprocessing and vocabulary.
   *
   * @throws ReelsetError `REELSET_E_NOT_FOUND` / `REELSET_E_NOT_A_FILE` for a bad path;
   *   `REELSET_E_ONNX` when the file is not a model onnxruntime can run, its inputs are not the baseline's
   *   names, or it has not one output of class probabilities; `REELSET_E_MISSING_PEER` without
   *   onnxruntime-node.
   * @example
   * ```ts
   * const classifier = await OnnxClassifier.load('model.onnx', { executionProviders: ['cuda', 'cpu'] });
   * if (classifier.provider === 'cpu') console.log(classifier.tried.map((t) => `${t.provider}: ${t.reason}`));
   * ```
   */
  static async load(file: string, options: OnnxClassifierOptions = {}): Promise<OnnxClassifier> {
    if (typeof file !== 'string' || file === '')
      throw invalidArgument(`file must be a path, got ${describeValue(file)}`);
    if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
    const providers = options.executionProviders ?? EXECUTION_PROVIDERS;
    if (!Array.isArray(providers) || providers.length === 0) {
      throw invalidArgument(
        `executionProviders must be a non-empty array of ${EXECUTION_PROVIDERS.join(', ')}`,
      );
    }
    for (const p of providers) checkOneOf('executionProviders[]', p, EXECUTION_PROVIDERS);
    await checkInputFile(file, 'the ONNX model');
    const bytes = await readFile(file);
    const meta = readOnnxMetadata(bytes, file);
    const open = await openSession(bytes, providers, file);
    try {
      const inputs = open.session.inputMetadata.map((m) => {
        if (!m.isTensor) throw new ReelsetError('REELSET_E_ONNX', `${file}: input ${m.name} is not a tensor`);
        const shape = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : null));
        return { name: m.name, shape, dtype: dtypeOf(m.type, m.name, file) };
      });
      let specs: ReturnType<typeof specsOfInputs>;
      try {
        specs = specsOfInputs(inputs);
      } catch (err) {
        throw new ReelsetError('REELSET_E_ONNX', `${file}: ${(err as Error).message}`, { cause: err });
      }
      const [out, ...more] = open.session.outputMetadata;
      const shape = out?.isTensor ? out.shape : [];
      const classes = shape[1];
      if (out === undefined || more.length > 0 || shape.length !== 2 || typeof classes !== 'number') {
        throw new ReelsetError(
          'REELSET_E_ONNX',
          `${file}: a classifier has one output [batch, classes]; this model has ` +
            `${open.session.outputNames.length} (${open.session.outputNames.join(', ')})`,
        );
      }
      return new OnnxClassifier(file, open, meta, specs, { name: out.name, classes });
    } catch (err) {
      await open.session.release();
      throw err;
    }
  }

  /**
   * The decode options of the model's preprocessing and vocabulary (what `predictions` decodes with).
   *
   * @throws ReelsetError `REELSET_E_ONNX` when the file's metadata has no preprocessing or vocabulary.
   * @example
   * ```ts
   * const decoded = openDataset('data', classifier.decodeOptions());
   * ```
   */
  decodeOptions(): BaselineDecodeOptions {
    if (this.preprocessing === undefined || this.vocab === undefined) {
      throw new ReelsetError(
        'REELSET_E_ONNX',
        `${this.path} has no preprocessing or vocabulary in its metadata: export it with both ` +
          '(reelset export MODEL_DIR does), or decode the samples yourself and call predict',
      );
    }
    return decodeOptionsFor(this.preprocessing, this.vocab);
  }

  /**
   * The predictions of decoded samples (decoded as the model expects: `decodeOptions()`), or of a batch
   * collated channels-last, in order: one forward pass.
   *
   * @throws ReelsetError `REELSET_E_SHAPE` when the samples do not fit the model's inputs.
   * @example
   * ```ts
   * const samples = await openDataset('data', classifier.decodeOptions()).take(8).toArray();
   * const [first] = await classifier.predict(samples);
   * console.log(first.label, first.probabilities[first.labelId]);
   * ```
   */
  async predict(
    input: readonly Sample[] | Batch,
    options: Pick<OnnxPredictOptions, 'only'> = {},
  ): Promise<Prediction[]> {
    const batch = Array.isArray(input)
      ? collate(input as readonly Sample[], collateOptionsFor(this.#specs))
      : (input as Batch);
    const keep = new Set<ModalityName>(checkOnly(options.only));
    const { ort, session } = this.#open;
    const feeds: Record<string, Ort.Tensor> = {};
    for (const a of inputArrays(this.#specs, batch, keep))
      feeds[a.name] = new ort.Tensor(a.dtype, a.data, a.shape);
    const out = (await session.run(feeds))[this.#output] as Ort.Tensor;
    try {
      return toPredictions(batch, out.data as Float32Array, out.dims[1] as number, this.labels);
    } finally {
      out.dispose();
    }
  }

  /**
   * The predictions of every sample of `input` (as `openDataset` lists them, not decoded), decoded with the
   * model's own preprocessing and run batch by batch, so memory stays flat however many there are.
   *
   * @throws ReelsetError `REELSET_E_ONNX` when the file has no preprocessing; `REELSET_E_INVALID_ARGUMENT`
   *   for a bad option.
   * @example
   * ```ts
   * for await (const p of classifier.predictions(openDataset('data'), { batchSize: 64 })) console.log(p.id, p.label);
   * ```
   */
  async *predictions(
    input: Dataset<Sample> | Iterable<Sample> | AsyncIterable<Sample>,
    options: OnnxPredictOptions = {},
  ): AsyncGenerator<Prediction> {
    const batchSize = checkInteger('batchSize', options.batchSize ?? 32, 1);
    const decode: DecodeOptions = { ...this.decodeOptions() };
    if (options.concurrency !== undefined) {
      decode.concurrency = checkInteger('concurrency', options.concurrency, 1);
    }
    for await (const samples of sampleBatches(input, batchSize, decode)) {
      yield* await this.predict(samples, options);
    }
  }

  /**
   * Frees the onnxruntime session.
   *
   * @example
   * ```ts
   * await classifier.release();
   * ```
   */
  async release(): Promise<void> {
    await this.#open.session.release();
  }
}
