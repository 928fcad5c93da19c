import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_LABELS, smallSet } from '../../test/adapters-helpers.js';
import { selectBackend } from '../adapters/backend.js';
import { type TfBatch, toTfDataset } from '../adapters/tf-data.js';
import { buildVocab } from '../loaders/decode/text.js';
import { openDataset } from '../loaders/open.js';
import {
  BASELINE_NAMES,
  baselineMetadata,
  baselinePreprocessing,
  createBaseline,
  LITE_SIZES,
  MULTI_HOT_CLASS_NAME,
  registerBaselineLayers,
  SEED_SIZES,
  type SeedSizes,
} from './model.js';
import { decodeOptionsFor, type Preprocessing, presetPreprocessing } from './preprocessing.js';

/** The layer classes the ONNX exporter converts (issue 12), plus the lite preset's multi-hot layer. */
const EXPORTABLE = new Set([
  'InputLayer',
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'MaxPooling1D',
  'MaxPooling2D',
  'MaxPooling3D',
  'AveragePooling1D',
  'AveragePooling2D',
  'AveragePooling3D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalAveragePooling3D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlobalMaxPooling3D',
  'BatchNormalization',
  'LayerNormalization',
  'Embedding',
  'LSTM',
  'GRU',
  'SimpleRNN',
  'Bidirectional',
  'TimeDistributed',
  'Flatten',
  'Reshape',
  'Permute',
  'RepeatVector',
  'Concatenate',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Dropout',
  'Activation',
  MULTI_HOT_CLASS_NAME,
]);

/** The seed preset at a size a unit test can train: the same layers, small inputs and few filters. */
const SMALL_SEED_PRE = presetPreprocessing('seed', {
  text: { vocabSize: 40, maxLength: 8 },
  image: { height: 38, width: 38 },
  video: { frames: 1, height: 256, width: 256 },
});
const SMALL_SEED_SIZES: Partial<SeedSizes> = {
  embeddingDim: 8,
  lstmUnits: 4,
  textUnits: 6,
  imageFilters: [4, 4, 8, 8],
  videoFilters: [2, 2, 2, 2, 2, 2, 2, 2],
  videoDense: [8, 8],
  branchUnits: 5,
  fusionUnits: 10,
};
const SMALL_LITE_PRE = presetPreprocessing('lite', { text: { vocabSize: 30 } });

const classesOf = (model: tf.LayersModel): string[] => model.layers.map((l) => l.getClassName());

/** A batch of random inputs for `model` (ids within the vocabulary), masks [B] as toTfDataset makes them. */
function randomBatch(pre: Preprocessing, b: number, masks: [number, number, number] = [1, 1, 1]): TfBatch {
  const { text, image, video } = pre;
  return tf.tidy(() => ({
    xs: {
      text_data: tf.randomUniform([b, text.maxLength], 0, text.vocabSize + 2, 'int32'),
      image_data: tf.randomUniform([b, image.height, image.width, 3]),
      video_data: tf.randomUniform([b, video.frames, video.height, video.width, 3]),
      text_data_mask: tf.fill([b], masks[0]),
      image_data_mask: tf.fill([b], masks[1]),
      video_data_mask: tf.fill([b], masks[2]),
    },
    ys: tf.randomUniform([b], 0, 31, 'int32').cast('float32'),
  }));
}

/** `model.predict` of a batch's xs, in the model's input order. */
function predict(model: tf.LayersModel, xs: TfBatch['xs']): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(model.inputNames.map((n) => xs[n] as tf.Tensor)) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/**
 * Trains `epochs` epochs of `batches` random batches through fitDataset; numTensors after each batch, then
 * at the epoch's end (negated), and after fitDataset returned. An `onEpochEnd` callback is given, as any
 * training loop has: without one, tfjs's History keeps each epoch's loss and metric scalars as tensors
 * until training ends (2 more tensors an epoch here, all freed when fitDataset returns).
 */
