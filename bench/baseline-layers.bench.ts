/**
 * @module baseline-layers.bench — why the `lite` baseline has the layers it has: training samples/s of the lite
 * model against the candidates it replaced (an Embedding for the text, Conv3D for the clip), on the cpu and
 * wasm backends, and the bytes a sample costs in each preset.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/adapters/backend.js';
import { createBaseline, LITE_SIZES } from '../src/baseline/model.js';
import { type Preprocessing, presetPreprocessing } from '../src/baseline/preprocessing.js';
import { type BenchResult, median, now, result, secondsSince } from './harness.js';

const RUNS = 3;
const BATCH = 32;
/** The vocabulary of the synthetic set (31 labels x 40 clips, lower-cased): about 250 tokens. */
const SYNTH_VOCAB = 250;

type Backend = 'cpu' | 'wasm';
type Variant = 'lite' | 'embedding-text' | 'conv3d-video';

/**
 * The lite model (`lite`, from createBaseline) or lite without its masks and with one branch swapped for
 * the candidate it beat: `embedding-text` (Embedding(E, 32) -> GlobalAveragePooling1D -> Dense(64, relu)
 * instead of multi-hot -> Dense) or `conv3d-video` (Conv3D(8) -> MaxPool3D(1, 2, 2) -> Conv3D(16) ->
 * MaxPool3D(1, 2, 2) -> global max over the positions -> Dense(64, relu) instead of the patches). The other
 * branches are lite's layers, with lite's sizes.
 */
function build(variant: Variant, pre: Preprocessing): tf.LayersModel {
  if (variant === 'lite') return createBaseline({ preprocessing: pre, seed: 1 });
  const S = (x: unknown) => x as tf.SymbolicTensor;
  const { text, image, video } = pre;
  const sizes = LITE_SIZES;
  const ids = tf.input({ name: 'text_data', shape: [text.maxLength], dtype: 'int32' });
  const img = tf.input({ name: 'image_data', shape: [image.height, image.width, 3] });
  const vid = tf.input({ name: 'video_data', shape: [video.frames, video.height, video.width, 3] });
  const dense = (units: number, x: tf.SymbolicTensor) =>
    S(tf.layers.dense({ units, activation: 'relu' }).apply(x));
  let t: tf.SymbolicTensor;
  if (variant === 'embedding-text') {
    t = S(tf.layers.embedding({ inputDim: text.vocabSize + 2, outputDim: 32 }).apply(ids));
    t = dense(sizes.textUnits, S(tf.layers.globalAveragePooling1d().apply(t)));
  } else {
    // lite's text branch: the multi-hot layer of a lite model (registered class), then Dense.
    const helper = createBaseline({ preprocessing: pre, masks: false });
    const MultiHot = helper.getLayer('text_multi_hot').constructor as new (args: object) => tf.layers.Layer;
    helper.dispose();
    t = dense(sizes.textUnits, S(new MultiHot({ numTokens: text.vocabSize + 2 }).apply(ids)));
  }
  let i = S(tf.layers.averagePooling2d({ poolSize: sizes.imagePool }).apply(img));
  i = dense(sizes.imageUnits, S(tf.layers.flatten().apply(i)));
  let v: tf.SymbolicTensor = vid;
  if (variant === 'conv3d-video') {
    for (const filters of [8, 16]) {
      v = S(tf.layers.conv3d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(v));
      v = S(tf.layers.maxPooling3d({ poolSize: [1, 2, 2] }).apply(v));
    }
    const positions = video.frames * (video.height / 4) * (video.width / 4);
    v = S(tf.layers.reshape({ targetShape: [positions, 16] }).apply(v));
    v = dense(sizes.videoUnits, S(tf.layers.globalMaxPooling1d().apply(v)));
  } else {
    const p = sizes.videoPatch;
    const [gh, gw, f] = [video.height / p, video.width / p, video.frames];
    v = S(tf.layers.reshape({ targetShape: [f, gh, p, gw, p, 3] }).apply(v));
    v = S(tf.layers.permute({ dims: [2, 4, 1, 3, 5, 6] }).apply(v));
    v = dense(sizes.patchUnits, S(tf.layers.reshape({ targetShape: [gh * gw, f * p * p * 3] }).apply(v)));
    const pools = [
      S(tf.layers.globalMaxPooling1d().apply(v)),
      S(tf.layers.globalAveragePooling1d().apply(v)),
    ];
    v = dense(sizes.videoUnits, S(tf.layers.concatenate().apply(pools)));
  }
  const h = dense(sizes.fusionUnits, S(tf.layers.concatenate().apply([t, i, v])));
  const out = S(tf.layers.dense({ name: 'video_label', units: 31, activation: 'softmax' }).apply(h));
  return tf.model({ inputs: [ids, img, vid], outputs: out });
}

