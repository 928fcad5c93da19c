import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { oneHot, tinyModel, tinySample } from '../../test/baseline-eval-helpers.js';
import { Dataset } from '../loaders/dataset/dataset.js';
import { LABELS } from '../loaders/layout/labels.js';
import type { Sample } from '../loaders/sample.js';
import { evaluate } from './evaluate.js';
import { computeMetrics } from './metrics.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('evaluate', () => {
  it('scores a model forced to predict label 3: accuracy is the share of label 3, numbers exact', async () => {
    const model = tinyModel({ headKernel: 'zeros', headBias: oneHot(3, 10) });
    const labels = [3, 3, 3, 1, 2, 5, 3, 0, 7, 8];
    const samples = labels.map((y, i) => tinySample(String(i), y, { text: y, image: y, video: y }));
    const r = await evaluate(model, samples, { batchSize: 4 });
    expect(r.samples).toBe(10);
    expect(r.accuracy).toBe(0.4);
    // Every other logit is 0 (a tie broken by id): labels 0, 1, 2 rank 1-3 (hits), 5, 7, 8 rank 5-8 (misses).
    expect(r.top5).toBe(0.7);
    expect(r.perClass[3]).toMatchObject({ precision: 0.4, recall: 1, support: 4, predicted: 10 });
    expect(r.perClass[3]?.f1).toBeCloseTo(0.8 / 1.4, 6);
    for (const c of [0, 1, 2, 5, 7, 8]) {
      expect(r.perClass[c]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1, predicted: 0 });
    }
    expect(r.macroClasses).toBe(7);
    expect(r.macroF1).toBeCloseTo(0.8 / 1.4 / 7, 6);
    expect(r.confusion.labels[3]).toBe('Aerial');
    for (const [t, row] of r.confusion.counts.entries()) {
      expect(row.reduce((s, v) => s + v, 0)).toBe(labels.filter((y) => y === t).length);
      expect(row[3]).toBe(labels.filter((y) => y === t).length);
    }
    expect(r.ablation).toBeUndefined();
    const named = await evaluate(model, samples, { labels: LABELS.map((l) => `${l.id}:${l.chinese}`) });
    expect(named.confusion.labels[3]).toBe('3:航拍');
    expect(named.perClass[8]?.label).toBe('8:海滩');
  });

  it('runs the ablation: each modality alone, the other two masked', async () => {
    const model = tinyModel({ text: 4, image: 2, video: 3 });
    // Text always points at the label; the cover at the label for 6 of 12 samples (else the next
    // label); the frames at the label for 4 of 12 (else label + 2). Together: text's 4 always wins.
    const samples = Array.from({ length: 12 }, (_, i) => {
      const y = (i * 5) % 31;
      return tinySample(String(i), y, {
        text: y,
        image: i < 6 ? y : (y + 1) % 31,
        video: i < 4 ? y : (y + 2) % 31,
      });
    });
    const r = await evaluate(model, Dataset.from(samples), { batchSize: 5, ablation: true });
    expect(r.accuracy).toBe(1);
    expect(r.ablation?.text.accuracy).toBe(1);
    expect(r.ablation?.image.accuracy).toBe(0.5);
    expect(r.ablation?.video.accuracy).toBeCloseTo(4 / 12, 12);
    // Image alone predicts label + 1 for the last 6 samples.
    expect(r.ablation?.image.confusion.counts[30]?.[0]).toBe(1); // sample 6: label 30 -> 0
    expect(r.ablation?.image.samples).toBe(12);
    // Exactly the metrics of the predictions computed by hand.
    const imagePreds = samples.map((s, i) => (i < 6 ? s.labelId : (s.labelId + 1) % 31));
    const byHand = computeMetrics(
      samples.map((s) => s.labelId),
      imagePreds.map((p) => oneHot(p)),
    );
    expect(r.ablation?.image.perClass.map((c) => [c.precision, c.recall, c.support])).toEqual(
      byHand.perClass.map((c) => [c.precision, c.recall, c.support]),
    );
    expect(r.ablation?.image.macroF1).toBeCloseTo(byHand.macroF1, 12);
  });

  it('feeds zeros and a 0 mask for a modality the batch lacks, and per-sample masks inside a batch', async () => {
    // The cover branch has a bias of 50 on label 7: wherever its mask is 1 it wins.
    const model = tinyModel({ text: 4, image: 2, video: 3, imageBias: oneHot(7, 50) });
    const noCover = [0, 1, 2, 3].map((i) => tinySample(`n${i}`, i + 10, { text: i + 10, video: i + 10 }));
    const r = await evaluate(model, noCover, { batchSize: 4 });
    expect(r.accuracy).toBe(1);
    const textOnly = [0, 1, 2].map((i) => tinySample(`t${i}`, i, { text: i }));
    expect((await evaluate(model, textOnly)).accuracy).toBe(1);
    // Mixed batch: the samples with a cover are predicted 7, the others their label.
    const mixed: Sample[] = [
      tinySample('a', 1, { text: 1, image: 1 }),
      tinySample('b', 2, { text: 2 }),
      tinySample('c', 7, { text: 7, image: 7 }),
      tinySample('d', 4, { text: 4 }),
    ];
    const m = await evaluate(model, mixed, { batchSize: 4 });
    expect(m.accuracy).toBe(0.75);
    expect(m.confusion.counts[1]?.[7]).toBe(1);
    expect(m.perClass[7]).toMatchObject({ predicted: 2, support: 1, precision: 0.5, recall: 1 });
  });

  it('gives the same result whatever the batch size, over an array, a Dataset or a generator', async () => {
    const model = tinyModel({ text: 1, image: 2, video: 3 });
    const samples = Array.from({ length: 9 }, (_, i) =>
      tinySample(String(i), i % 4, { text: (i + 1) % 31, image: i % 4, video: (i * 7) % 31 }),
    );
    const base = await evaluate(model, samples, { batchSize: 9, ablation: true });
    for (const batchSize of [1, 2, 4, 100]) {
      expect(await evaluate(model, samples, { batchSize, ablation: true })).toEqual(base);
    }
    expect(await evaluate(model, Dataset.from(samples), { ablation: true })).toEqual(base);
    async function* gen(): AsyncGenerator<Sample> {
      yield* samples;
    }
    expect(await evaluate(model, gen(), { ablation: true })).toEqual(base);
    const progress: number[] = [];
    await evaluate(model, samples, { batchSize: 4, onProgress: (n) => progress.push(n) });
    expect(progress).toEqual([4, 8, 9]);
  });

  it('disposes every tensor it makes (numTensors flat), also when a batch fails', async () => {
    const model = tinyModel({ text: 1, image: 2, video: 3 });
    const samples = Array.from({ length: 7 }, (_, i) =>
      tinySample(String(i), i, { text: i, image: i, video: i }),
    );
    await evaluate(model, samples, { batchSize: 3, ablation: true }); // warm up
    const before = tf.memory().numTensors;
    await evaluate(model, samples, { batchSize: 3, ablation: true });
    expect(tf.memory().numTensors).toBe(before);
    const bad = [
      ...samples,
      {
        ...tinySample('x', 1, { text: 1 }),
        image: { data: new Float32Array(12), shape: [2, 2, 3] as [number, number, number] },
      },
    ];
    await expect(evaluate(model, bad, { batchSize: 3 })).rejects.toMatchObject({ code: 'REELSET_E_SHAPE' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives zeros for an empty set and checks its options', async () => {
    const model = tinyModel();
    const r = await evaluate(model, [], { ablation: true });
    expect(r).toMatchObject({ samples: 0, accuracy: 0, top5: 0, macroF1: 0 });
    expect(r.perClass).toHaveLength(31);
    expect(r.ablation?.video.samples).toBe(0);
    await expect(evaluate(model, [], { batchSize: 0 })).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
    await expect(evaluate(model, [], { ablation: 'yes' as never })).rejects.toThrow(
      /ablation must be true or false/,
    );
    const outOfRange = [tinySample('z', 40, { text: 1 })];
    await expect(evaluate(model, outOfRange)).rejects.toThrow(
      /label must be an integer from 0 to 30, got 40/,
    );
  });
});