async function numTensorsOverEpochs(
  model: tf.LayersModel,
  pre: Preprocessing,
  batches: number,
  b: number,
  epochs: number,
): Promise<{ counts: number[][]; after: number }> {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
  const data = tf.data.generator(function* () {
    for (let i = 0; i < batches; i++) yield randomBatch(pre, b, [1, i % 2, 1]);
  } as unknown as () => Iterator<TfBatch>);
  const counts: number[][] = [];
  await model.fitDataset(data, {
    epochs,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        counts.push([]);
      },
      onBatchEnd: async () => {
        counts.at(-1)?.push(tf.memory().numTensors);
      },
      onEpochEnd: async () => {
        counts.at(-1)?.push(-tf.memory().numTensors);
      },
    },
  });
  return { counts, after: tf.memory().numTensors };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createBaseline: lite', () => {
  it('has the inputs toTfDataset({ masks: true }) feeds, the output video_label, and 47,327 + 64 x E parameters', () => {
    const model = createBaseline({ preprocessing: SMALL_LITE_PRE });
    expect(model.name).toBe('reelset_lite');
    expect(model.inputNames).toEqual([
      'text_data',
      'image_data',
      'video_data',
      'text_data_mask',
      'image_data_mask',
      'video_data_mask',
    ]);
    expect(model.inputs.map((i) => [i.shape, i.dtype])).toEqual([
      [[null, 25], 'int32'],
      [[null, 64, 64, 3], 'float32'],
      [[null, 4, 32, 32, 3], 'float32'],
      [[null, 1], 'float32'],
      [[null, 1], 'float32'],
      [[null, 1], 'float32'],
    ]);
    expect(model.outputNames).toEqual([BASELINE_NAMES.output]);
    expect(model.outputs[0]?.shape).toEqual([null, 31]);
    // E = vocabSize + 2 = 32. Text: Dense(E -> 64) 64E + 64. Image: 16x16x3 = 768 -> Dense(32) 24,608.
    // Video: 4 frames x 4x4 patches x 3 = 192 -> Dense(32) 6,176; max + mean 64 -> Dense(64) 4,160.
    // Fusion: 64 + 32 + 64 = 160 -> Dense(64) 10,304 -> Dense(31) 2,015. Sum: 47,263 + 64 + 64E.
    expect(model.countParams()).toBe(47_327 + 64 * 32);
    expect(createBaseline({ vocabSize: 998 }).countParams()).toBe(47_327 + 64 * 1_000);
    expect(classesOf(model).every((c) => EXPORTABLE.has(c))).toBe(true);
    expect(baselineMetadata(model)).toEqual({
      format: 1,
      preset: 'lite',
      preprocessing: SMALL_LITE_PRE,
      sizes: LITE_SIZES,
      numClasses: 31,
      masks: true,
    });
    model.dispose();
  });

  it('encodes the text as the set of its ids (ReelsetMultiHot), registered for loadLayersModel', () => {
    const model = createBaseline({ preprocessing: presetPreprocessing('lite', { text: { vocabSize: 3 } }) });
    const layer = model.getLayer('text_multi_hot');
    expect(layer.getClassName()).toBe(MULTI_HOT_CLASS_NAME);
    expect(layer.getConfig().numTokens).toBe(5);
    const ids = tf.tensor2d(
      [
        [1, 1, 3, 0],
        [2, 4, 4, 4],
      ],
      [2, 4],
      'int32',
    );
    const out = layer.apply(ids) as tf.Tensor;
    expect(out.dtype).toBe('float32');
    expect(out.arraySync()).toEqual([
      [1, 1, 0, 1, 0],
      [0, 0, 1, 0, 1],
    ]);
    tf.dispose([ids, out]);
    expect(tf.serialization.SerializationMap.getMap().classNameMap[MULTI_HOT_CLASS_NAME]).toBeDefined();
    model.dispose();
  });

  it('round-trips through save and loadLayersModel with its preprocessing and the same predictions', async () => {
    const model = createBaseline({ preprocessing: SMALL_LITE_PRE, seed: 3 });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    registerBaselineLayers();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    expect(baselinePreprocessing(loaded)).toEqual(SMALL_LITE_PRE);
    const batch = randomBatch(SMALL_LITE_PRE, 3, [1, 0, 1]);
    const a = predict(model, batch.xs);
    const b = predict(loaded, batch.xs);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i] as number, 6);
    tf.dispose(batch);
    model.dispose();
    loaded.dispose();
  });

  it('is reproducible with a seed', () => {
    const a = createBaseline({ preprocessing: SMALL_LITE_PRE, seed: 5 });
    const b = createBaseline({ preprocessing: SMALL_LITE_PRE, seed: 5 });
    const [wa, wb] = [a.getWeights(), b.getWeights()];
    for (const [i, w] of wa.entries()) {
      expect(Array.from(w.dataSync())).toEqual(Array.from((wb[i] as tf.Tensor).dataSync()));
    }
    a.dispose();
    b.dispose();
  });
});

