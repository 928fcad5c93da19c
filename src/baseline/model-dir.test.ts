import { existsSync } from 'node:fs';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { loadTfjs } from '../adapters/tfjs.js';
import { isReelsetError } from '../errors.js';
import { Vocab } from '../loaders/decode/text.js';
import { writeFileAtomic } from '../util/files.js';
import { CHECKPOINT_STATE, readCheckpoint, restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
import { fileIOHandler, weightBytes } from './io-handler.js';
import {
  BASELINE_FILES,
  loadBaseline,
  readBaselineInfo,
  saveBaseline,
  updateBaselineMetrics,
} from './model-dir.js';
import { presetPreprocessing } from './preprocessing.js';
import { reelsetVersion } from './version.js';

let tmp = { path: '', remove: async (): Promise<void> => {} };
beforeAll(async () => {
  tmp = await tempDir('model-dir');
  loadTfjs();
  await tf.setBackend('cpu');
});
afterAll(() => tmp.remove());

function tinyModel(seed = 1): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [4],
      units: 5,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: 3,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  return model;
}

function compiled(model: tf.LayersModel): tf.LayersModel {
  model.compile({
    optimizer: tf.train.adam(0.05),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

async function values(tensors: readonly tf.Tensor[]): Promise<number[][]> {
  return Promise.all(tensors.map(async (t) => Array.from(await t.data())));
}

async function step(model: tf.LayersModel): Promise<void> {
  const xs = tf.tensor2d([1, 2, 3, 4, 4, 3, 2, 1, 0, 1, 0, 1], [3, 4]);
  const ys = tf.tensor1d([0, 1, 2]);
  await model.trainOnBatch(xs, ys);
  tf.dispose([xs, ys]);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return isReelsetError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('fileIOHandler', () => {
  it('saves model.json + weights.bin in the tfjs layers format and loads them back', async () => {
    const dir = join(tmp.path, 'io');
    const model = tinyModel();
    const saved = await model.save(fileIOHandler(dir));
    expect(saved.modelArtifactsInfo.weightDataBytes).toBe((4 * 5 + 5 + 5 * 3 + 3) * 4);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']); // no temporary left
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
    expect(weightBytes(json.weightsManifest[0].weights)).toBe(saved.modelArtifactsInfo.weightDataBytes);
    const loaded = await tf.loadLayersModel(fileIOHandler(dir));
    expect(await values(loaded.getWeights())).toEqual(await values(model.getWeights()));
    const x = tf.ones([2, 4]);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
  });

  it('refuses truncated weights, a manifest path outside the folder, and missing files', async () => {
    const dir = join(tmp.path, 'io-bad');
    await tinyModel().save(fileIOHandler(dir));
    await truncate(join(dir, 'weights.bin'), 10);
    expect(await codeOf(tf.loadLayersModel(fileIOHandler(dir)))).toBe('REELSET_E_INVALID_ARGUMENT');
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../outside.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await codeOf(tf.loadLayersModel(fileIOHandler(dir)))).toBe('REELSET_E_INVALID_ARGUMENT');
    await rm(join(dir, 'weights.bin'));
    json.weightsManifest[0].paths = ['weights.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await codeOf(tf.loadLayersModel(fileIOHandler(dir)))).toBe('REELSET_E_NOT_FOUND');
    expect(await codeOf(tf.loadLayersModel(fileIOHandler(join(tmp.path, 'nothing'))))).toBe(
      'REELSET_E_NOT_FOUND',
    );
    expect(() => fileIOHandler(dir, { weights: '../w.bin' })).toThrow(/plain file name/);
  });

  it('writeFileAtomic replaces a file whole and leaves no temporary', async () => {
    const file = join(tmp.path, 'atomic.txt');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await readdir(tmp.path)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('model directories', () => {
  it('saveBaseline writes everything predict needs; loadBaseline reads it back', async () => {
    const dir = join(tmp.path, 'run');
    const model = compiled(tinyModel());
    const vocab = Vocab.fromTokens(['sea', 'sand']);
    const preprocessing = presetPreprocessing('lite', { text: { vocabSize: 2 } });
    const info = await saveBaseline(dir, {
      model,
      vocab,
      labels: ['a', 'b', 'c'],
      preprocessing,
      metrics: { validation: { accuracy: 0.5 } },
    });
    expect(info).toMatchObject({
      format: 'reelset-model',
      version: 1,
      reelset: reelsetVersion(),
      training: null,
    });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'reelset.json', 'vocab.txt', 'weights.bin']);
    expect(await readFile(join(dir, 'vocab.txt'), 'utf8')).toBe('sea\nsand\n');
    const loaded = await loadBaseline(dir);
    expect(loaded.labels).toEqual(['a', 'b', 'c']);
    expect(loaded.vocab?.tokens).toEqual(['sea', 'sand']);
    expect(loaded.preprocessing).toEqual(preprocessing);
    expect(loaded.metrics).toEqual({ validation: { accuracy: 0.5 } });
    expect(await values(loaded.model.getWeights())).toEqual(await values(model.getWeights()));

    const updated = await updateBaselineMetrics(dir, { test: { accuracy: 0.75 } });
    expect(updated.metrics).toEqual({ validation: { accuracy: 0.5 }, test: { accuracy: 0.75 } });
    expect((await readBaselineInfo(dir)).metrics).toEqual(updated.metrics);

    // Saved again without a vocabulary: the old vocab.txt goes too.
    await saveBaseline(dir, { model });
    expect(existsSync(join(dir, 'vocab.txt'))).toBe(false);
    expect((await loadBaseline(dir)).vocab).toBeUndefined();
  });

  it('a folder without reelset.json (or with a malformed one) is not a model directory', async () => {
    const dir = join(tmp.path, 'half');
    await tinyModel().save(fileIOHandler(dir));
    expect(await codeOf(loadBaseline(dir))).toBe('REELSET_E_NOT_FOUND');
    await writeFile(join(dir, BASELINE_FILES.info), '{"format":"other"}');
    expect(await codeOf(loadBaseline(dir))).toBe('REELSET_E_INVALID_ARGUMENT');
    await writeFile(join(dir, BASELINE_FILES.info), 'not json');
    expect(await codeOf(readBaselineInfo(dir))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(await codeOf(saveBaseline(dir, { model: tinyModel(), labels: [] }))).toBe(
      'REELSET_E_INVALID_ARGUMENT',
    );
    const notPreprocessing = { preset: 'lite', text: {} } as never;
    expect(await codeOf(saveBaseline(dir, { model: tinyModel(), preprocessing: notPreprocessing }))).toBe(
      'REELSET_E_INVALID_ARGUMENT',
    );
  });
});

describe('checkpoints', () => {
  it('restore the model, the optimizer and its step count exactly: the next step is the same', async () => {
    const dir = join(tmp.path, 'ckpt');
    const a = compiled(tinyModel(1));
    await step(a);
    await step(a);
    await writeCheckpoint(dir, a, { epoch: 2, note: 'x' });
    const checkpoint = await readCheckpoint(dir);
    expect(checkpoint?.state).toMatchObject({
      format: 'reelset-checkpoint',
      progress: { epoch: 2, note: 'x' },
    });
    expect(checkpoint?.state.optimizer).toMatchObject({
      className: 'Adam',
      scalars: { accBeta1: expect.any(Number) },
    });

    const before = tf.memory().numTensors;
    const b = compiled(tinyModel(7)); // other initial weights
    await restoreCheckpoint(b, checkpoint as NonNullable<typeof checkpoint>);
    expect(await values(b.getWeights())).toEqual(await values(a.getWeights()));
    expect(b.optimizer.iterations).toBe(2);
    await step(a);
    await step(b);
    expect(await values(b.getWeights())).toEqual(await values(a.getWeights()));
    // b's weights and its optimizer's slots (2 per weight, plus accBeta1/2): nothing else stays behind.
    expect(tf.memory().numTensors - before).toBe(4 + 2 * 4 + 2);

    // A mismatching model or optimizer is refused.
    const other = compiled(tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] }));
    expect(await codeOf(restoreCheckpoint(other, checkpoint as NonNullable<typeof checkpoint>))).toBe(
      'REELSET_E_STATE',
    );
    const sgd = tinyModel(1);
    sgd.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
    expect(await codeOf(restoreCheckpoint(sgd, checkpoint as NonNullable<typeof checkpoint>))).toBe(
      'REELSET_E_STATE',
    );
  });

  it('a new checkpoint replaces the old one whole; a kill before its commit leaves the old one readable', async () => {
    const dir = join(tmp.path, 'ckpt-replace');
    const model = compiled(tinyModel(1));
    await step(model);
    await writeCheckpoint(dir, model, { epoch: 1 });
    const first = await readCheckpoint(dir);
    // What a kill in the middle of the next write leaves: a partial weights file and a temporary state.
    await writeFile(join(dir, 'weights-zzzz-00000000.bin'), Buffer.alloc(7));
    await writeFile(join(dir, `${CHECKPOINT_STATE}.1.abcd.tmp`), '{"format":');
    expect((await readCheckpoint(dir))?.state).toEqual(first?.state);
    await step(model);
    await writeCheckpoint(dir, model, { epoch: 2 });
    const names = await readdir(dir);
    expect(names.filter((n) => n.endsWith('.bin'))).toHaveLength(1); // the older files are gone
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readCheckpoint(dir))?.state.progress).toEqual({ epoch: 2 });
    expect(await readCheckpoint(join(tmp.path, 'no-checkpoint'))).toBeUndefined();

    const state = JSON.parse(await readFile(join(dir, CHECKPOINT_STATE), 'utf8'));
    await truncate(join(dir, state.file), 8);
    expect(await codeOf(readCheckpoint(dir))).toBe('REELSET_E_STATE');
    await writeFile(join(dir, CHECKPOINT_STATE), '{"format":"reelset-checkpoint"}');
    expect(await codeOf(readCheckpoint(dir))).toBe('REELSET_E_STATE');
  });
});
