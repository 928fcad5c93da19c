/**
 * @module baseline/model — `createBaseline`: the baseline classifier as a TensorFlow.js `LayersModel`, preset `lite`
 * (late fusion that trains on 2 CPU cores in minutes) or `seed` (the original project's model, layer for layer).
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { loadTfjs } from '../adapters/tfjs.js';
import { LABELS } from '../loaders/layout/labels.js';
import { checkBoolean, checkInteger, checkNumber, describeValue, invalidArgument } from '../util/options.js';
import { mulberry32 } from '../util/random.js';
import {
  BASELINE_PRESETS,
  type BaselinePreset,
  checkPreprocessing,
  type Preprocessing,
  presetPreprocessing,
} from './preprocessing.js';

type SymbolicTensor = Tfjs.SymbolicTensor;

/**
 * The input and output names of every baseline model: those `toTfDataset(..., { masks: true })` produces
 * (`text_data`, `image_data`, `video_data`, each with its `<name>_mask`) and the original's output
 * `video_label`.
 *
 * @example
 * ```ts
 * const ds = toTfDataset(data, { batchSize: 32, masks: true }); // xs keyed by BASELINE_NAMES.inputs
 * console.log(BASELINE_NAMES.output); // 'video_label'
 * ```
 */
export const BASELINE_NAMES = Object.freeze({
  inputs: Object.freeze({ text: 'text_data', image: 'image_data', video: 'video_data' }),
  masks: Object.freeze({ text: 'text_data_mask', image: 'image_data_mask', video: 'video_data_mask' }),
  output: 'video_label',
} as const);

/**
 * The sizes of the `lite` preset (defaults in {@link LITE_SIZES}). The model, branch by branch:
 *
 * - text: `ReelsetMultiHot` (the set of token ids, as a 0/1 vector of vocabSize + 2) -> Dense(textUnits, relu);
 * - image: AveragePooling2D(imagePool) -> Flatten -> Dense(imageUnits, relu);
 * - video: the clip cut into videoPatch x videoPatch patches spanning all frames (Reshape, Permute, Reshape)
 *   -> Dense(patchUnits, relu) on every patch (a strided space-time convolution, as a matrix product) ->
 *   GlobalMaxPooling1D and GlobalAveragePooling1D over the patches -> Concatenate -> Dense(videoUnits, relu);
 * - each branch times its mask (after Dropout(modalityDropout) on the mask while training) ->
 *   Concatenate -> Dense(fusionUnits, relu) -> Dense(31, softmax) `video_label`.
 *
 * @example
 * ```ts
 * const sizes: LiteSizes = { ...LITE_SIZES, patchUnits: 48 };
 * ```
 */
export interface LiteSizes {
  /** Units of the text branch's Dense. */
  textUnits: number;
  /** Average-pooling factor of the cover before its Dense (64x64 / 4 = 16x16). */
  imagePool: number;
  /** Units of the image branch's Dense. */
  imageUnits: number;
  /** Side of the square patches of the clip (must divide its height and width). */
  videoPatch: number;
  /** Units of the Dense applied to every patch. */
  patchUnits: number;
  /** Units of the video branch's last Dense. */
  videoUnits: number;
  /** Units of the fusion Dense. */
  fusionUnits: number;
  /**
   * Rate of the Dropout on each modality's mask while training (0 to switch off): a branch is then
   * left out of some samples (and, as Dropout does, kept ones are scaled by 1 / (1 - rate)), so the model
   * learns to classify with any modality missing. Inference leaves the masks as given.
   */
  modalityDropout: number;
}

/**
 * The sizes of the `seed` preset: the original's layers with their sizes as options (defaults in
 * {@link SEED_SIZES}, the original's). Text: Embedding(vocabSize + 2, embeddingDim) ->
 * Bidirectional(LSTM(lstmUnits, returnSequences)) -> Flatten -> Dense(textUnits, relu). Image: one Conv2D
 * 3x3 valid relu per `imageFilters` entry, MaxPooling2D 2x2 after each but the last -> Flatten ->
 * Dense(branchUnits). Video: per `videoFilters` entry a Conv3D 3x3x3 same relu and a MaxPooling3D (1, 2, 2)
 * -> Flatten -> per `videoDense` entry Dense(relu) and Dropout(`videoDropout` entry) -> Dense(branchUnits).
 * Fusion: Concatenate -> Dense(fusionUnits) -> Dense(31, softmax).
 *
 * @example
 * ```ts
 * const small: Partial<SeedSizes> = { imageFilters: [8, 8], videoFilters: [8, 8], videoDense: [16], videoDropout: [0] };
 * ```
 */