describe('createBaseline: seed', () => {
  it('is the original model layer for layer: 9,652,045 + 100 x E = 12,002,045 parameters at E = 23,500', () => {
    // The count: text without its Embedding 244,530 (BiLSTM 2 x 4 x (64 x (100 + 64) + 64) = 84,480; Flatten
    // 25 x 128 = 3,200 -> Dense(50) 160,050); image 5,441,618 (Conv2D 896 + 9,248 + 18,496 + 36,928 =
    // 65,568; 30 x 56 x 64 = 107,520 -> Dense(50) 5,376,050); video 3,947,666 (Conv3D 3,514,848; 3 x 1 x 2 x
    // 256 = 1,536 -> Dense 393,472 + 32,896 + 6,450); fusion 150 -> 100 -> 31: 18,231. Sum 9,652,045, plus the
    // Embedding's 100 x E, E = vocabulary + 2 = 23,498 + 2 (the default vocabSize, about the original's).
    const model = createBaseline({ preset: 'seed' });
    expect(model.name).toBe('reelset_seed');
    expect(baselineMetadata(model)).toMatchObject({ preset: 'seed', sizes: SEED_SIZES, masks: true });
    expect(baselinePreprocessing(model)).toEqual(presetPreprocessing('seed'));
    expect(model.countParams()).toBe(9_652_045 + 100 * 23_500);
    expect(model.countParams()).toBe(12_002_045);
    const params = (name: string): number => model.getLayer(name).countParams();
    expect(params('text_embedding')).toBe(2_350_000);
    expect(params('text_bilstm')).toBe(84_480);
    expect(params('text_dense')).toBe(160_050);
    expect([1, 2, 3, 4].map((i) => params(`image_conv${i}`))).toEqual([896, 9_248, 18_496, 36_928]);
    expect(model.getLayer('image_flatten').outputShape).toEqual([null, 107_520]);
    expect(params('image_dense')).toBe(5_376_050);
    expect([1, 2, 3, 4, 5, 6, 7, 8].reduce((sum, i) => sum + params(`video_conv${i}`), 0)).toBe(3_514_848);
    expect(model.getLayer('video_pool8').outputShape).toEqual([null, 3, 1, 2, 256]);
    expect([params('video_dense1'), params('video_dense2'), params('video_dense')]).toEqual([
      393_472, 32_896, 6_450,
    ]);
    expect(params('fusion_dense') + params('video_label')).toBe(18_231);
    expect(model.inputs.map((i) => i.shape)).toEqual([
      [null, 25],
      [null, 270, 480, 3],
      [null, 3, 360, 640, 3],
      [null, 1],
      [null, 1],
      [null, 1],
    ]);
    expect(classesOf(model).every((c) => EXPORTABLE.has(c))).toBe(true);
    // The recurrent kernels start orthogonal (Keras's default): R R^T = I for each direction.
    const weights = model.getLayer('text_bilstm').getWeights();
    for (const r of [weights[1], weights[4]] as tf.Tensor2D[]) {
      const gram = tf.matMul(r, r, false, true);
      expect(tf.max(tf.abs(tf.sub(gram, tf.eye(64)))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose(gram);
    }
    // Without masks: the original's three inputs only.
    const plain = createBaseline({ preset: 'seed', masks: false, vocabSize: 98 });
    expect(plain.inputNames).toEqual(['text_data', 'image_data', 'video_data']);
    expect(plain.countParams()).toBe(9_652_045 + 100 * 100);
    const count = (m: tf.LayersModel, c: string) => classesOf(m).filter((k) => k === c).length;
    for (const c of ['InputLayer', 'Reshape', 'Multiply'])
      expect(count(model, c) - count(plain, c), c).toBe(3);
    expect(classesOf(model).length - classesOf(plain).length).toBe(9);
    model.dispose();
    plain.dispose();
  });

  it('trains one step on a tiny batch at reduced input size, with the same layers', async () => {
    const full = createBaseline({ preset: 'seed', vocabSize: 10 });
    const model = createBaseline({ preprocessing: SMALL_SEED_PRE, ...SMALL_SEED_SIZES, seed: 2 });
    expect(classesOf(model).sort()).toEqual(classesOf(full).sort());
    full.dispose();
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
    const batch = randomBatch(SMALL_SEED_PRE, 2);
    const before = model.getLayer('video_conv1').getWeights()[0]?.dataSync().slice() as Float32Array;
    const loss = (await model.trainOnBatch(
      model.inputNames.map((n) => batch.xs[n] as tf.Tensor),
      batch.ys,
    )) as number;
    expect(Number.isFinite(loss)).toBe(true);
    const after = model.getLayer('video_conv1').getWeights()[0]?.dataSync() as Float32Array;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    tf.dispose(batch);
    model.dispose();
  });

  it('refuses inputs its convolutions and poolings cannot take', () => {
    const small = presetPreprocessing('seed', { video: { height: 128, width: 640 } });
    expect(() => createBaseline({ preprocessing: small })).toThrow(/each side needs at least 256 pixels/);
    const tiny = presetPreprocessing('seed', { image: { height: 30, width: 480 } });
    expect(() => createBaseline({ preprocessing: tiny })).toThrow(/too small for 4 valid 3x3 convolutions/);
  });
});

describe('createBaseline: both presets', () => {
  it('numTensors stays flat over an epoch and between epochs (fitDataset, [B] masks)', async () => {
    const lite = createBaseline({ preprocessing: SMALL_LITE_PRE, seed: 1 });
    const liteRun = await numTensorsOverEpochs(lite, SMALL_LITE_PRE, 6, 8, 3);
    const seed = createBaseline({ preprocessing: SMALL_SEED_PRE, ...SMALL_SEED_SIZES, seed: 1 });
    const seedRun = await numTensorsOverEpochs(seed, SMALL_SEED_PRE, 3, 2, 2);
    for (const { counts, after } of [liteRun, seedRun]) {
      const first = counts[0] as number[];
      // Every batch of every epoch ends with the same count (the batch's tensors are freed), and so does every epoch.
      for (const epoch of counts) expect(epoch, JSON.stringify(counts)).toEqual(first);
      expect(-(first.at(-1) as number)).toBe(after);
    }
    lite.dispose();
    seed.dispose();
  });

  it('a modality whose mask is 0 contributes nothing, whatever its data', () => {
    for (const [pre, model] of [
      [SMALL_LITE_PRE, createBaseline({ preprocessing: SMALL_LITE_PRE, seed: 4 })],
      [SMALL_SEED_PRE, createBaseline({ preprocessing: SMALL_SEED_PRE, ...SMALL_SEED_SIZES, seed: 4 })],
    ] as const) {
      const noisy = randomBatch(pre, 2, [1, 0, 0]);
      const zeros = {
        ...noisy.xs,
        image_data: tf.zerosLike(noisy.xs.image_data as tf.Tensor),
        video_data: tf.zerosLike(noisy.xs.video_data as tf.Tensor),
      };
      const a = predict(model, noisy.xs);
      const b = predict(model, zeros);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i] as number, 6);
      const present = predict(model, { ...noisy.xs, video_data_mask: tf.ones([2]) });
      expect(Array.from(present)).not.toEqual(Array.from(a));
      tf.dispose([noisy, zeros.image_data, zeros.video_data]);
      model.dispose();
    }
  });

  it('selectBackend({ training: true, model }) picks wasm for lite and cpu for seed (Embedding, Conv2D)', async () => {
    const lite = createBaseline({ preprocessing: SMALL_LITE_PRE });
    const seed = createBaseline({ preprocessing: SMALL_SEED_PRE, ...SMALL_SEED_SIZES });
    try {
      expect((await selectBackend({ training: true, model: lite })).kind).toBe('wasm');
      const choice = await selectBackend({ training: true, model: seed });
      expect(choice.kind).toBe('cpu');
      const wasm = choice.tried.find((t) => t.kind === 'wasm');
      expect(wasm?.missingKernels).toEqual(
        expect.arrayContaining(['Conv2DBackpropFilter', 'UnsortedSegmentSum']),
      );
    } finally {
      await tf.setBackend('cpu');
      lite.dispose();
      seed.dispose();
    }
  });

  it('refuses bad options: a size of the other preset, a mismatched preprocessing, patches that do not fit', () => {
    const bad = (options: object, message: RegExp) =>
      expect(() => createBaseline(options)).toThrow(
        expect.objectContaining({
          code: 'REELSET_E_INVALID_ARGUMENT',
          message: expect.stringMatching(message),
        }),
      );
    bad({ preset: 'lite', lstmUnits: 8 }, /lstmUnits is a size of the seed preset/);
    bad({ preset: 'seed', videoPatch: 8 }, /videoPatch is a size of the lite preset/);
    bad({ depth: 3 }, /unknown option "depth"/);
    bad({ preset: 'seed', preprocessing: SMALL_LITE_PRE }, /preprocessing is for preset 'lite', not 'seed'/);
    bad({ preset: 'huge' }, /preset must be one of/);
    bad({ videoPatch: 5 }, /videoPatch 5 must divide/);
    bad({ modalityDropout: 1 }, /modalityDropout must be/);
    bad({ preset: 'seed', videoDense: [8, 8, 8] }, /videoDropout needs one rate per videoDense entry/);
    bad({ vocabSize: '20' }, /vocabSize must be a whole number/);
    expect(() =>
      baselineMetadata(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] })),
    ).toThrow(/no reelset baseline metadata/);
  });
});

