import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTfjs } from '../adapters/tfjs.js';
import { createBaseline, MULTI_HOT_CLASS_NAME, registerBaselineLayers } from '../baseline/model.js';
import { type Preprocessing, presetPreprocessing } from '../baseline/preprocessing.js';
import { reelsetVersion } from '../baseline/version.js';
import { ReelsetError } from '../errors.js';
import { LABELS } from '../loaders/layout/labels.js';
import { supportedLayers } from './convert.js';
import { exportOnnx, modelToOnnx, ONNX_METADATA_KEYS } from './export.js';
import {
  CHECKER_ABSENT,
  checkWrittenModels,
  HAS_ONNX_CHECKER,
  type InputValues,
  parity,
  randomize,
  saveFigures,
} from './testing.js';

const L = tf.layers;
const TOLERANCE = 1e-4;
type ST = tf.SymbolicTensor;

const apply = (x: ST | ST[], ...layers: tf.layers.Layer[]): ST =>
  layers.reduce<ST | ST[]>((acc, l) => l.apply(acc) as ST, x) as ST;

/** The multi-hot layer class the baseline registers with tfjs. */
function multiHot(numTokens: number): tf.layers.Layer {
  registerBaselineLayers();
  const map = tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<
    string,
    [new (a: object) => tf.layers.Layer, unknown]
  >;
  const [MultiHot] = map[MULTI_HOT_CLASS_NAME] as [new (a: object) => tf.layers.Layer, unknown];
  return new MultiHot({ numTokens });
}

/** A functional model with several inputs, branches and two outputs, using every supported layer class. */
function everyLayerModel(): tf.LayersModel {
  const ids = tf.input({ shape: [6], dtype: 'int32', name: 'ids' });
  const image = tf.input({ shape: [8, 8, 3], name: 'image' });
  const clip = tf.input({ shape: [3, 6, 6, 2], name: 'clip' });
  const series = tf.input({ shape: [7, 3], name: 'series' });
  const vector = tf.input({ shape: [5], name: 'vector' });

  const embedded = apply(ids, L.embedding({ inputDim: 12, outputDim: 4 }), L.spatialDropout1d({ rate: 0.2 }));
  const lstm = apply(embedded, L.lstm({ units: 3, returnSequences: true }), L.layerNormalization());
  const bi = apply(lstm, L.bidirectional({ layer: L.gru({ units: 3, returnSequences: true }) as tf.RNN }));
  const rnn = apply(bi, L.timeDistributed({ layer: L.dense({ units: 3 }) }), L.simpleRNN({ units: 4 }));
  const bag = apply(ids, multiHot(12), L.dense({ units: 4, activation: 'gelu' }));
  const text = apply([rnn, bag], L.add());

  let img = apply(
    image,
    L.rescaling({ scale: 0.5, offset: -0.25 }),
    L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
  );
  img = apply(
    img,
    L.batchNormalization(),
    L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
    L.activation({ activation: 'swish' }),
  );
  img = apply(
    img,
    L.separableConv2d({ filters: 4, kernelSize: 2, padding: 'same' }),
    L.zeroPadding2d({ padding: 1 }),
    L.cropping2D({
      cropping: [
        [2, 0],
        [1, 1],
      ],
    }),
    L.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }),
    L.maxPooling2d({ poolSize: 2 }),
  );
  const imgMax = apply(img, L.globalMaxPooling2d({}));
  const imgAvg = apply(
    img,
    L.averagePooling2d({ poolSize: 2, padding: 'same' }),
    L.flatten(),
    L.dense({ units: 4 }),
  );
  const imgGap = apply(img, L.globalAveragePooling2d({}));
  const picture = apply([imgMax, imgAvg, imgGap], L.average());

  let vid = apply(
    clip,
    L.conv3d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'elu' }),
    L.maxPooling3d({ poolSize: [1, 2, 2] }),
  );
  vid = apply(
    vid,
    L.averagePooling3d({ poolSize: [1, 3, 3] }),
    L.flatten(),
    L.dense({ units: 4 }),
    L.leakyReLU({}),
  );
  const video = apply(
    vid,
    L.gaussianNoise({ stddev: 0.1 }),
    L.gaussianDropout({ rate: 0.1 }),
    L.alphaDropout({ rate: 0.1 }),
  );

  let seq = apply(
    series,
    L.conv1d({ filters: 4, kernelSize: 2, activation: 'selu' }),
    L.maxPooling1d({ poolSize: 2 }),
  );
  seq = apply(seq, L.averagePooling1d({ poolSize: 1 }), L.prelu({}));
  const seqMax = apply(seq, L.globalMaxPooling1d({}));
  const seqAvg = apply(seq, L.globalAveragePooling1d({}));
  const sequence = apply([seqMax, seqAvg], L.maximum());

  const inner = tf.sequential({
    layers: [L.dense({ inputShape: [5], units: 6, activation: 'relu6' }), L.thresholdedReLU({ theta: 0.1 })],
  });
  const grid = apply(
    vector,
    inner,
    L.repeatVector({ n: 2 }),
    L.permute({ dims: [2, 1] }),
    L.reshape({ targetShape: [4, 3] }),
    L.flatten(),
  );
  const side = tf.input({ shape: [12] });
  const innerModel = tf.model({ inputs: side, outputs: apply(side, L.dense({ units: 4 }), L.elu({})) });
  const vec = apply(
    [apply(grid, innerModel), apply(grid, L.dense({ units: 4 }), L.reLU({ maxValue: 1 }))],
    L.minimum(),
  );

  const fused = apply([text, picture, video, sequence, vec], L.concatenate());
  const gated = apply([fused, apply(fused, L.dense({ units: 20, activation: 'sigmoid' }))], L.multiply());
  const out = apply(gated, L.dropout({ rate: 0.3 }), L.dense({ units: 6 }), L.softmax());
  return randomize(
    tf,
    tf.model({ inputs: [ids, image, clip, series, vector], outputs: [out, sequence] }),
    21,
  );
}