export interface SeedSizes {
  embeddingDim: number;
  lstmUnits: number;
  textUnits: number;
  imageFilters: readonly number[];
  videoFilters: readonly number[];
  videoDense: readonly number[];
  videoDropout: readonly number[];
  branchUnits: number;
  fusionUnits: number;
}

/**
 * The default sizes of the `lite` preset, chosen by measurement (bench/baseline-layers.bench.ts).
 *
 * @example
 * ```ts
 * console.log(LITE_SIZES.videoPatch); // 4
 * ```
 */
export const LITE_SIZES: Readonly<LiteSizes> = Object.freeze({
  textUnits: 64,
  imagePool: 4,
  imageUnits: 32,
  videoPatch: 4,
  patchUnits: 32,
  videoUnits: 64,
  fusionUnits: 64,
  modalityDropout: 0.3,
});

/**
 * The default sizes of the `seed` preset: the original model's.
 *
 * @example
 * ```ts
 * console.log(SEED_SIZES.videoFilters.length); // 8
 * ```
 */
export const SEED_SIZES: Readonly<SeedSizes> = Object.freeze({
  embeddingDim: 100,
  lstmUnits: 64,
  textUnits: 50,
  imageFilters: Object.freeze([32, 32, 64, 64]),
  videoFilters: Object.freeze([32, 32, 64, 64, 128, 128, 256, 256]),
  videoDense: Object.freeze([256, 128]),
  videoDropout: Object.freeze([0.3, 0.2]),
  branchUnits: 50,
  fusionUnits: 100,
});

/**
 * Options of {@link createBaseline}: the preset, its preprocessing (or the preset's, with `vocabSize`),
 * and any of the preset's sizes ({@link LiteSizes} or {@link SeedSizes}; a size of the other preset is
 * refused).
 *
 * @example
 * ```ts
 * const options: BaselineOptions = { preset: 'lite', vocabSize: vocab.size, patchUnits: 48, seed: 1 };
 * ```
 */
export interface BaselineOptions
  extends Partial<LiteSizes>,
    Partial<Omit<SeedSizes, 'textUnits' | 'fusionUnits'>> {
  /** `'lite'` (default) or `'seed'`; defaults to `preprocessing.preset` when that is given. */
  preset?: BaselinePreset;
  /** The preprocessing the data is decoded with (default: `presetPreprocessing(preset)`). */
  preprocessing?: Preprocessing;
  /** The vocabulary's token count N (ids 1..N): overrides `preprocessing.text.vocabSize`. */
  vocabSize?: number;
  /** Classes of the output (default 31, the labels). */
  numClasses?: number;
  /**
   * Add the three mask inputs `<name>_mask` (default true). `false` gives the original's three inputs
   * only (every modality must then be there).
   */
  masks?: boolean;
  /**
   * Seed of the weight initializers (a whole number): the same seed gives the same initial weights. The
   * dropout masks are not seeded (a seeded tfjs Dropout repeats one mask at every step).
   */
  seed?: number;
}

/**
 * What a baseline model carries in `model.getUserDefinedMetadata()` under the key `reelset` (saved in
 * `model.json` by `model.save`, and read back by `tf.loadLayersModel`): read it with
 * {@link baselineMetadata} or {@link baselinePreprocessing}.
 *
 * @example
 * ```ts
 * const meta: BaselineMetadata = baselineMetadata(model);
 * console.log(meta.preset, meta.preprocessing.video.frames, meta.numClasses);
 * ```
 */
export interface BaselineMetadata {
  /** Version of this record's format (1). */
  format: 1;
  preset: BaselinePreset;
  preprocessing: Preprocessing;
  /** The sizes the model was built with. */
  sizes: LiteSizes | SeedSizes;
  numClasses: number;
  masks: boolean;
}

/**
 * The class name of the layer the `lite` text branch starts with, `ReelsetMultiHot` (registered with
 * `tf.serialization.registerClass`, so `tf.loadLayersModel` rebuilds it once {@link registerBaselineLayers}
 * ran). Its maths, for an int32 input `ids` [B, L] and its config `numTokens` N:
 * `y[b, v] = 1 if ids[b, l] == v for some l, else 0`, float32 [B, N]; ids lie in 0..N-1 (the text
 * pipeline's ids do: 0 padding, 1..vocabSize, vocabSize + 1 out-of-vocabulary). In ONNX:
 * `ReduceMax(OneHot(ids, depth = N, values = [0, 1]), axes = [1], keepdims = 0)`, or `ScatterElements` of
 * ones into zeros [B, N] along axis 1. No weights. It is the function of tf.keras's
 * `CategoryEncoding(output_mode='multi_hot')`; TensorFlow.js 4.22's own `categoryEncoding` layer is not
 * used because it writes `numTokens` into its input's shape (the model's `text_data` then expects [B, N])
 * and reads the ids back synchronously on every call.
 *
 * @example
 * ```ts
 * const layer = model.layers.find((l) => l.getClassName() === MULTI_HOT_CLASS_NAME);
 * console.log(layer?.getConfig().numTokens); // vocabSize + 2
 * ```
 */