/** Random inputs of `model` for `n` samples (ids within the vocabulary, masks 1). */
function inputsFor(model: tf.LayersModel, pre: Preprocessing, n: number): tf.Tensor[] {
  return model.inputs.map((input) => {
    const shape = [n, ...input.shape.slice(1).map((d) => d as number)];
    if (input.dtype === 'int32') return tf.randomUniform(shape, 0, pre.text.vocabSize + 2, 'int32');
    if (input.name.endsWith('_mask')) return tf.ones(shape);
    return tf.randomUniform(shape);
  });
}

/**
 * Training samples/s of `variant` on `backend`: the model is built there, warmed up by one batch, then one
 * epoch of `n` random samples (batch 32, Adam, sparse cross-entropy) is timed. Nothing moves between
 * backends: the model and data are made on the backend they run on and disposed after.
 */
async function trainRate(variant: Variant, backend: Backend, pre: Preprocessing, n: number): Promise<number> {
  await selectBackend({ only: backend });
  const model = build(variant, pre);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const xs = inputsFor(model, pre, n);
  const ys = tf.tidy(() => tf.randomUniform([n], 0, 31, 'int32').cast('float32'));
  try {
    const first = xs.map((x) => x.slice(0, BATCH));
    await model.trainOnBatch(first, ys.slice(0, BATCH));
    tf.dispose(first);
    const start = now();
    await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, verbose: 0, shuffle: false });
    return n / secondsSince(start);
  } finally {
    tf.dispose([...xs, ys]);
    model.dispose();
  }
}

/** Bytes a sample costs: its inputs (what a cached decoded sample holds) and every layer's float32 output. */
function bytesPerSample(model: tf.LayersModel): { inputs: number; activations: number } {
  const size = (shape: readonly (number | null)[]) =>
    shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1);
  const inputs = model.inputs.reduce((sum, i) => sum + size(i.shape) * 4, 0);
  let activations = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const shapes = layer.outputShape;
    const list = (Array.isArray(shapes[0]) ? shapes : [shapes]) as (number | null)[][];
    for (const s of list) activations += size(s) * 4;
  }
  return { inputs, activations };
}

const MIB = 1024 * 1024;

