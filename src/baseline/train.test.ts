import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IMAGE,
  MAX_LENGTH,
  standInModel,
  synthTrainSet,
  trainSplits,
  VIDEO,
} from '../../test/fixtures/train-setup.js';
import { tempDir } from '../../test/helpers.js';
import type { TfBatch } from '../adapters/tf-data.js';
import { loadTfjs } from '../adapters/tfjs.js';
import { isReelsetError } from '../errors.js';
import type { Dataset } from '../loaders/dataset/dataset.js';
import type { Vocab } from '../loaders/decode/text.js';
import type { Sample } from '../loaders/sample.js';
import { CHECKPOINT_STATE } from './checkpoint.js';
import { BASELINE_FILES, loadBaseline } from './model-dir.js';
import { presetPreprocessing } from './preprocessing.js';
import { type TrainOptions, type TrainProgress, trainBaseline } from './train.js';
import { reelsetVersion } from './version.js';

let tmp = { path: '', remove: async (): Promise<void> => {} };
let root = '';
let splits: { train: Dataset<Sample>; validation: Dataset<Sample>; test: Dataset<Sample>; vocab: Vocab };

beforeAll(async () => {
  tmp = await tempDir('train');
  root = join(tmp.path, 'data');
  await synthTrainSet(root, 16);
  splits = await trainSplits(root);
  loadTfjs();
  await tf.setBackend('cpu');
});
afterAll(() => tmp.remove());

/** The options every in-process run shares. */
function base(extra: TrainOptions = {}): TrainOptions {
  return {
    validation: splits.validation,
    epochs: 3,
    batchSize: 4,
    learningRate: 0.01,
    seed: 5,
    backend: 'cpu',
    sigint: false,
    vocab: splits.vocab,
    ...extra,
  };
}

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