export const MULTI_HOT_CLASS_NAME = 'ReelsetMultiHot';

const METADATA_KEY = 'reelset';

interface MultiHotArgs {
  numTokens: number;
  name?: string;
  trainable?: boolean;
}

type LayerClass = new (args: MultiHotArgs) => Tfjs.layers.Layer;
let multiHotClass: LayerClass | undefined;

/** The multi-hot layer class, defined (and registered) once, with the tfjs the program uses. */
function multiHotLayer(): LayerClass {
  if (multiHotClass !== undefined) return multiHotClass;
  const tf = loadTfjs();
  class ReelsetMultiHot extends tf.layers.Layer {
    static className = MULTI_HOT_CLASS_NAME;
    readonly numTokens: number;

    constructor(args: MultiHotArgs) {
      super(args);
      this.numTokens = checkInteger('numTokens', args.numTokens, 1);
    }

    override computeOutputShape(inputShape: Tfjs.Shape | Tfjs.Shape[]): Tfjs.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Tfjs.Shape;
      return [shape[0] ?? null, this.numTokens];
    }

    override call(inputs: Tfjs.Tensor | Tfjs.Tensor[]): Tfjs.Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tfjs.Tensor;
        const ids = (x.dtype === 'int32' ? x : tf.cast(x, 'int32')) as Tfjs.Tensor2D;
        // No weights (an empty array): with binaryOutput, each id present counts 1.
        const noWeights = [] as unknown as Tfjs.Tensor2D;
        return tf.cast(tf.denseBincount(ids, noWeights, this.numTokens, true), 'float32');
      });
    }

    override getConfig(): Tfjs.serialization.ConfigDict {
      return { ...super.getConfig(), numTokens: this.numTokens };
    }
  }
  tf.serialization.registerClass(ReelsetMultiHot);
  multiHotClass = ReelsetMultiHot;
  return multiHotClass;
}

/**
 * Registers the baseline's own layer class ({@link MULTI_HOT_CLASS_NAME}) with TensorFlow.js, so that
 * `tf.loadLayersModel` can rebuild a saved `lite` model. `createBaseline` calls it; call it yourself before
 * loading a model in a program that has not built one. Idempotent.
 *
 * @throws ReelsetError `REELSET_E_MISSING_PEER` when @tensorflow/tfjs is not installed.
 * @example
 * ```ts
 * registerBaselineLayers();
 * const model = await tf.loadLayersModel('file://runs/1/model.json');
 * ```
 */
export function registerBaselineLayers(): void {
  multiHotLayer();
}

const LITE_KEYS = Object.keys(LITE_SIZES);
const SEED_KEYS = Object.keys(SEED_SIZES);
const COMMON_KEYS = ['preset', 'preprocessing', 'vocabSize', 'numClasses', 'masks', 'seed'];

function checkList(name: string, value: unknown, check: (n: string, v: unknown) => number): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument(`${name} must be a non-empty array, got ${describeValue(value)}`);
  }
  return value.map((v, i) => check(`${name}[${i}]`, v));
}

const units = (n: string, v: unknown): number => checkInteger(n, v, 1, 1_000_000);
const rate = (n: string, v: unknown): number => {
  const r = checkNumber(n, v, 0, 1);
  if (r >= 1) throw invalidArgument(`${n} must be a number from 0 to below 1, got ${r}`);
  return r;
};

function liteSizes(o: object): LiteSizes {
  const s = { ...LITE_SIZES, ...definedOf(o, LITE_KEYS) } as LiteSizes;
  return {
    textUnits: units('textUnits', s.textUnits),
    imagePool: checkInteger('imagePool', s.imagePool, 1, 4096),
    imageUnits: units('imageUnits', s.imageUnits),
    videoPatch: checkInteger('videoPatch', s.videoPatch, 1, 4096),
    patchUnits: units('patchUnits', s.patchUnits),
    videoUnits: units('videoUnits', s.videoUnits),
    fusionUnits: units('fusionUnits', s.fusionUnits),
    modalityDropout: rate('modalityDropout', s.modalityDropout),
  };
}