export default async function bench(): Promise<BenchResult[]> {
  const loadStart = os.loadavg()[0] as number;
  const pre = presetPreprocessing('lite', { text: { vocabSize: SYNTH_VOCAB } });
  const runs: Record<string, number[]> = {};
  const measure = async (key: string, variant: Variant, backend: Backend, n: number, p = pre) => {
    const r = await trainRate(variant, backend, p, n);
    const list = runs[key] ?? [];
    list.push(r);
    runs[key] = list;
  };
  const bigVocab = presetPreprocessing('lite'); // 20,000 tokens: real-data size
  // Rounds of adjacent measurements, so the machine's drift touches every candidate alike.
  for (let round = 0; round < RUNS; round++) {
    await measure('lite wasm', 'lite', 'wasm', 512);
    await measure('lite cpu', 'lite', 'cpu', 256);
    await measure('embedding cpu', 'embedding-text', 'cpu', 64);
    await measure('conv3d wasm', 'conv3d-video', 'wasm', 64);
    await measure('conv3d cpu', 'conv3d-video', 'cpu', 64);
    await measure('lite wasm 20k', 'lite', 'wasm', 512, bigVocab);
  }
  // At a real vocabulary the Embedding's gradient on cpu takes over a minute a batch: one batch, once.
  await measure('lite cpu 20k', 'lite', 'cpu', 128, bigVocab);
  await measure('embedding cpu 20k', 'embedding-text', 'cpu', BATCH, bigVocab);
  const loadEnd = os.loadavg()[0] as number;
  const m = (key: string) => median(runs[key] ?? []);
  const list = (key: string) => (runs[key] ?? []).map((r) => r.toFixed(1)).join(', ');
  const machine = `${os.availableParallelism()} cores, 1-min load average ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end`;
  const common = `random inputs of the lite preprocessing (25 ids of ${SYNTH_VOCAB + 2} values, 64x64 cover, 4x32x32 frames), batch ${BATCH}, one timed epoch after a warm-up batch, median of ${RUNS} rounds; ${machine}`;

  const liteModel = createBaseline({ preprocessing: pre });
  const seedModel = createBaseline({ preset: 'seed', vocabSize: SYNTH_VOCAB });
  const lite = bytesPerSample(liteModel);
  const seed = bytesPerSample(seedModel);
  const liteParams = liteModel.countParams();
  const seedParams = seedModel.countParams();
  liteModel.dispose();
  seedModel.dispose();

  const wasmLite = m('lite wasm');
  const cpuLite = m('lite cpu');
  const embeddingModel = build('embedding-text', pre);
  const embeddingCandidate = (await selectBackend({ training: true, model: embeddingModel })).kind;
  embeddingModel.dispose();
  await selectBackend({ only: 'cpu' });
  return [
    result({
      name: 'baseline lite: training on wasm vs cpu',
      reelset: wasmLite,
      peer: cpuLite,
      ratio: wasmLite / cpuLite,
      goal: 2,
      unit: 'samples/s',
      notes: `ratio = wasm / cpu samples/s of the lite model (${liteParams.toLocaleString('en')} parameters); selectBackend({ training: true, model }) picks wasm for it. wasm ${list('lite wasm')}; cpu ${list('lite cpu')}. ${common}`,
    }),
    result({
      name: 'baseline lite text: multi-hot + Dense vs Embedding (cpu)',
      reelset: cpuLite,
      peer: m('embedding cpu'),
      ratio: cpuLite / m('embedding cpu'),
      goal: 3,
      unit: 'samples/s',
      notes: `peer = lite with Embedding(E, 32) -> GlobalAveragePooling1D -> Dense(64) as its text branch, on cpu (tfjs's gather gradient, UnsortedSegmentSum, is slow there; wasm has no kernel for it: selectBackend chose ${embeddingCandidate} for it). Embedding ${list('embedding cpu')}. ${common}`,
    }),
    result({
      name: 'baseline lite text at 20,000 tokens: multi-hot vs Embedding (cpu)',
      reelset: m('lite cpu 20k'),
      peer: m('embedding cpu 20k'),
      ratio: m('lite cpu 20k') / m('embedding cpu 20k'),
      goal: 10,
      unit: 'samples/s',
      notes: `as the row above with a 20,000-token vocabulary (the lite default), one run each: lite ${list('lite cpu 20k')} on cpu (wasm: see the 20,000-token row), Embedding ${list('embedding cpu 20k')} (one batch of ${BATCH}). ${machine}`,
    }),
    result({
      name: 'baseline lite video: patch Dense vs Conv3D (wasm)',
      reelset: wasmLite,
      peer: m('conv3d wasm'),
      ratio: wasmLite / m('conv3d wasm'),
      goal: 10,
      unit: 'samples/s',
      notes: `peer = lite with Conv3D(8) -> MaxPool3D -> Conv3D(16) -> MaxPool3D -> global max as its video branch; on cpu it trains at ${m('conv3d cpu').toFixed(1)} samples/s (${list('conv3d cpu')}), on wasm ${list('conv3d wasm')}: tfjs's Conv3D gradients are naive loops on both. ${common}`,
    }),
    result({
      name: 'baseline lite: 20,000-token vocabulary vs 250 (wasm)',
      reelset: m('lite wasm 20k'),
      peer: wasmLite,
      ratio: m('lite wasm 20k') / wasmLite,
      goal: 0.25,
      unit: 'samples/s',
      notes: `the cost of a real-size vocabulary: the multi-hot Dense grows to 20,002 x 64 weights (ratio = 20k / 250 samples/s). ${list('lite wasm 20k')}. ${common}`,
    }),
    result({
      name: 'baseline: bytes of a decoded sample, lite vs seed',
      reelset: lite.inputs / 1024,
      peer: seed.inputs / 1024,
      ratio: seed.inputs / lite.inputs,
      goal: 10,
      unit: 'KiB',
      notes: `float32 inputs a sample (what cache() holds): lite ${(lite.inputs / 1024).toFixed(1)} KiB, seed ${(seed.inputs / MIB).toFixed(2)} MiB. Layer outputs a sample (forward, float32, kept for the backward pass): lite ${(lite.activations / 1024).toFixed(0)} KiB, seed ${(seed.activations / MIB).toFixed(0)} MiB (the first Conv3D alone ${((3 * 360 * 640 * 32 * 4) / MIB).toFixed(0)} MiB). Parameters: lite ${liteParams.toLocaleString('en')} (+ 64 a token), seed ${seedParams.toLocaleString('en')} at ${SYNTH_VOCAB} tokens. ratio = seed / lite`,
    }),
  ];
}