async function stateOf(dir: string): Promise<{ progress: { epoch: number; batch: number } }> {
  return JSON.parse(await readFile(join(dir, CHECKPOINT_STATE), 'utf8'));
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return isReelsetError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('trainBaseline', () => {
  it('decodes once, trains every epoch on fitDataset, checkpoints each epoch, keeps numTensors flat', async () => {
    let reads = 0;
    const counted = splits.train.map(
      (s) => {
        reads++;
        return s;
      },
      { label: 'Counted' },
    );
    const dir = join(tmp.path, 'once');
    const progress: TrainProgress[] = [];
    const tensors: number[] = [];
    const checkpointAtEpochEnd: number[] = [];
    const model = standInModel(tf, splits.vocab.size, 1);
    const result = await trainBaseline(
      model,
      counted,
      base({
        modelDir: dir,
        onProgress: (p) => {
          progress.push(p);
          tensors.push(tf.memory().numTensors);
        },
        onEpochEnd: (record) => {
          checkpointAtEpochEnd.push(record.epoch);
        },
      }),
    );
    const n = result.samples.train;
    expect(n).toBeGreaterThan(20);
    expect(reads).toBe(n); // one pass of the upstream for 3 epochs: the cache serves the rest
    expect(result).toMatchObject({ stopped: false, earlyStopped: false, epochsCompleted: 3, backend: 'cpu' });
    expect(result.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    for (const h of result.history) {
      for (const v of [h.loss, h.accuracy, h.valLoss, h.valAccuracy]) expect(Number.isFinite(v)).toBe(true);
    }
    expect(result.history[2]?.loss).toBeLessThan(result.history[0]?.loss as number);
    const batches = Math.ceil(n / 4);
    expect(progress).toHaveLength(3 * batches);
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: 3, batch: 1, batches });
    expect(progress.at(-1)).toMatchObject({ epoch: 3, batch: batches, etaSec: 0 });
    expect(new Set(tensors).size).toBe(1); // flat from the first batch to the last, across epochs
    expect(checkpointAtEpochEnd).toEqual([1, 2, 3]);
    expect((await stateOf(join(dir, BASELINE_FILES.checkpoint))).progress).toMatchObject({
      epoch: 3,
      batch: 0,
    });
  });

  it('writes a model directory that loadBaseline reads back: same predictions, vocab, labels, metrics', async () => {
    const dir = join(tmp.path, 'dir');
    const model = standInModel(tf, splits.vocab.size, 2);
    const preprocessing = presetPreprocessing('lite', {
      text: { maxLength: MAX_LENGTH, vocabSize: splits.vocab.size },
      image: { height: IMAGE[0], width: IMAGE[1] },
      video: { frames: VIDEO[0], height: VIDEO[1], width: VIDEO[2] },
    });
    await trainBaseline(model, splits.train, base({ epochs: 1, modelDir: dir, preprocessing }));
    for (const f of ['model.json', 'weights.bin', 'vocab.txt', 'reelset.json'])
      expect(existsSync(join(dir, f))).toBe(true);
    const loaded = await loadBaseline(dir);
    expect(loaded.vocab?.tokens).toEqual(splits.vocab.tokens);
    expect(loaded.preprocessing).toEqual(preprocessing);
    expect(loaded.labels).toHaveLength(31);
    expect(loaded.info.reelset).toBe(reelsetVersion());
    expect(loaded.info.training).toMatchObject({
      epochsCompleted: 1,
      completed: true,
      options: { seed: 5, batchSize: 4 },
    });
    expect(loaded.metrics).toMatchObject({ train: { epoch: 1 }, validation: { epoch: 1 } });
    const before = await weightsOf(model);
    const after = await weightsOf(loaded.model);
    expect(after).toEqual(before);
    loaded.model.dispose();
  });

  it('stops on signal at a batch boundary with a checkpoint; resume continues there exactly', async () => {
    const uninterrupted = standInModel(tf, splits.vocab.size, 3);
    const full = await trainBaseline(
      uninterrupted,
      splits.train,
      base({ checkpointDir: join(tmp.path, 'full') }),
    );

    const dir = join(tmp.path, 'stopped');
    const controller = new AbortController();
    const first = standInModel(tf, splits.vocab.size, 3);
    const stopped = await trainBaseline(
      first,
      splits.train,
      base({
        checkpointDir: dir,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.epoch === 2 && p.batch === 2) controller.abort();
        },
      }),
    );
    expect(stopped).toMatchObject({ stopped: true, epochsCompleted: 1 });
    expect((await stateOf(dir)).progress).toMatchObject({ epoch: 1, batch: 2 });

    const seen: TrainProgress[] = [];
    const second = standInModel(tf, splits.vocab.size, 99); // other initial weights: the checkpoint's win
    const resumed = await trainBaseline(
      second,
      splits.train,
      base({ checkpointDir: dir, resume: true, onProgress: (p) => seen.push(p) }),
    );
    expect(resumed).toMatchObject({
      stopped: false,
      epochsCompleted: 3,
      resumedFrom: { epoch: 2, batch: 2 },
    });
    expect(seen[0]).toMatchObject({ epoch: 2, batch: 3 }); // neither a finished epoch nor batch again
    expect(resumed.history).toEqual(
      full.history.map((h, i) => ({ ...h, seconds: resumed.history[i]?.seconds })),
    );
    expect(await weightsOf(second)).toEqual(await weightsOf(uninterrupted));

    // Resuming a finished run with more epochs goes on; with other options it is refused.
    const more = await trainBaseline(
      second,
      splits.train,
      base({ checkpointDir: dir, resume: true, epochs: 4 }),
    );
    expect(more).toMatchObject({ epochsCompleted: 4, resumedFrom: { epoch: 4, batch: 0 } });
    expect(more.history).toHaveLength(4);
    const other = standInModel(tf, splits.vocab.size, 3);
    expect(
      await codeOf(
        trainBaseline(other, splits.train, base({ checkpointDir: dir, resume: true, batchSize: 5 })),
      ),
    ).toBe('REELSET_E_STATE');
    expect(
      await codeOf(trainBaseline(other, splits.train, base({ checkpointDir: dir, resume: true, seed: 6 }))),
    ).toBe('REELSET_E_STATE');
  });

  it('masks what samples lack: zeros and a 0 mask for a modality absent from a sample or a whole batch', async () => {
    const partial = splits.train.map(
      (s, i) => ({ ...s, video: undefined, image: i % 2 === 0 ? undefined : s.image }) as Sample,
      { label: 'Drop' },
    );
    // The first batch, as fitDataset gets it (no shuffle: shuffleBuffer 1 keeps the order).
    const peek = standInModel(tf, splits.vocab.size, 4);
    const seen: { [name: string]: { shape: number[]; values: number[] } } = {};
    peek.fitDataset = (async (ds: tf.data.Dataset<TfBatch>) => {
      const first = await (await ds.iterator()).next();
      const { xs, ys } = first.value as TfBatch;
      for (const [name, t] of Object.entries(xs))
        seen[name] = { shape: t.shape, values: Array.from(t.dataSync()) };
      tf.dispose([...Object.values(xs), ys]);
      throw new Error('peeked');
    }) as never;
    await expect(
      trainBaseline(peek, partial, base({ epochs: 1, validation: undefined, shuffleBuffer: 1 })),
    ).rejects.toThrow('peeked');
    expect(Object.keys(seen).sort()).toEqual(
      [
        'image_data',
        'image_data_mask',
        'text_data',
        'text_data_mask',
        'video_data',
        'video_data_mask',
      ].sort(),
    );
    expect(seen.text_data_mask?.values).toEqual([1, 1, 1, 1]);
    expect(seen.image_data_mask?.values).toEqual([0, 1, 0, 1]);
    expect(seen.video_data_mask?.values).toEqual([0, 0, 0, 0]); // absent from the whole batch
    expect(seen.video_data?.shape).toEqual([4, ...VIDEO, 3]);
    expect(seen.video_data?.values.every((v) => v === 0)).toBe(true);
    const per = IMAGE[0] * IMAGE[1] * 3;
    const image = seen.image_data?.values ?? [];
    expect(image.slice(0, per).every((v) => v === 0)).toBe(true);
    expect(image.slice(per, 2 * per).some((v) => v !== 0)).toBe(true);

    const model = standInModel(tf, splits.vocab.size, 4);
    const result = await trainBaseline(model, partial, base({ epochs: 1, validation: undefined }));
    expect(result.epochsCompleted).toBe(1);
    expect(Number.isFinite(result.history[0]?.loss)).toBe(true);
    expect(result.history[0]?.valLoss).toBeUndefined();
  });

  it('stops early when the validation loss stops improving', async () => {
    const model = standInModel(tf, splits.vocab.size, 5);
    const result = await trainBaseline(
      model,
      splits.train,
      base({ epochs: 5, earlyStopping: { patience: 1, minDelta: 100 } }),
    );
    expect(result).toMatchObject({ earlyStopped: true, stopped: false, epochsCompleted: 2 });
  });

  it('checks its options', async () => {
    const model = standInModel(tf, splits.vocab.size, 6);
    const bad: TrainOptions[] = [
      { epochs: 0 },
      { batchSize: 1.5 },
      { learningRate: -1 },
      { resume: true },
      { earlyStopping: { patience: 2 }, validation: undefined },
      { cache: 'disk' as never },
      { backend: 'gpu' as never },
    ];
    for (const options of bad) {
      expect(await codeOf(trainBaseline(model, splits.train, base(options)))).toBe(
        'REELSET_E_INVALID_ARGUMENT',
      );
    }
    const input = tf.input({ shape: [3], name: 'features' });
    const odd = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 31, activation: 'softmax' }).apply(input) as tf.SymbolicTensor,
    });
    expect(await codeOf(trainBaseline(odd, splits.train, base()))).toBe('REELSET_E_INVALID_ARGUMENT');
  });
});