function seedSizes(o: object): SeedSizes {
  const s = { ...SEED_SIZES, ...definedOf(o, SEED_KEYS) } as SeedSizes;
  const sizes: SeedSizes = {
    embeddingDim: units('embeddingDim', s.embeddingDim),
    lstmUnits: units('lstmUnits', s.lstmUnits),
    textUnits: units('textUnits', s.textUnits),
    imageFilters: checkList('imageFilters', s.imageFilters, units),
    videoFilters: checkList('videoFilters', s.videoFilters, units),
    videoDense: checkList('videoDense', s.videoDense, units),
    videoDropout: checkList('videoDropout', s.videoDropout, rate),
    branchUnits: units('branchUnits', s.branchUnits),
    fusionUnits: units('fusionUnits', s.fusionUnits),
  };
  if (sizes.videoDropout.length !== sizes.videoDense.length) {
    throw invalidArgument(
      `videoDropout needs one rate per videoDense entry (${sizes.videoDense.length}), got ${sizes.videoDropout.length}`,
    );
  }
  return sizes;
}

function definedOf(o: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (o as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Builds named layers, with seeded initializers when `seed` is given. */
class Builder {
  readonly tf: typeof Tfjs;
  #seed: number | undefined;

  constructor(tf: typeof Tfjs, seed: number | undefined) {
    this.tf = tf;
    this.#seed = seed;
  }

  /** The next seed, or undefined when unseeded. */
  next(): number | undefined {
    if (this.#seed === undefined) return undefined;
    this.#seed += 1;
    return this.#seed;
  }

  /** Glorot-uniform kernel initializer (the Keras default), seeded when the builder is. */
  glorot(): ReturnType<typeof Tfjs.initializers.glorotUniform> | undefined {
    const seed = this.next();
    return seed === undefined ? undefined : this.tf.initializers.glorotUniform({ seed });
  }

  apply(layer: Tfjs.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    return layer.apply(x) as SymbolicTensor;
  }

  dense(
    name: string,
    units: number,
    activation: 'relu' | 'linear' | 'softmax',
    x: SymbolicTensor,
  ): SymbolicTensor {
    const kernelInitializer = this.glorot();
    return this.apply(
      this.tf.layers.dense({ name, units, activation, ...(kernelInitializer ? { kernelInitializer } : {}) }),
      x,
    );
  }

  /**
   * A Dropout layer, never seeded: TensorFlow.js's seeded dropout draws the same mask at every step (its
   * `randomUniform` restarts from the seed on each call), which would drop the same batch positions always.
   */
  dropout(name: string, rate: number, x: SymbolicTensor): SymbolicTensor {
    return this.apply(this.tf.layers.dropout({ name, rate }), x);
  }
}

/** The three data inputs and, with masks, the three mask inputs ([B, 1]; a [B] tensor is accepted too). */
function inputs(
  b: Builder,
  pre: Preprocessing,
  masks: boolean,
): { data: [SymbolicTensor, SymbolicTensor, SymbolicTensor]; masks: SymbolicTensor[] } {
  const { tf } = b;
  const { text, image, video } = pre;
  const data: [SymbolicTensor, SymbolicTensor, SymbolicTensor] = [
    tf.input({ name: BASELINE_NAMES.inputs.text, shape: [text.maxLength], dtype: 'int32' }),
    tf.input({ name: BASELINE_NAMES.inputs.image, shape: [image.height, image.width, 3], dtype: 'float32' }),
    tf.input({
      name: BASELINE_NAMES.inputs.video,
      shape: [video.frames, video.height, video.width, 3],
      dtype: 'float32',
    }),
  ];
  const maskInputs = masks
    ? (['text', 'image', 'video'] as const).map((m) =>
        tf.input({ name: BASELINE_NAMES.masks[m], shape: [1], dtype: 'float32' }),
      )
    : [];
  return { data, masks: maskInputs };
}

/**
 * Multiplies each branch's output by its modality's mask (a missing modality then contributes zeros),
 * after a Reshape to [B, 1] (so that a [B] mask, as `toTfDataset` makes it, fits) and, while training,
 * a Dropout of the mask at `dropout` (modality dropout).
 */
function masked(
  b: Builder,
  branches: SymbolicTensor[],
  masks: SymbolicTensor[],
  dropout: number,
): SymbolicTensor[] {
  if (masks.length === 0) return branches;
  const names = ['text', 'image', 'video'];
  return branches.map((branch, i) => {
    const prefix = names[i] as string;
    let m = b.apply(
      b.tf.layers.reshape({ name: `${prefix}_mask_column`, targetShape: [1] }),
      masks[i] as SymbolicTensor,
    );
    if (dropout > 0) m = b.dropout(`${prefix}_mask_dropout`, dropout, m);
    return b.apply(b.tf.layers.multiply({ name: `${prefix}_masked` }), [branch, m]);
  });
}

function buildLite(
  b: Builder,
  pre: Preprocessing,
  sizes: LiteSizes,
  numClasses: number,
  masks: boolean,
): Tfjs.LayersModel {
  const { tf } = b;
  const { image, video } = pre;
  if (sizes.imagePool > Math.min(image.height, image.width)) {
    throw invalidArgument(
      `imagePool ${sizes.imagePool} is larger than the ${image.height}x${image.width} cover of the preprocessing`,
    );
  }
  const p = sizes.videoPatch;
  if (video.height % p !== 0 || video.width % p !== 0) {
    throw invalidArgument(
      `videoPatch ${p} must divide the preprocessing's video height and width (${video.height}x${video.width})`,
    );
  }
  const ins = inputs(b, pre, masks);
  const [textIn, imageIn, videoIn] = ins.data;
  const MultiHot = multiHotLayer();

  const bag = b.apply(new MultiHot({ name: 'text_multi_hot', numTokens: pre.text.vocabSize + 2 }), textIn);
  const text = b.dense('text_dense', sizes.textUnits, 'relu', bag);

  let img = imageIn;
  if (sizes.imagePool > 1) {
    img = b.apply(tf.layers.averagePooling2d({ name: 'image_pool', poolSize: sizes.imagePool }), img);
  }
  img = b.apply(tf.layers.flatten({ name: 'image_flatten' }), img);
  const imageOut = b.dense('image_dense', sizes.imageUnits, 'relu', img);

  const gh = video.height / p;
  const gw = video.width / p;
  const t = video.frames;
  let v = b.apply(
    tf.layers.reshape({ name: 'video_patch_grid', targetShape: [t, gh, p, gw, p, 3] }),
    videoIn,
  );
  v = b.apply(tf.layers.permute({ name: 'video_patch_order', dims: [2, 4, 1, 3, 5, 6] }), v);
  v = b.apply(tf.layers.reshape({ name: 'video_patches', targetShape: [gh * gw, t * p * p * 3] }), v);
  v = b.dense('video_patch_dense', sizes.patchUnits, 'relu', v);
  const vmax = b.apply(tf.layers.globalMaxPooling1d({ name: 'video_patch_max' }), v);
  const vmean = b.apply(tf.layers.globalAveragePooling1d({ name: 'video_patch_mean' }), v);
  v = b.apply(tf.layers.concatenate({ name: 'video_pools' }), [vmax, vmean]);
  const videoOut = b.dense('video_dense', sizes.videoUnits, 'relu', v);

  const parts = masked(b, [text, imageOut, videoOut], ins.masks, sizes.modalityDropout);
  let h = b.apply(tf.layers.concatenate({ name: 'fusion' }), parts);
  h = b.dense('fusion_dense', sizes.fusionUnits, 'relu', h);
  const out = b.dense(BASELINE_NAMES.output, numClasses, 'softmax', h);
  return tf.model({ name: 'reelset_lite', inputs: [...ins.data, ...ins.masks], outputs: out });
}

/**
 * A random `rows x cols` matrix (rows <= cols) with orthonormal rows, row-major: what Keras's `Orthogonal`
 * initializer gives (a QR decomposition of a standard normal matrix, signs fixed by R's diagonal), by
 * modified Gram-Schmidt in float64 over the columns of its transpose. Seeded, or random without a seed.
 */
function orthogonalRows(rows: number, cols: number, seed: number | undefined): Float32Array {
  const random = mulberry32(seed ?? Math.floor(Math.random() * 2 ** 31));
  const normal = (): number => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  // q holds `rows` vectors of length `cols` (the columns of the transposed matrix), made orthonormal in turn.
  const q = Array.from({ length: rows }, () => Float64Array.from({ length: cols }, normal));
  for (let i = 0; i < rows; i++) {
    const v = q[i] as Float64Array;
    for (let j = 0; j < i; j++) {
      const u = q[j] as Float64Array;
      let dot = 0;
      for (let k = 0; k < cols; k++) dot += (u[k] as number) * (v[k] as number);
      for (let k = 0; k < cols; k++) v[k] = (v[k] as number) - dot * (u[k] as number);
    }
    let norm = 0;
    for (let k = 0; k < cols; k++) norm += (v[k] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < cols; k++) v[k] = (v[k] as number) / norm;
  }
  const out = new Float32Array(rows * cols);
  for (const [i, v] of q.entries()) out.set(v, i * cols);
  return out;
}

/** The side after a 3x3 valid convolution and a 2x2 pooling, as the seed's image branch does. */
function seedImageSide(side: number, convs: number): number {
  let s = side;
  for (let i = 0; i < convs; i++) {
    s -= 2;
    if (s < 1) return 0;
    if (i < convs - 1) s = Math.floor(s / 2);
    if (s < 1) return 0;
  }
  return s;
}

function buildSeed(
  b: Builder,
  pre: Preprocessing,
  sizes: SeedSizes,
  numClasses: number,
  masks: boolean,
): Tfjs.LayersModel {
  const { tf } = b;
  const { image, video, text: textPre } = pre;
  const convs = sizes.imageFilters.length;
  if (seedImageSide(image.height, convs) < 1 || seedImageSide(image.width, convs) < 1) {
    throw invalidArgument(
      `the ${image.height}x${image.width} cover is too small for ${convs} valid 3x3 convolutions with 2x2 pooling between them`,
    );
  }
  const pools = sizes.videoFilters.length;
  if (video.height >> pools < 1 || video.width >> pools < 1) {
    throw invalidArgument(
      `the ${video.height}x${video.width} frames are too small for ${pools} (1, 2, 2) poolings: ` +
        `each side needs at least ${2 ** pools} pixels`,
    );
  }
  const ins = inputs(b, pre, masks);
  const [textIn, imageIn, videoIn] = ins.data;

  // Text: Embedding -> Bidirectional(LSTM, sequences) -> Flatten -> Dense(relu).
  const embeddingsInitializer = (() => {
    const seed = b.next();
    return seed === undefined
      ? undefined
      : tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed });
  })();
  let t = b.apply(
    tf.layers.embedding({
      name: 'text_embedding',
      inputDim: textPre.vocabSize + 2,
      outputDim: sizes.embeddingDim,
      inputLength: textPre.maxLength,
      ...(embeddingsInitializer ? { embeddingsInitializer } : {}),
    }),
    textIn,
  );
  // The recurrent kernels start orthogonal, as Keras's default; they are written after the build
  // (orthogonalRows), because TensorFlow.js's own orthogonal initializer takes seconds for these matrices.
  const lstm = (): Tfjs.RNN => {
    const kernelInitializer = b.glorot();
    return tf.layers.lstm({
      units: sizes.lstmUnits,
      returnSequences: true,
      recurrentInitializer: 'zeros',
      ...(kernelInitializer ? { kernelInitializer } : {}),
    }) as Tfjs.RNN;
  };
  const bilstm = tf.layers.bidirectional({ name: 'text_bilstm', layer: lstm(), mergeMode: 'concat' });
  t = b.apply(bilstm, t);
  const orthogonalSeeds = [b.next(), b.next()];
  t = b.apply(tf.layers.flatten({ name: 'text_flatten' }), t);
  const text = b.dense('text_dense', sizes.textUnits, 'relu', t);

  // Image: Conv2D 3x3 valid relu, MaxPool 2x2 after all but the last -> Flatten -> Dense (linear).
  let img = imageIn;
  sizes.imageFilters.forEach((filters, i) => {
    const kernelInitializer = b.glorot();
    img = b.apply(
      tf.layers.conv2d({
        name: `image_conv${i + 1}`,
        filters,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
        ...(kernelInitializer ? { kernelInitializer } : {}),
      }),
      img,
    );
    if (i < convs - 1)
      img = b.apply(tf.layers.maxPooling2d({ name: `image_pool${i + 1}`, poolSize: 2 }), img);
  });
  img = b.apply(tf.layers.flatten({ name: 'image_flatten' }), img);
  const imageOut = b.dense('image_dense', sizes.branchUnits, 'linear', img);

  // Video: [Conv3D 3x3x3 same relu -> MaxPool3D (1, 2, 2)] per filter count -> Flatten -> Dense/Dropout -> Dense.
  let v = videoIn;
  sizes.videoFilters.forEach((filters, i) => {
    const kernelInitializer = b.glorot();
    v = b.apply(
      tf.layers.conv3d({
        name: `video_conv${i + 1}`,
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        ...(kernelInitializer ? { kernelInitializer } : {}),
      }),
      v,
    );
    v = b.apply(tf.layers.maxPooling3d({ name: `video_pool${i + 1}`, poolSize: [1, 2, 2] }), v);
  });
  v = b.apply(tf.layers.flatten({ name: 'video_flatten' }), v);
  sizes.videoDense.forEach((u, i) => {
    v = b.dense(`video_dense${i + 1}`, u, 'relu', v);
    const r = sizes.videoDropout[i] as number;
    if (r > 0) v = b.dropout(`video_dropout${i + 1}`, r, v);
  });
  const videoOut = b.dense('video_dense', sizes.branchUnits, 'linear', v);

  const parts = masked(b, [text, imageOut, videoOut], ins.masks, 0);
  let h = b.apply(tf.layers.concatenate({ name: 'fusion' }), parts);
  h = b.dense('fusion_dense', sizes.fusionUnits, 'linear', h);
  const out = b.dense(BASELINE_NAMES.output, numClasses, 'softmax', h);
  const model = tf.model({ name: 'reelset_seed', inputs: [...ins.data, ...ins.masks], outputs: out });
  // Weights of a Bidirectional(LSTM): forward kernel, recurrent kernel, bias, then the same backward.
  const weights = bilstm.getWeights();
  const units = sizes.lstmUnits;
  const fresh = orthogonalSeeds.map((seed) =>
    tf.tensor2d(orthogonalRows(units, 4 * units, seed), [units, 4 * units], 'float32'),
  );
  bilstm.setWeights(weights.map((w, i) => (i === 1 ? fresh[0] : i === 4 ? fresh[1] : w) as Tfjs.Tensor));
  tf.dispose(fresh); // getWeights gives the variables' own tensors: those stay
  return model;
}

/**
 * The baseline classifier as a TensorFlow.js `LayersModel` (not compiled), named `reelset_lite` or
 * `reelset_seed`, with inputs `text_data` (int32 [B, maxLength], ids 0..vocabSize + 1), `image_data`
 * (float32 [B, H, W, 3]), `video_data` (float32 [B, T, H, W, 3]) and, unless `masks: false`,
 * `text_data_mask`, `image_data_mask`, `video_data_mask` (float32 [B, 1]; a [B] tensor, as
 * `toTfDataset(..., { masks: true })` gives, is accepted: `fitDataset` and `evaluateDataset` pass it as it is
 * and the model reshapes it, `fit` and `predict` expand it to [B, 1]). Each mask multiplies its branch's
 * output, so an item without a cover or a clip (zero-filled by collation, mask 0) trains and predicts
 * on what it has. The output `video_label` is softmax [B, numClasses]. `model.inputNames` gives the order
 * of the inputs for `predict` with an array.
 *
 * The input shapes come from the {@link Preprocessing} (given, or `presetPreprocessing(preset)` with
 * `vocabSize`); it is stored in the model's user-defined metadata ({@link baselineMetadata}), which
 * `model.save` writes into `model.json`, so the model directory and `decodeOptionsFor` read one config.
 *
 * - `lite` (default): multi-hot text, a pooled cover and space-time patches of the clip, each through
 *   small Dense layers (see {@link LiteSizes}); 47,327 + 64 x (vocabSize + 2) parameters at the default
 *   sizes (1,327,455 at 20,000 tokens). Every
 *   layer trains on the wasm backend (no Embedding, no convolution), which is where it trains fastest without
 *   tfjs-node.
 * - `seed`: the original model, layer for layer (see {@link SeedSizes}); 9,652,045 + 100 x (vocabSize + 2)
 *   parameters at the original's sizes (about 12.0 M). Its Embedding and Conv2D train on cpu or tfjs-node
 *   only.
 *
 * Every layer is a standard one the ONNX exporter converts, plus `ReelsetMultiHot` in `lite`
 * ({@link MULTI_HOT_CLASS_NAME} documents its maths). Compile it yourself (the original: Adam 1e-3,
 * sparse categorical cross-entropy).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option, a size of the other preset, a
 *   preprocessing of another preset, or input sizes the layers cannot take; `REELSET_E_MISSING_PEER` when
 *   @tensorflow/tfjs is not installed.
 * @example
 * ```ts
 * const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
 * const model = createBaseline({ preprocessing: pre, seed: 1 });
 * model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
 * await selectBackend({ training: true, model }); // wasm here
 * const train = openDataset('data', decodeOptionsFor(pre, vocab)).cache();
 * await model.fitDataset(toTfDataset(train.shuffle({ seed: 1 }), { batchSize: 32, masks: true }), { epochs: 30 });
 *
 * const seed = createBaseline({ preset: 'seed', vocabSize: 23_498 });
 * console.log(seed.countParams()); // 12_002_045
 * ```
 */
export function createBaseline(options: BaselineOptions = {}): Tfjs.LayersModel {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument(`options must be an object, got ${describeValue(options)}`);
  }
  const tf = loadTfjs();
  const given = options.preprocessing === undefined ? undefined : checkPreprocessing(options.preprocessing);
  const preset = options.preset ?? given?.preset ?? 'lite';
  if (!BASELINE_PRESETS.includes(preset)) {
    throw invalidArgument(`preset must be one of 'lite', 'seed', got ${describeValue(preset)}`);
  }
  if (given !== undefined && given.preset !== preset) {
    throw invalidArgument(`preprocessing is for preset '${given.preset}', not '${preset}'`);
  }
  const allowed = [...COMMON_KEYS, ...(preset === 'lite' ? LITE_KEYS : SEED_KEYS)];
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const other = preset === 'lite' ? SEED_KEYS.includes(key) : LITE_KEYS.includes(key);
      throw invalidArgument(
        other
          ? `${key} is a size of the ${preset === 'lite' ? 'seed' : 'lite'} preset, not of '${preset}'`
          : `unknown option ${JSON.stringify(key)}`,
      );
    }
  }
  const vocabSize =
    options.vocabSize === undefined
      ? undefined
      : checkInteger('vocabSize', options.vocabSize, 0, 100_000_000);
  const pre =
    given === undefined
      ? presetPreprocessing(preset, vocabSize === undefined ? {} : { text: { vocabSize } })
      : vocabSize === undefined
        ? given
        : { ...given, text: { ...given.text, vocabSize } };
  const numClasses = checkInteger('numClasses', options.numClasses ?? LABELS.length, 2, 1_000_000);
  const masks = checkBoolean('masks', options.masks, true);
  const seed = options.seed === undefined ? undefined : checkInteger('seed', options.seed, 0, 2 ** 31 - 1);
  const b = new Builder(tf, seed);
  const sizes = preset === 'lite' ? liteSizes(options) : seedSizes(options);
  const model =
    preset === 'lite'
      ? buildLite(b, pre, sizes as LiteSizes, numClasses, masks)
      : buildSeed(b, pre, sizes as SeedSizes, numClasses, masks);
  const metadata: BaselineMetadata = { format: 1, preset, preprocessing: pre, sizes, numClasses, masks };
  model.setUserDefinedMetadata({ [METADATA_KEY]: JSON.parse(JSON.stringify(metadata)) });
  return model;
}

