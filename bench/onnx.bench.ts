/**
 * @module onnx.bench — the exported lite baseline run by onnxruntime-node (CPU) against tfjs `predict` on the
 * same batch of 32 decoded samples, on each tfjs backend available (goal: onnxruntime at least 2x the
 * fastest), and the exported model's accuracy on a synthesized test split against the tfjs model's (goal:
 * equal).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type BackendKind, selectBackend } from '../src/adapters/backend.js';
import { collate } from '../src/adapters/collate.js';
import { evaluate } from '../src/baseline/evaluate.js';
import { buildInputs, collateOptionsFor, inputSpecs } from '../src/baseline/inputs.js';
import { createBaseline } from '../src/baseline/model.js';
import { decodeOptionsFor, presetPreprocessing } from '../src/baseline/preprocessing.js';
import { trainBaseline } from '../src/baseline/train.js';
import { decodeSamples } from '../src/loaders/decode/stage.js';
import { buildVocab } from '../src/loaders/decode/text.js';
import { openDataset } from '../src/loaders/open.js';
import type { Sample } from '../src/loaders/sample.js';
import { OnnxClassifier } from '../src/onnx/classifier.js';
import { exportOnnx } from '../src/onnx/export.js';
import { synthesize } from '../src/synth/index.js';
import { type BenchResult, median, now, result, secondsSince } from './harness.js';

const BATCH = 32;
const RUNS = 7;
const PASSES = 5;
const LABELS = ['Abstract', 'Aerial', 'Animals', 'Backgrounds', 'Beach', 'Business'];

export default async function bench(): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'reelset-bench-onnx-'));
  try {
    await synthesize(root, { perLabel: 16, labels: LABELS, seconds: 1, seed: 11 });
    const refs = openDataset(root).split({ train: 0.6, validation: 0.1, test: 0.3, seed: 1 });
    const vocab = await buildVocab(refs.train, { lowercase: true });
    const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
    const decode = decodeOptionsFor(pre, vocab);
    const model = createBaseline({ preprocessing: pre, seed: 1 });
    await selectBackend({ training: true, model });
    await trainBaseline(model, decodeSamples(refs.train, decode), {
      epochs: 15,
      batchSize: 8,
      seed: 1,
      backend: 'current',
    });
    const file = join(root, 'lite.onnx');
    await exportOnnx(model, file, { preprocessing: pre, vocabulary: vocab });
    const classifier = await OnnxClassifier.load(file, { executionProviders: ['cpu'] });

    // Accuracy on the test split: tfjs evaluate against the .onnx file's own decoding and predictions.
    const tfjsTest = await evaluate(model, refs.test, { preprocessing: decode });
    let right = 0;
    let n = 0;
    const truth = new Map<string, number>();
    for await (const s of refs.test) truth.set(s.id, s.labelId);
    for await (const p of classifier.predictions(refs.test)) {
      n++;
      if (p.labelId === truth.get(p.id)) right++;
    }
    const onnxAccuracy = right / n;

    // Speed: one batch of 32 decoded samples, predicted again and again.
    const samples = (await decodeSamples(refs.test, decode).take(BATCH).toArray()) as Sample[];
    while (samples.length < BATCH) samples.push(samples[samples.length % 8] as Sample);
    const specs = inputSpecs(model);
    const batch = collate(samples, collateOptionsFor(specs));
    const tfRate = async (): Promise<number> => {
      const xs = buildInputs(tf, specs, batch);
      const start = now();
      for (let i = 0; i < PASSES; i++) {
        const out = model.predict(xs) as tf.Tensor;
        await out.data();
        out.dispose();
      }
      const rate = (PASSES * BATCH) / secondsSince(start);
      tf.dispose(xs);
      return rate;
    };
    const ortRate = async (): Promise<number> => {
      const start = now();
      for (let i = 0; i < PASSES; i++) await classifier.predict(batch);
      return (PASSES * BATCH) / secondsSince(start);
    };
    const rows: BenchResult[] = [];
    const machine = `${os.availableParallelism()} cores, 1-min load ${(os.loadavg()[0] as number).toFixed(2)}`;
    const rates: Partial<Record<BackendKind, { tfjs: number[]; ort: number[] }>> = {};
    for (const kind of ['cpu', 'wasm', 'tfjs-node'] as BackendKind[]) {
      try {
        await selectBackend({ only: kind });
      } catch {
        continue;
      }
      await tfRate(); // warm-up
      await ortRate();
      const r = { tfjs: [] as number[], ort: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        r.tfjs.push(await tfRate());
        r.ort.push(await ortRate());
      }
      rates[kind] = r;
    }
    const kinds = Object.keys(rates) as BackendKind[];
    const fastest = kinds.reduce((a, b) =>
      median(rates[b]?.tfjs ?? []) > median(rates[a]?.tfjs ?? []) ? b : a,
    );
    for (const kind of kinds) {
      const r = rates[kind] as { tfjs: number[]; ort: number[] };
      const o = median(r.ort);
      const t = median(r.tfjs);
      rows.push(
        result({
          name: `onnx: onnxruntime CPU vs tfjs predict, lite, batch 32 (${kind}${kind === fastest ? ', fastest' : ''})`,
          reelset: o,
          peer: t,
          ratio: o / t,
          goal: kind === fastest ? 2 : 0,
          unit: 'samples/s',
          notes: `ratio = onnxruntime-node samples/s / tfjs ${kind} samples/s (goal >= 2 against the fastest tfjs backend, reported for the others); ${RUNS} alternating runs of ${PASSES} forward passes on one collated batch of ${BATCH} decoded samples, medians; onnxruntime: ${r.ort.map((x) => x.toFixed(0)).join(', ')}; tfjs: ${r.tfjs.map((x) => x.toFixed(0)).join(', ')}. ${machine}`,
        }),
      );
    }
    rows.push(
      result({
        name: 'onnx: exported lite accuracy on the test split vs tfjs',
        reelset: onnxAccuracy,
        peer: tfjsTest.accuracy,
        ratio: tfjsTest.accuracy === 0 ? Number.NaN : onnxAccuracy / tfjsTest.accuracy,
        goal: 1,
        unit: 'accuracy',
        notes: `the .onnx file alone (its own preprocessing and vocabulary) on ${n} test samples against tfjs evaluate on the same split; equal when ratio is exactly 1. lite trained 15 epochs on ${LABELS.length} labels x 16 synthesized clips (seed 11)`,
      }),
    );
    await classifier.release();
    model.dispose();
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