/** Every layer class of a model, nested models' included. */
function classesOf(model: { layers: tf.layers.Layer[] }): string[] {
  return model.layers.flatMap((l) => {
    const wrapped = (l as unknown as { layer?: tf.layers.Layer }).layer;
    const inner =
      'layers' in l ? classesOf(l as unknown as tf.LayersModel) : wrapped ? [wrapped.getClassName()] : [];
    return [l.getClassName(), ...inner];
  });
}

/** Inputs of a baseline model: ids within the vocabulary, masks leaving out one modality per sample. */
function baselineValues(pre: Preprocessing): InputValues {
  return {
    text_data: (_, r) => Math.floor(r * (pre.text.vocabSize + 2)),
    image_data: (_, r) => r,
    video_data: (_, r) => r,
    text_data_mask: (i) => (i % 4 === 1 ? 0 : 1),
    image_data_mask: (i) => (i % 4 === 2 ? 0 : 1),
    video_data_mask: (i) => (i % 4 === 3 ? 0 : 1),
  };
}

const figures: Record<string, number> = {};

async function expectParity(
  name: string,
  model: tf.LayersModel,
  options: Parameters<typeof parity>[3] = {},
): Promise<void> {
  const diffs = await parity(tf, model, name, options);
  figures[name] = Math.max(...Object.values(diffs));
  for (const [output, diff] of Object.entries(diffs))
    expect(diff, `${name} ${output}`).toBeLessThanOrEqual(TOLERANCE);
}

const expectCode = (run: () => unknown, code: string, ...parts: string[]): void => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ReelsetError);
    expect((err as ReelsetError).code).toBe(code);
    for (const part of parts) expect((err as Error).message).toContain(part);
    return;
  }
  throw new Error(`expected ${code}`);
};

beforeAll(async () => {
  loadTfjs(); // quiets the cpu backend's banner
  await tf.setBackend('cpu');
});

afterAll(() => saveFigures(import.meta.filename, figures));

describe('a model with every supported layer', () => {
  it('uses every class of supportedLayers() and matches tfjs, at opset 17 and 13', async () => {
    const model = everyLayerModel();
    expect([...new Set(classesOf(model))].sort()).toEqual(supportedLayers());
    await expectParity('every layer', model);
    await expectParity('every layer, opset 13', model, { export: { opset: 13 } });
  });
});