/**
 * The {@link BaselineMetadata} of a model made by {@link createBaseline} (or loaded from its `model.json`),
 * checked: preset, preprocessing, sizes, classes and whether it has mask inputs.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the model carries no reelset metadata or it is
 *   not valid.
 * @example
 * ```ts
 * registerBaselineLayers();
 * const model = await tf.loadLayersModel('file://runs/1/model.json');
 * const { preset, preprocessing } = baselineMetadata(model);
 * ```
 */
export function baselineMetadata(model: Tfjs.LayersModel): BaselineMetadata {
  const all =
    typeof model?.getUserDefinedMetadata === 'function'
      ? (model.getUserDefinedMetadata() as Record<string, unknown> | undefined)
      : undefined;
  const meta = all?.[METADATA_KEY] as Partial<BaselineMetadata> | undefined;
  if (typeof meta !== 'object' || meta === null || meta.format !== 1) {
    throw invalidArgument('the model carries no reelset baseline metadata: was it made by createBaseline?');
  }
  const preprocessing = checkPreprocessing(meta.preprocessing);
  if (meta.preset !== preprocessing.preset) {
    throw invalidArgument(
      `the model's metadata names preset ${describeValue(meta.preset)} but its preprocessing '${preprocessing.preset}'`,
    );
  }
  const sizes = preprocessing.preset === 'lite' ? liteSizes(meta.sizes ?? {}) : seedSizes(meta.sizes ?? {});
  return {
    format: 1,
    preset: preprocessing.preset,
    preprocessing,
    sizes,
    numClasses: checkInteger('numClasses', meta.numClasses, 2, 1_000_000),
    masks: checkBoolean('masks', meta.masks, true),
  };
}

/**
 * The {@link Preprocessing} a baseline model was built for (stored in its metadata by
 * {@link createBaseline}, kept by `model.save` / `tf.loadLayersModel`): give it to `decodeOptionsFor` to
 * decode data for that model.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the model carries no valid reelset metadata.
 * @example
 * ```ts
 * const pre = baselinePreprocessing(model);
 * const test = openDataset('data', decodeOptionsFor(pre, await Vocab.load('runs/1/vocab.txt')));
 * ```
 */
export function baselinePreprocessing(model: Tfjs.LayersModel): Preprocessing {
  return baselineMetadata(model).preprocessing;
}
