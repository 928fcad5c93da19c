/**
 * @module train.bench — lite training samples/s on each backend available (cpu, wasm; tfjs-node when installed),
 * and the input pipeline's samples/s from the memory cache against the model's: the data side must never be
 * the bottleneck (at least 3x the fastest backend's training rate).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type BackendKind, selectBackend } from '../src/adapters/backend.js';
import { type CollateOptions, collate } from '../src/adapters/collate.js';
import { buildInputs, collateOptionsFor, inputSpecs } from '../src/baseline/inputs.js';
import { createBaseline } from '../src/baseline/model.js';
import { decodeOptionsFor, presetPreprocessing } from '../src/baseline/preprocessing.js';
import type { Dataset } from '../src/loaders/dataset/dataset.js';
import { buildVocab } from '../src/loaders/decode/text.js';
import { openDataset } from '../src/loaders/open.js';
import type { Sample } from '../src/loaders/sample.js';
import { synthesize } from '../src/synth/index.js';
import { type BenchResult, median, now, result, secondsSince } from './harness.js';

const BATCH = 32;
const RUNS = 5;
const LABELS = ['Abstract', 'Aerial', 'Animals', 'Backgrounds', 'Beach', 'Business'];
const PER_LABEL = 10;
/** Training batches timed per run (after one warm-up batch). */
const TRAIN_BATCHES: Record<string, number> = { cpu: 4, wasm: 8, 'tfjs-node': 8 };

/** Samples/s of the cached pipeline: cache -> shuffle -> batch -> collate -> buildInputs tensors, disposed. */
async function pipelineRate(
  cached: Dataset<Sample>,
  specs: ReturnType<typeof inputSpecs>,
  opts: CollateOptions,
  seed: number,
): Promise<number> {
  const start = now();
  let n = 0;
  const batches = cached
    .shuffle({ seed, bufferSize: 1000 })
    .batch(BATCH)
    .map((group) => collate(group, opts));
  for await (const batch of batches) {
    const xs = buildInputs(tf, specs, batch);
    const ys = tf.tensor1d(Float32Array.from(batch.labels), 'float32');
    tf.dispose([...xs, ys]);
    n += batch.size;
  }
  return n / secondsSince(start);
}

export default async function bench(): Promise<BenchResult[]> {
  const loadStart = os.loadavg()[0] as number;
  const root = await mkdtemp(join(tmpdir(), 'reelset-bench-train-'));
  try {
    await synthesize(root, { perLabel: PER_LABEL, labels: LABELS, seconds: 1, seed: 11 });
    const vocab = await buildVocab(openDataset(root), { lowercase: true });
    const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
    const decoded = openDataset(root, decodeOptionsFor(pre, vocab)) as unknown as Dataset<Sample>;
    const cached = decoded.cache();
    const samples = await cached.toArray(); // decoded once
    const count = samples.length;

    // The batches the model trains on, built as train.ts builds them (collate + buildInputs), per backend.
    const probe = createBaseline({ preprocessing: pre, seed: 1 });
    const specs = inputSpecs(probe);
    probe.dispose();
    const opts = collateOptionsFor(specs);
    const groups: Sample[][] = [];
    for (let i = 0; i + BATCH <= count; i += BATCH) groups.push(samples.slice(i, i + BATCH));
    if (groups.length === 0) throw new Error(`only ${count} samples: fewer than a batch`);

    const kinds: BackendKind[] = ['cpu', 'wasm', 'tfjs-node'];
    const available: BackendKind[] = [];
    const skipped: string[] = [];
    for (const kind of kinds) {
      try {
        await selectBackend({ only: kind });
        available.push(kind);
      } catch (err) {
        skipped.push(`${kind} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      }
    }

    const trainRuns: Record<string, number[]> = {};
    const pipeRuns: Record<string, number[]> = {};
    for (const kind of available) {
      await selectBackend({ only: kind });
      const model = createBaseline({ preprocessing: pre, seed: 1 });
      model.compile({
        optimizer: tf.train.adam(1e-3),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const batches = groups.map((g) => {
        const batch = collate(g, opts);
        return {
          xs: buildInputs(tf, specs, batch),
          ys: tf.tensor1d(Float32Array.from(batch.labels), 'float32'),
        };
      });
      try {
        const first = batches[0] as { xs: tf.Tensor[]; ys: tf.Tensor };
        await model.trainOnBatch(first.xs, first.ys); // warm-up
        await pipelineRate(cached, specs, opts, 0); // warm-up
        const steps = TRAIN_BATCHES[kind] ?? 4;
        const t: number[] = [];
        const p: number[] = [];
        // Adjacent (train, pipeline) runs on the same backend: the machine's drift touches both alike.
        for (let r = 0; r < RUNS; r++) {
          const start = now();
          for (let s = 0; s < steps; s++) {
            const b = batches[s % batches.length] as { xs: tf.Tensor[]; ys: tf.Tensor };
            await model.trainOnBatch(b.xs, b.ys);
          }
          t.push((steps * BATCH) / secondsSince(start));
          p.push(await pipelineRate(cached, specs, opts, r + 1));
        }
        trainRuns[kind] = t;
        pipeRuns[kind] = p;
      } finally {
        for (const b of batches) tf.dispose([...b.xs, b.ys]);
        model.dispose();
      }
    }
    const loadEnd = os.loadavg()[0] as number;
    await selectBackend({ only: 'cpu' });

    const list = (xs: readonly number[] | undefined) => (xs ?? []).map((r) => r.toFixed(1)).join(', ');
    const machine = `${os.availableParallelism()} cores, 1-min load average ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end`;
    const data = `${count} synthesized samples (${LABELS.length} labels x ${PER_LABEL}, 1 s clips, seed 11), decoded once with decodeOptionsFor(presetPreprocessing('lite'), vocab of ${vocab.size} tokens) into the memory cache`;
    const fastest = available.reduce<BackendKind | undefined>(
      (best, k) =>
        best === undefined || median(trainRuns[k] ?? []) > median(trainRuns[best] ?? []) ? k : best,
      undefined,
    );
    const rows: BenchResult[] = [];
    for (const kind of available) {
      const train = median(trainRuns[kind] ?? []);
      const pipe = median(pipeRuns[kind] ?? []);
      const isFastest = kind === fastest;
      rows.push(
        result({
          name: `train: cached pipeline vs lite training (${kind}${isFastest ? ', fastest' : ''})`,
          reelset: pipe,
          peer: train,
          ratio: pipe / train,
          goal: isFastest ? 3 : 0,
          unit: 'samples/s',
          notes: `ratio = pipeline samples/s / training samples/s (goal >= 3 on the fastest backend, reported only on the others). reelset = cache -> shuffle -> batch(${BATCH}) -> collate -> buildInputs tensors (disposed), one pass of ${count} samples: ${list(pipeRuns[kind])}; peer = model.trainOnBatch (Adam 1e-3, sparse cross-entropy) on ${TRAIN_BATCHES[kind] ?? 4} prebuilt batches of ${BATCH} (collate + buildInputs, as train.ts): ${list(trainRuns[kind])}; ${RUNS} adjacent (train, pipeline) rounds after a warm-up, medians. ${data}. ${skipped.length > 0 ? `Not available: ${skipped.join('; ')}. ` : ''}${machine}`,
        }),
      );
    }
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
