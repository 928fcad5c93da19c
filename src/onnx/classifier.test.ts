/**
 * @module classifier.test — a lite baseline exported to ONNX and run by onnxruntime-node through
 * `OnnxClassifier` gives tfjs's predictions on decoded synthesized samples; the metadata, the signature
 * and the Triton repository agree with what onnxruntime reads from the graph; bad files are refused.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseline } from '../baseline/model.js';
import { predictBatch } from '../baseline/predict.js';
import { decodeOptionsFor, presetPreprocessing } from '../baseline/preprocessing.js';
import { buildVocab, type Vocab } from '../loaders/decode/text.js';
import { openDataset } from '../loaders/open.js';
import type { Sample } from '../loaders/sample.js';
import { synthesize } from '../synth/index.js';
import { OnnxClassifier } from './classifier.js';
import { exportOnnx } from './export.js';
import { readOnnxMetadata, readOnnxSignature } from './read-model.js';
import { writeTritonRepository } from './triton.js';

const LABELS = ['Beach', 'City', 'Sea'];
let tmp: string;
let root: string;
let vocab: Vocab;
let samples: Sample[];
let model: tf.LayersModel;
let onnxFile: string;
const pre = () => presetPreprocessing('lite', { text: { vocabSize: vocab.size } });

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await mkdtemp(join(tmpdir(), 'reelset-onnx-classifier-'));
  root = join(tmp, 'data');
  await synthesize(root, { labels: LABELS, perLabel: 3, seconds: 0.3, seed: 4, concurrency: 2 });
  vocab = await buildVocab(openDataset(root), { lowercase: true });
  samples = (await openDataset(root, decodeOptionsFor(pre(), vocab)).toArray()) as Sample[];
  // Items without a cover or clip are kept and masked: drop the cover of one sample to check the masks.
  const { image: _dropped, ...withoutCover } = samples[0] as Sample & { image?: unknown };
  samples[0] = withoutCover as Sample;
  model = createBaseline({ preprocessing: pre(), seed: 3 });
  onnxFile = join(tmp, 'lite.onnx');
  await exportOnnx(model, onnxFile, { preprocessing: pre(), vocabulary: vocab, labels: undefined });
}, 240_000);

afterAll(async () => {
  model?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

describe('OnnxClassifier', () => {
  it('predicts what tfjs predicts (max abs difference <= 1e-4), on the CPU when CUDA is not installed', async () => {
    const classifier = await OnnxClassifier.load(onnxFile);
    try {
      expect(classifier.provider).toBe('cpu');
      expect(classifier.tried).toEqual([
        { provider: 'cuda', reason: expect.stringContaining('without its CUDA provider') },
      ]);
      expect(classifier.labels).toHaveLength(31);
      expect(classifier.labels[8]).toBe('Beach');
      expect(classifier.vocab?.tokens).toEqual(vocab.tokens);
      expect(classifier.preprocessing).toEqual(pre());
      const expected = await predictBatch(model, samples);
      const got = await classifier.predict(samples);
      let worst = 0;
      for (const [i, p] of got.entries()) {
        const e = expected[i] as (typeof expected)[number];
        expect(p.id).toBe(e.id);
        expect(p.labelId).toBe(e.labelId);
        for (const [k, v] of p.probabilities.entries())
          worst = Math.max(worst, Math.abs(v - (e.probabilities[k] as number)));
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
      // An ablation feeds zeros and a 0 mask, as tfjs does.
      const textOnly = await classifier.predict(samples, { only: ['text'] });
      const tfTextOnly = await predictBatch(model, samples, { only: ['text'] });
      expect(textOnly.map((p) => p.labelId)).toEqual(tfTextOnly.map((p) => p.labelId));
      console.log(
        `OnnxClassifier vs tfjs on ${samples.length} decoded samples: max abs difference ${worst.toExponential(2)}`,
      );
    } finally {
      await classifier.release();
    }
  });

  it('predictions() decodes raw samples with the preprocessing from the file alone, in batches', async () => {
    const classifier = await OnnxClassifier.load(onnxFile, { executionProviders: ['cpu'] });
    try {
      expect(classifier.tried).toEqual([]);
      const streamed = [];
      for await (const p of classifier.predictions(openDataset(root), { batchSize: 4 })) streamed.push(p);
      const whole = await openDataset(root, decodeOptionsFor(pre(), vocab)).toArray();
      const direct = await classifier.predict(whole as Sample[]);
      expect(streamed.map((p) => [p.id, p.labelId])).toEqual(direct.map((p) => [p.id, p.labelId]));
      expect(streamed).toHaveLength(9);
    } finally {
      await classifier.release();
    }
  });

  it('reads metadata and signature from the bytes as onnxruntime sees the graph', async () => {
    const bytes = await readFile(onnxFile);
    const meta = readOnnxMetadata(bytes);
    expect(JSON.parse(meta.vocabulary as string)).toEqual([...vocab.tokens]);
    expect(meta.reelset_version).toMatch(/^\d+\.\d+\.\d+/);
    const signature = readOnnxSignature(bytes);
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(signature.inputs.map((i) => i.name)).toEqual(session.inputNames);
      expect(signature.outputs.map((o) => o.name)).toEqual(session.outputNames);
      for (const [i, m] of session.inputMetadata.entries()) {
        if (!m.isTensor) throw new Error('not a tensor');
        expect(signature.inputs[i]?.dtype).toBe(m.type);
        expect(signature.inputs[i]?.shape).toEqual(m.shape);
      }
    } finally {
      await session.release();
    }
  });

  it('refuses what is not a reelset classifier, in one line with REELSET_E_ONNX', async () => {
    const junk = join(tmp, 'junk.onnx');
    await writeFile(junk, 'not a model at all, just text\n');
    await expect(OnnxClassifier.load(junk)).rejects.toMatchObject({ code: 'REELSET_E_ONNX' });
    const input = tf.input({ name: 'pixels', shape: [4] });
    const other = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tf.SymbolicTensor,
    });
    const otherFile = join(tmp, 'other.onnx');
    await exportOnnx(other, otherFile);
    await expect(OnnxClassifier.load(otherFile)).rejects.toMatchObject({
      code: 'REELSET_E_ONNX',
      message: expect.stringContaining('"pixels"'),
    });
    await expect(OnnxClassifier.load(join(tmp, 'absent.onnx'))).rejects.toMatchObject({
      code: 'REELSET_E_NOT_FOUND',
    });
    await expect(
      OnnxClassifier.load(onnxFile, { executionProviders: ['tpu' as never] }),
    ).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
    other.dispose();
  });
});

describe('writeTritonRepository', () => {
  it("writes model.onnx, labels.txt and a config.pbtxt whose inputs and outputs are the graph's", async () => {
    const labelled = join(tmp, 'labelled.onnx');
    await exportOnnx(model, labelled, {
      preprocessing: pre(),
      vocabulary: vocab,
      labels: LABELS.concat(Array.from({ length: 28 }, (_, i) => `other ${i}`)),
    });
    const repo = await writeTritonRepository(labelled, join(tmp, 'triton'), {
      name: 'reelset_lite',
      maxBatchSize: 16,
    });
    expect(await readFile(repo.model)).toEqual(await readFile(labelled));
    expect((await readFile(repo.labels as string, 'utf8')).split('\n').slice(0, 3)).toEqual(LABELS);
    const text = await readFile(repo.config, 'utf8');
    expect(text).toContain('name: "reelset_lite"');
    expect(text).toContain('platform: "onnxruntime_onnx"');
    expect(text).toContain('max_batch_size: 16');
    expect(text).toMatch(/dynamic_batching \{\s+max_queue_delay_microseconds: 500\s+\}/);
    expect(text).toMatch(/instance_group \[\s+\{\s+count: 1\s+kind: KIND_GPU\s+\}\s+\]/);
    // Each entry against onnxruntime's view of the graph: name, type, dims after the batch dimension.
    const entries = [...text.matchAll(/name: "([^"]+)"\s+data_type: (\w+)\s+dims: \[ ([^\]]*) \]/g)].map(
      (m) => ({
        name: m[1],
        type: m[2],
        dims: (m[3] as string).split(', ').map(Number),
      }),
    );
    const session = await ort.InferenceSession.create(repo.model);
    try {
      const graph = [...session.inputMetadata, ...session.outputMetadata].map((m) => {
        if (!m.isTensor) throw new Error('not a tensor');
        expect(typeof m.shape[0]).toBe('string'); // the dynamic batch dimension
        return {
          name: m.name,
          type: m.type === 'int32' ? 'TYPE_INT32' : 'TYPE_FP32',
          dims: m.shape.slice(1).map((d) => (typeof d === 'number' ? d : -1)),
        };
      });
      expect(entries).toEqual(graph);
      expect(entries.find((e) => e.name === 'video_label')?.dims).toEqual([31]);
    } finally {
      await session.release();
    }
    expect(text).toContain('label_filename: "labels.txt"');
    await expect(
      writeTritonRepository(labelled, join(tmp, 'triton'), { name: '../up' }),
    ).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
  });
});