describe('the baseline presets', () => {
  it('lite matches tfjs, with masked modalities', async () => {
    const pre = presetPreprocessing('lite', { text: { vocabSize: 30 } });
    const model = randomize(tf, createBaseline({ preprocessing: pre, seed: 1 }), 2);
    const vocabulary = Array.from({ length: 30 }, (_, i) => `t${i}`);
    await expectParity('lite', model, {
      values: baselineValues(pre),
      export: { preprocessing: pre, labels: LABELS.map((l) => l.name), vocabulary },
    });
  });

  it('seed (small sizes) matches tfjs, with masked modalities', async () => {
    const pre = presetPreprocessing('seed', {
      text: { vocabSize: 40, maxLength: 8 },
      image: { height: 12, width: 12 },
      video: { frames: 2, height: 8, width: 8 },
    });
    const sizes = {
      embeddingDim: 8,
      lstmUnits: 4,
      textUnits: 6,
      imageFilters: [4, 4],
      videoFilters: [2, 2],
      videoDense: [8],
      videoDropout: [0.2],
      branchUnits: 5,
      fusionUnits: 10,
    };
    const model = randomize(tf, createBaseline({ preprocessing: pre, ...sizes, seed: 1 }), 3);
    await expectParity('seed', model, { values: baselineValues(pre), export: { preprocessing: pre } });
  });
});

describe('exportOnnx', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reelset-export-'));
  const small = (): tf.LayersModel => {
    const x = tf.input({ shape: [4], name: 'features' });
    return tf.model({
      inputs: x,
      outputs: apply(x, L.dense({ units: 3, activation: 'softmax', name: 'probs' })),
    });
  };

  it('writes the file by renaming a temporary one and returns its summary', async () => {
    const file = path.join(dir, 'model.onnx');
    const model = small();
    const summary = await exportOnnx(model, file, { labels: ['a', 'b', 'c'], metadata: { owner: 'me' } });
    expect(summary).toEqual({
      path: file,
      bytes: readFileSync(file).length,
      inputs: [{ name: 'features', dtype: 'float32', shape: ['batch', 4] }],
      outputs: [{ name: 'probs', dtype: 'float32', shape: ['batch', 3] }],
      nodes: 3,
      opset: 17,
    });
    expect(readdirSync(dir)).toEqual(['model.onnx']);
    expect(Buffer.from(modelToOnnx(model, { labels: ['a', 'b', 'c'], metadata: { owner: 'me' } }))).toEqual(
      readFileSync(file),
    );
  });

  it.skipIf(!HAS_ONNX_CHECKER)(
    `stores labels, preprocessing, vocabulary and version in metadata_props (read by python onnx)${CHECKER_ABSENT}`,
    async () => {
      const file = path.join(dir, 'meta.onnx');
      const pre = presetPreprocessing('lite', { text: { vocabSize: 2 } });
      await exportOnnx(small(), file, {
        labels: ['a', 'b', 'c'],
        preprocessing: pre,
        vocabulary: { tokens: ['x', 'y'] },
      });
      const script =
        'import onnx,sys,json; m=onnx.load(sys.argv[1]); print(json.dumps([{p.key: p.value for p in m.metadata_props}, m.ir_version, m.opset_import[0].version, m.producer_name]))';
      const [metadata, ...header] = JSON.parse(
        spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }).stdout,
      );
      expect(header).toEqual([8, 17, 'reelset']);
      expect(metadata).toEqual({
        [ONNX_METADATA_KEYS.labels]: '["a","b","c"]',
        [ONNX_METADATA_KEYS.preprocessing]: JSON.stringify(pre),
        [ONNX_METADATA_KEYS.vocabulary]: '["x","y"]',
        [ONNX_METADATA_KEYS.version]: reelsetVersion(),
      });
    },
  );

  it('refuses bad options and paths with REELSET_E_INVALID_ARGUMENT, writing nothing', async () => {
    const model = small();
    expectCode(
      () => modelToOnnx(model, { opset: 18 }),
      'REELSET_E_INVALID_ARGUMENT',
      'opset must be a whole number from 13 to 17, got 18',
    );
    expectCode(() => modelToOnnx(model, { opset: 12 }), 'REELSET_E_INVALID_ARGUMENT', 'opset');
    expectCode(
      () => modelToOnnx(model, { labels: ['a', 'b'] }),
      'REELSET_E_INVALID_ARGUMENT',
      'labels has 2 names but',
    );
    expectCode(
      () => modelToOnnx(model, { metadata: { labels: 'x' } }),
      'REELSET_E_INVALID_ARGUMENT',
      '"labels"',
    );
    expectCode(() => modelToOnnx(model, { vocabulary: [] }), 'REELSET_E_INVALID_ARGUMENT', 'vocabulary');
    expectCode(
      () => modelToOnnx(model, { labels: ['a', 3, 'c'] as string[] }),
      'REELSET_E_INVALID_ARGUMENT',
      'labels[1] must be a non-empty string, got 3',
    );
    expectCode(() => modelToOnnx(model, { optset: 17 } as object), 'REELSET_E_INVALID_ARGUMENT', '"optset"');
    expectCode(() => modelToOnnx({} as tf.LayersModel), 'REELSET_E_INVALID_ARGUMENT', 'LayersModel');
    await expect(exportOnnx(model, path.join(dir, 'model.pb'))).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
    await expect(exportOnnx(model, path.join(dir, 'none', 'm.onnx'))).rejects.toMatchObject({
      code: 'REELSET_E_NOT_FOUND',
    });
    expect(existsSync(path.join(dir, 'none'))).toBe(false);
  });
});

