import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_DECODE, smallSet } from '../../test/adapters-helpers.js';
import { thrownCode as code } from '../../test/helpers.js';
import { Dataset } from '../loaders/dataset/dataset.js';
import { openDataset } from '../loaders/open.js';
import type { Sample } from '../loaders/sample.js';
import { collate, collateBatches } from './collate.js';

function sample(id: string, extra: Partial<Sample> = {}): Sample {
  return { id, label: 'Beach', labelId: 8, brief: '', durationSec: null, source: {}, ...extra };
}

function hwc(h: number, w: number, c: number, start: number): Uint8Array {
  return Uint8Array.from({ length: h * w * c }, (_, i) => (start + i) % 251);
}

describe('collate (hand-made samples)', () => {
  it('pads tokens to the longest, masks a missing modality with zeros', () => {
    const b = collate([
      sample('1', { tokens: Int32Array.of(5, 6, 7), image: { data: hwc(2, 2, 3, 1), shape: [2, 2, 3] } }),
      sample('2', { labelId: 3, tokens: Int32Array.of(9) }),
    ]);
    expect(b.size).toBe(2);
    expect(b.ids).toEqual(['1', '2']);
    expect(Array.from(b.labels)).toEqual([8, 3]);
    expect(b.labels).toBeInstanceOf(Int32Array);
    expect(b.tokens?.shape).toEqual([2, 3]);
    expect(Array.from(b.tokens?.data ?? [])).toEqual([5, 6, 7, 9, 0, 0]);
    expect(b.image?.shape).toEqual([2, 2, 2, 3]);
    expect(Array.from(b.image?.data.subarray(0, 12) ?? [])).toEqual(Array.from(hwc(2, 2, 3, 1)));
    expect(Array.from(b.image?.data.subarray(12) ?? []).every((v) => v === 0)).toBe(true);
    expect(Array.from(b.masks.tokens ?? [])).toEqual([1, 1]);
    expect(Array.from(b.masks.image ?? [])).toEqual([1, 0]);
    expect(b.video).toBeUndefined();
    expect(b.masks.video).toBeUndefined();
    expect(b.layout).toBe('channels-last');
  });

  it('truncates and pads to maxLength', () => {
    const b = collate(
      [sample('1', { tokens: Int32Array.of(1, 2, 3, 4) }), sample('2', { tokens: Int32Array.of(5) })],
      {
        maxLength: 2,
      },
    );
    expect(b.tokens?.shape).toEqual([2, 2]);
    expect(Array.from(b.tokens?.data ?? [])).toEqual([1, 2, 5, 0]);
  });

  it('transposes HWC to CHW and back, for images and videos', () => {
    const data = hwc(2, 3, 3, 10);
    const b = collate([sample('1', { image: { data, shape: [2, 3, 3] } })], { layout: 'channels-first' });
    expect(b.layout).toBe('channels-first');
    expect(b.image?.shape).toEqual([1, 3, 2, 3]);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 2; y++)
        for (let x = 0; x < 3; x++) {
          expect(b.image?.data[c * 6 + y * 3 + x]).toBe(data[(y * 3 + x) * 3 + c]);
        }
    const chw = { data: b.image?.data as Uint8Array, shape: [3, 2, 3] as [number, number, number] };
    const back = collate([sample('1', { image: { ...chw, layout: 'channels-first' } })], {
      layout: 'channels-last',
    });
    expect(back.image?.shape).toEqual([1, 2, 3, 3]);
    expect(Array.from(back.image?.data ?? [])).toEqual(Array.from(data));
    // Without `layout`, the batch keeps the layout the samples carry: nothing is transposed.
    const kept = collate([sample('1', { image: { ...chw, layout: 'channels-first' } })]);
    expect(kept.layout).toBe('channels-first');
    expect(kept.image?.shape).toEqual([1, 3, 2, 3]);
    expect(Array.from(kept.image?.data ?? [])).toEqual(Array.from(chw.data));
    // Samples that disagree on their layout cannot be stacked.
    const mixed = () =>
      collate([
        sample('1', { image: { ...chw, layout: 'channels-first' } }),
        sample('2', { image: { data, shape: [2, 3, 3], layout: 'channels-last' } }),
      ]);
    expect(mixed).toThrow(/image of sample 2 is channels-last, sample 1 is channels-first/);
    expect(code(mixed)).toBe('REELSET_E_SHAPE');

    const frames = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i / 2);
    const v = collate([sample('1', { video: { data: frames, shape: [2, 2, 2, 3], timesSec: [0, 1] } })], {
      layout: 'channels-first',
    });
    expect(v.video?.shape).toEqual([1, 2, 3, 2, 2]);
    expect(v.video?.data).toBeInstanceOf(Float32Array);
    // frame 1, channel 2, pixel (1, 0)
    expect(v.video?.data[1 * 12 + 2 * 4 + 2]).toBe(frames[1 * 12 + 2 * 3 + 2]);
  });

  it('refuses disagreeing shapes and dtypes with REELSET_E_SHAPE', () => {
    const a = sample('1', { image: { data: hwc(2, 2, 3, 0), shape: [2, 2, 3] } });
    const wrongShape = sample('2', { image: { data: hwc(2, 3, 3, 0), shape: [2, 3, 3] } });
    const wrongType = sample('3', { image: { data: new Float32Array(12), shape: [2, 2, 3] } });
    const wrongLength = sample('4', { image: { data: new Uint8Array(5), shape: [2, 2, 3] } });
    expect(code(() => collate([a, wrongShape]))).toBe('REELSET_E_SHAPE');
    expect(code(() => collate([a, wrongType]))).toBe('REELSET_E_SHAPE');
    expect(code(() => collate([a, wrongLength]))).toBe('REELSET_E_SHAPE');
    expect(code(() => collate([]))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => collate([a], { layout: 'nchw' as never }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => collate([a], { maxLength: 0 }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => collateBatches(Dataset.from([a]), { batchSize: 0 }))).toBe(
      'REELSET_E_INVALID_ARGUMENT',
    );
  });
});

