import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_DECODE, smallSet } from '../../test/adapters-helpers.js';
import { isReelsetError } from '../errors.js';
import { openDataset } from '../loaders/open.js';
import { BACKEND_ORDER, selectBackend } from './backend.js';
import { type TfBatch, toTfDataset } from './tf-data.js';

describe('selectBackend', () => {
  it('picks the first usable backend and says why; prefer and only change the order', async () => {
    const choice = await selectBackend();
    expect(BACKEND_ORDER).toContain(choice.kind);
    expect(tf.getBackend()).toBe(choice.tfBackend);
    expect(choice.tried.at(-1)).toEqual({ kind: choice.kind, available: true });
    for (const probe of choice.tried.slice(0, -1)) expect(probe.available).toBe(false);
    expect(choice.reason).toMatch(/first available/);
    const cpu = await selectBackend({ prefer: 'cpu' });
    expect(cpu).toMatchObject({ kind: 'cpu', tfBackend: 'cpu', reason: 'preferred cpu' });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend({ only: 'wasm' });
    expect(wasm.kind).toBe('wasm');
    await expect(selectBackend({ prefer: 'gpu' as never })).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
  });
});

describe('toTfDataset', () => {
  let root = '';
  let cleanup = async (): Promise<void> => {};
  beforeAll(async () => {
    ({ root, cleanup } = await smallSet());
    await selectBackend({ prefer: 'cpu' });
  });
  afterAll(() => cleanup());

  it('yields {xs, ys} with the original names, shapes, dtypes and the samples values', async () => {
    const decoded = openDataset(root, SMALL_DECODE).cache();
    const samples = await decoded.toArray();
    const ds = toTfDataset(decoded, { batchSize: 5 });
    let i = 0;
    await ds.forEachAsync((batch) => {
      const { xs, ys } = batch as TfBatch;
      const b = ys.shape[0] as number;
      expect(Object.keys(xs).sort()).toEqual(['image_data', 'text_data', 'video_data']);
      expect(xs.text_data?.shape).toEqual([b, 25]);
      expect(xs.text_data?.dtype).toBe('int32');
      expect(xs.image_data?.shape).toEqual([b, 8, 12, 3]);
      expect(xs.image_data?.dtype).toBe('float32');
      expect(xs.video_data?.shape).toEqual([b, 2, 6, 10, 3]);
      expect(ys.dtype).toBe('float32');
      const text = xs.text_data?.dataSync() as Int32Array;
      const image = xs.image_data?.dataSync() as Float32Array;
      const video = xs.video_data?.dataSync() as Float32Array;
      const labels = ys.dataSync();
      for (let k = 0; k < b; k++, i++) {
        const s = samples[i] as (typeof samples)[number];
        expect(labels[k]).toBe(s.labelId);
        expect(Array.from(text.subarray(k * 25, (k + 1) * 25))).toEqual(Array.from(s.tokens));
        expect(Array.from(image.subarray(k * 288, (k + 1) * 288))).toEqual(Array.from(s.image.data));
        expect(Array.from(video.subarray(k * 360, (k + 1) * 360))).toEqual(Array.from(s.video.data));
      }
      tf.dispose(batch);
    });
    expect(i).toBe(12);
  });

  it('renames inputs, omits absent modalities, one-hot labels and masks on request', async () => {
    const textOnly = openDataset(root, { text: true }).cache();
    const ds = toTfDataset(textOnly, {
      batchSize: 4,
      dropRemainder: true,
      names: { text: 'words' },
      labels: 'one-hot',
      masks: true,
    });
    const batches = (await ds.toArray()) as TfBatch[];
    expect(batches).toHaveLength(3);
    const first = batches[0] as TfBatch;
    expect(Object.keys(first.xs).sort()).toEqual(['words', 'words_mask']);
    expect(first.ys.shape).toEqual([4, 31]);
    expect(first.ys.sum(1).arraySync()).toEqual([1, 1, 1, 1]);
    expect(Array.from(first.xs.words_mask?.dataSync() ?? [])).toEqual([1, 1, 1, 1]);
    tf.dispose(batches as unknown as tf.TensorContainer);
    try {
      toTfDataset(textOnly, { batchSize: 2, names: { text: 'x', image: 'x' } });
      expect.unreachable();
    } catch (err) {
      expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('keeps tf.memory().numTensors flat: forEachAsync + dispose, and fitDataset epochs', async () => {
    const decoded = openDataset(root, {
      text: true,
      image: { height: 8, width: 12, dtype: 'float32', normalize: 'unit' },
    }).cache();
    const ds = toTfDataset(decoded, { batchSize: 4 });
    const counts: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      await ds.forEachAsync((batch) => tf.dispose(batch));
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);

    const text = tf.input({ shape: [25], dtype: 'int32', name: 'text_data' });
    const image = tf.input({ shape: [8, 12, 3], name: 'image_data' });
    const pooled = tf.layers.globalAveragePooling2d({}).apply(image) as tf.SymbolicTensor;
    const t = tf.layers.dense({ units: 4 }).apply(text) as tf.SymbolicTensor;
    const fused = tf.layers.concatenate().apply([t, pooled]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 31, activation: 'softmax' }).apply(fused) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [text, image], outputs: out });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
    const after: number[] = [];
    await model.fitDataset(ds, {
      epochs: 3,
      verbose: 0,
      callbacks: { onEpochEnd: () => void after.push(tf.memory().numTensors) },
    });
    expect(after).toHaveLength(3);
    expect(after[2]).toBe(after[1]);
    model.dispose();
  });
});