describe('createBaseline on decoded data', () => {
  let root = '';
  let cleanup = async (): Promise<void> => {};
  beforeAll(async () => {
    ({ root, cleanup } = await smallSet(2));
  });
  afterAll(() => cleanup());

  it('trains lite on data decoded with decodeOptionsFor, items without a clip or a cover kept and masked', async () => {
    // Remove one clip and one cover: those items must be kept (require: ['txt']) and masked, not dropped.
    const items = await openDataset(root).toArray();
    const [noClip, noCover] = items as [(typeof items)[number], (typeof items)[number]];
    await rm(noClip.source.mp4 as string);
    await rm(noCover.source.jpeg as string);
    const base = presetPreprocessing('lite');
    const vocab = await buildVocab(openDataset(root), { lowercase: base.text.lowercase });
    const pre = presetPreprocessing('lite', {
      text: { vocabSize: vocab.size },
      image: { height: 16, width: 16 },
      video: { frames: 2, height: 8, width: 8 },
    });
    const model = createBaseline({ preprocessing: pre, seed: 1 });
    const decoded = openDataset(root, decodeOptionsFor(pre, vocab)).cache();
    const samples = await decoded.toArray();
    expect(samples.length).toBe(SMALL_LABELS.length * 2);
    expect(samples.find((s) => s.id === noClip.id)?.video).toBeUndefined();
    expect(samples.find((s) => s.id === noCover.id)?.image).toBeUndefined();
    const withAll = samples.find((s) => s.image && s.video);
    expect(withAll?.image?.shape).toEqual(model.inputs[1]?.shape.slice(1));
    expect(withAll?.video?.shape).toEqual(model.inputs[2]?.shape.slice(1));
    expect(withAll?.tokens.length).toBe(model.inputs[0]?.shape[1]);
    model.compile({
      optimizer: tf.train.adam(1e-3),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['acc'],
    });
    const ds = toTfDataset(decoded, { batchSize: 8, masks: true });
    const history = await model.fitDataset(ds, { epochs: 2, verbose: 0 });
    expect(history.history.loss?.every((l) => Number.isFinite(l as number))).toBe(true);
    const [loss] = (await model.evaluateDataset(ds as never, {})) as tf.Scalar[];
    expect(Number.isFinite(loss?.dataSync()[0])).toBe(true);
    model.dispose();
  });
});