describe('collateBatches (synthesized, decoded)', () => {
  let root = '';
  let cleanup = async (): Promise<void> => {};
  beforeAll(async () => {
    ({ root, cleanup } = await smallSet());
  });
  afterAll(() => cleanup());

  it('gives columns equal to the samples they came from, and handles dropRemainder', async () => {
    const decoded = openDataset(root, SMALL_DECODE).cache();
    const samples = await decoded.toArray();
    expect(samples).toHaveLength(12);
    const batches = await collateBatches(decoded, { batchSize: 5 }).toArray();
    expect(batches.map((b) => b.size)).toEqual([5, 5, 2]);
    expect(await collateBatches(decoded, { batchSize: 5, dropRemainder: true }).toArray()).toHaveLength(2);
    let i = 0;
    for (const b of batches) {
      expect(b.tokens?.shape).toEqual([b.size, 25]);
      expect(b.image?.shape).toEqual([b.size, 8, 12, 3]);
      expect(b.video?.shape).toEqual([b.size, 2, 6, 10, 3]);
      expect(b.image?.data).toBeInstanceOf(Uint8Array);
      for (let k = 0; k < b.size; k++, i++) {
        const s = samples[i] as (typeof samples)[number];
        expect(b.ids[k]).toBe(s.id);
        expect(b.labels[k]).toBe(s.labelId);
        expect(Array.from(b.tokens?.data.subarray(k * 25, (k + 1) * 25) ?? [])).toEqual(Array.from(s.tokens));
        const ip = 8 * 12 * 3;
        expect(Buffer.from(b.image?.data.subarray(k * ip, (k + 1) * ip) ?? [])).toEqual(
          Buffer.from(s.image.data),
        );
        const vp = 2 * 6 * 10 * 3;
        expect(Buffer.from(b.video?.data.subarray(k * vp, (k + 1) * vp) ?? [])).toEqual(
          Buffer.from(s.video.data),
        );
        expect(b.masks.image?.[k]).toBe(1);
      }
    }
    expect(i).toBe(12);
  });
});