describe('unsupported layers and options', () => {
  const x4 = (): ST => tf.input({ shape: [6, 6, 2], name: 'x' });
  const seqIn = (): ST => tf.input({ shape: [5, 3], name: 's' });
  const refuse = (outputs: ST | ST[], inputs: ST, ...parts: string[]): void =>
    expectCode(() => modelToOnnx(tf.model({ inputs, outputs })), 'REELSET_E_UNSUPPORTED_LAYER', ...parts);

  it('names the layer, its class and the option', () => {
    let x = x4();
    refuse(
      apply(x, L.conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up' })),
      x,
      'Layer "up" (Conv2DTranspose)',
      'the layer class Conv2DTranspose',
    );
    x = x4();
    refuse(
      apply(x, L.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' })),
      x,
      '"cf" (Conv2D)',
      'option dataFormat = "channelsFirst"',
    );
    x = x4();
    refuse(
      apply(x, L.batchNormalization({ axis: 1, name: 'bn' })),
      x,
      '"bn" (BatchNormalization)',
      'option axis = 1',
    );
    let s = seqIn();
    refuse(
      apply(s, L.conv1d({ filters: 2, kernelSize: 2, padding: 'causal', name: 'causal' })),
      s,
      '"causal" (Conv1D)',
      'option padding = "causal"',
    );
    s = seqIn();
    refuse(
      apply(s, L.lstm({ units: 2, goBackwards: true, name: 'back' })),
      s,
      '"back" (LSTM)',
      'option goBackwards = true',
    );
    s = seqIn();
    refuse(
      apply(s, L.lstm({ units: 2, activation: 'selu', name: 'act' })),
      s,
      '"act" (LSTM)',
      'option activation = "selu"',
    );
    s = seqIn();
    refuse(
      L.lstm({ units: 2, returnState: true, name: 'state' }).apply(s) as ST[],
      s,
      '"state" (LSTM)',
      'option returnState = true',
    );
    const ids = tf.input({ shape: [4], dtype: 'int32' });
    refuse(
      apply(ids, L.embedding({ inputDim: 5, outputDim: 2, maskZero: true, name: 'emb' })),
      ids,
      '"emb" (Embedding)',
      'option maskZero = true',
    );
  });
});

describe('the ONNX checker', () => {
  it.skipIf(!HAS_ONNX_CHECKER)(
    `passes every graph exported here with full shape inference${CHECKER_ABSENT}`,
    () => {
      expect(checkWrittenModels()).toEqual([]);
    },
  );

  it('importing the exporter loads neither tfjs nor onnxruntime (type imports only)', () => {
    const files = readdirSync(import.meta.dirname, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'testing.ts')
      .map((f) => readFileSync(path.join(import.meta.dirname, f), 'utf8'));
    for (const source of files)
      expect(source).not.toMatch(/^import (?!type)[^;]*'(@tensorflow|onnxruntime)/m);
    expect(files.length).toBeGreaterThan(10);
  });
});