/** Runs the training child; resolves with its JSON lines once it exits (or calls `onLine` for each). */
function runChild(
  args: string[],
  onLine: (line: { event: string }, child: ChildProcess) => void = () => {},
): Promise<{
  lines: { event: string; [key: string]: unknown }[];
  code: number | null;
  signal: string | null;
}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join('test', 'fixtures', 'train-child.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: { event: string; [key: string]: unknown }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  child.stdout?.on('data', (chunk) => {
    buffer += String(chunk);
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const text = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as { event: string };
      lines.push(line);
      onLine(line, child);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`the child failed (${code}): ${stderr}`));
      else resolve({ lines, code, signal });
    });
  });
}

interface Done {
  event: 'done';
  result: { stopped: boolean; epochsCompleted: number; history: { loss: number }[]; resumedFrom?: object };
  testAccuracy: number;
}

describe('trainBaseline in a process killed and resumed', () => {
  it('killed with SIGKILL mid-epoch and resumed: same epochs, test accuracy within 2 points', async () => {
    const cache = join(tmp.path, 'kill-cache');
    const full = await runChild([root, join(tmp.path, 'kill-full'), cache, 'run']);
    const fullDone = full.lines.at(-1) as unknown as Done;
    expect(fullDone.result).toMatchObject({ stopped: false, epochsCompleted: 5 });

    const run = join(tmp.path, 'kill-run');
    let checkpointEpoch: number | undefined;
    const killed = await runChild([root, run, cache, 'hang', '3:2'], (line, child) => {
      if (line.event !== 'hang') return;
      // Mid-epoch 3 (2 batches done), the checkpoint of epoch 2 exists: kill -9 now.
      stateOf(join(run, BASELINE_FILES.checkpoint)).then(
        (s) => {
          checkpointEpoch = s.progress.epoch;
          child.kill('SIGKILL');
        },
        () => child.kill('SIGKILL'),
      );
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(checkpointEpoch).toBe(2);
    expect(killed.lines.some((l) => l.event === 'done')).toBe(false);

    const resumed = await runChild([root, run, cache, 'resume']);
    const done = resumed.lines.at(-1) as unknown as Done;
    const batches = resumed.lines.filter((l) => l.event === 'batch');
    expect(batches[0]).toMatchObject({ epoch: 3, batch: 1 }); // epochs 1-2 are not run again
    expect(done.result).toMatchObject({
      stopped: false,
      epochsCompleted: 5,
      resumedFrom: { epoch: 3, batch: 0 },
    });
    expect(done.result.history).toHaveLength(5);
    expect(Math.abs(done.testAccuracy - fullDone.testAccuracy)).toBeLessThanOrEqual(0.02);
    // In fact the resumed run computes exactly what the uninterrupted one does.
    expect(await readFile(join(run, 'weights.bin'))).toEqual(
      await readFile(join(tmp.path, 'kill-full', 'weights.bin')),
    );
    console.log(
      `SIGKILL test: uninterrupted ${fullDone.result.epochsCompleted} epochs, test accuracy ${fullDone.testAccuracy}; ` +
        `killed in epoch 3 and resumed: ${done.result.epochsCompleted} epochs, test accuracy ${done.testAccuracy}`,
    );

    // SIGINT mid-epoch: the child stops at a batch boundary, checkpoints it, and resumes from that batch.
    const sigintRun = join(tmp.path, 'sigint-run');
    const interrupted = await runChild([root, sigintRun, cache, 'sigint', '3:2']);
    const stopped = interrupted.lines.at(-1) as unknown as Done;
    expect(stopped.result).toMatchObject({ stopped: true, epochsCompleted: 2 });
    const { progress } = await stateOf(join(sigintRun, BASELINE_FILES.checkpoint));
    expect(progress.epoch).toBe(2);
    expect(progress.batch).toBeGreaterThanOrEqual(2);
    const again = await runChild([root, sigintRun, cache, 'resume']);
    const againDone = again.lines.at(-1) as unknown as Done;
    expect(againDone.result).toMatchObject({
      epochsCompleted: 5,
      resumedFrom: { epoch: 3, batch: progress.batch },
    });
    expect(againDone.testAccuracy).toBe(fullDone.testAccuracy);
  });
});
