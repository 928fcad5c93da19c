import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { oneHot, TINY, tinyModel, tinySample } from '../../test/baseline-eval-helpers.js';
import { collate } from '../adapters/collate.js';
import { Dataset } from '../loaders/dataset/dataset.js';
import { decodeSamples } from '../loaders/decode/stage.js';
import { LABELS } from '../loaders/layout/labels.js';
import type { Sample } from '../loaders/sample.js';
import { batchProbabilities, predict, predictBatch, predictions } from './predict.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('predict', () => {
  const model = (): tf.LayersModel => tinyModel({ text: 4, image: 2, video: 3 });

  it('gives id, label, labelId and the 31 probabilities in label-id order, per sample, in order', async () => {
    const m = model();
    const samples = Array.from({ length: 7 }, (_, i) =>
      tinySample(`id${i}`, 0, { text: i * 4, image: i * 4, video: (i * 4 + 1) % 31 }),
    );
    const out = await predict(m, samples, { batchSize: 3 });
    expect(out.map((p) => p.id)).toEqual(samples.map((s) => s.id));
    for (const [i, p] of out.entries()) {
      expect(p.labelId).toBe(i * 4);
      expect(p.label).toBe(LABELS[i * 4]?.name);
      expect(p.probabilities).toHaveLength(31);
      expect(p.probabilities.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      // logits: 6 on the label, 3 on the next one, 0 elsewhere.
      const e = 1 / (Math.exp(6) + Math.exp(3) + 29);
      expect(p.probabilities[i * 4]).toBeCloseTo(Math.exp(6) * e, 6);
      expect(p.probabilities[(i * 4 + 1) % 31]).toBeCloseTo(Math.exp(3) * e, 6);
      expect(p.probabilities[(i * 4 + 5) % 31]).toBeCloseTo(e, 6);
    }
    // The same from a Dataset, from the stream, and batch by batch.
    expect(await predict(m, Dataset.from(samples))).toEqual(out);
    const streamed = [];
    for await (const p of predictions(m, samples, { batchSize: 2 })) streamed.push(p);
    expect(streamed).toEqual(out);
    expect(await predictBatch(m, samples)).toEqual(out);
    expect(await predictBatch(m, collate(samples, { maxLength: TINY.length }))).toEqual(out);
  });

  it('feeds only the modalities asked for', async () => {
    const m = model();
    const s = [tinySample('a', 0, { text: 1, image: 2, video: 3 })];
    expect((await predictBatch(m, s))[0]?.labelId).toBe(1);
    expect((await predictBatch(m, s, { only: ['image'] }))[0]?.labelId).toBe(2);
    expect((await predictBatch(m, s, { only: ['video'] }))[0]?.labelId).toBe(3);
    expect((await predictBatch(m, s, { only: ['image', 'video'] }))[0]?.labelId).toBe(3);
    const none = await predictBatch(m, s, { only: [] });
    expect(new Set(none[0]?.probabilities).size).toBe(1); // every input zero: a uniform row
    expect(none[0]?.labelId).toBe(0);
    await expect(predictBatch(m, s, { only: ['audio' as never] })).rejects.toThrow(/only must be an array/);
    // A masked branch is removed by its mask, not only by zero inputs: the cover's bias of 50 on label 7
    // wins wherever the cover's mask is 1.
    const biased = tinyModel({ text: 4, image: 2, video: 3, imageBias: oneHot(7, 50) });
    expect((await predictBatch(biased, s))[0]?.labelId).toBe(7);
    expect((await predictBatch(biased, s, { only: ['text', 'video'] }))[0]?.labelId).toBe(1);
  });

  it('pads or cuts token ids to the model text length, and takes uint8 pixels', async () => {
    const m = model();
    const long = tinySample('long', 0, { tokens: [0, 0, 0, 0, 9 + 1, 5] }); // token 10 lies past L = 4
    const short = tinySample('short', 0, { tokens: [0, 6] });
    const [a, b] = await predictBatch(m, [long, short]);
    expect(a?.probabilities.every((v) => v === a.probabilities[0])).toBe(true); // only padding seen
    expect(b?.labelId).toBe(5);
    const s = tinySample('u', 0, { image: 4 });
    const image = s.image as NonNullable<Sample['image']>;
    s.image = { ...image, data: Uint8Array.from(image.data) };
    expect((await predictBatch(m, [s]))[0]?.labelId).toBe(4);
  });

  it('decodes raw samples with the preprocessing first', async () => {
    const m = tinyModel({ headKernel: 'zeros', headBias: oneHot(3, 10) });
    const raw: Sample[] = ['sunny beach', 'night city', 'beach at night'].map((brief, i) => ({
      id: String(i),
      label: 'Beach',
      labelId: 8,
      brief,
      durationSec: null,
      source: {},
    }));
    const preprocessing = { text: { maxLength: 3 } };
    const decoded = await decodeSamples(Dataset.from(raw), preprocessing).toArray();
    expect(decoded[0]?.tokens).toHaveLength(3);
    const direct = await predict(m, decoded);
    expect(await predict(m, raw, { preprocessing })).toEqual(direct);
    expect(await predict(m, Dataset.from(raw), { preprocessing })).toEqual(direct);
    expect(direct.map((p) => p.label)).toEqual(['Aerial', 'Aerial', 'Aerial']);
  });

  it('says which input does not fit, and disposes every tensor', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    const wrong = tinySample('w', 0, { text: 1 });
    wrong.image = { data: new Float32Array(8 * 8 * 3), shape: [8, 8, 3] };
    await expect(predictBatch(m, [wrong])).rejects.toMatchObject({
      code: 'REELSET_E_SHAPE',
      message: expect.stringMatching(
        /image is \[1, 8, 8, 3\], the model's input image_data takes \[null, 2, 6, 3\]: decode the samples with the model's preprocessing/,
      ),
    });
    const first = tinySample('f', 0, { image: 1 });
    await expect(predictBatch(m, collate([first], { layout: 'channels-first' }))).rejects.toThrow(
      /channels-last/,
    );
    expect(tf.memory().numTensors).toBe(before);
    await predict(m, [tinySample('ok', 0, { text: 1, image: 1, video: 1 })]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads custom input names, and refuses an input it does not know', async () => {
    const names = { text: 'tokens', image: 'cover', video: 'frames' };
    const custom = tinyModel({ text: 4, names });
    const s = [tinySample('a', 0, { text: 9 })];
    expect((await predictBatch(custom, s, { names }))[0]?.labelId).toBe(9);
    await expect(predictBatch(custom, s)).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
      message: expect.stringMatching(
        /the model has an input "tokens", which is none of text_data, text_data_mask/,
      ),
    });
    const labels = LABELS.map((l) => l.chinese);
    expect((await predictBatch(custom, s, { names, labels }))[0]?.label).toBe('商业');
    await expect(predictBatch(custom, s, { names, labels: ['a', 'b'] })).rejects.toThrow(
      /labels must be 31 strings/,
    );
    const { probabilities, numClasses } = await batchProbabilities(custom, collate(s), { names });
    expect(numClasses).toBe(31);
    expect(probabilities).toBeInstanceOf(Float32Array);
    expect(probabilities).toHaveLength(31);
  });
});
