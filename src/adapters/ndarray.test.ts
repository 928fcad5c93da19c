import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_DECODE, smallSet } from '../../test/adapters-helpers.js';
import { openDataset } from '../loaders/open.js';
import { collate } from './collate.js';
import { batchToNdarray, toNdarray } from './ndarray.js';

describe('toNdarray', () => {
  let root = '';
  let cleanup = async (): Promise<void> => {};
  beforeAll(async () => {
    ({ root, cleanup } = await smallSet());
  });
  afterAll(() => cleanup());

  it('views the collated buffers without copying', async () => {
    const samples = await openDataset(root, SMALL_DECODE).take(4).toArray();
    const batch = collate(samples);
    const views = batchToNdarray(batch);
    expect(views.tokens?.data).toBe(batch.tokens?.data);
    expect(views.image?.data).toBe(batch.image?.data);
    expect(views.video?.data).toBe(batch.video?.data);
    expect(views.labels.data).toBe(batch.labels);
    expect(views.masks.image?.data).toBe(batch.masks.image);
    expect(views.tokens?.dtype).toBe('int32');
    expect(views.image?.dtype).toBe('uint8');
    expect(views.labels.dtype).toBe('int32');
    expect(views.masks.video?.dtype).toBe('uint8');
  });

  it('yields NCHW / NTCHW batches whose elements are the samples pixels', async () => {
    const decoded = openDataset(root, SMALL_DECODE).cache();
    const samples = await decoded.toArray();
    const batches = await toNdarray(decoded, {
      batchSize: 5,
      dropRemainder: true,
      layout: 'channels-first',
    }).toArray();
    expect(batches).toHaveLength(2);
    let i = 0;
    for (const b of batches) {
      expect(b.layout).toBe('channels-first');
      expect(b.image?.shape).toEqual([5, 3, 8, 12]);
      expect(b.video?.shape).toEqual([5, 2, 3, 6, 10]);
      expect(b.tokens?.shape).toEqual([5, 25]);
      for (let k = 0; k < b.size; k++, i++) {
        const s = samples[i] as (typeof samples)[number];
        expect(b.ids[k]).toBe(s.id);
        expect(b.labels.get(k)).toBe(s.labelId);
        expect(b.tokens?.get(k, 0)).toBe(s.tokens[0]);
        for (const [y, x, c] of [
          [0, 0, 0],
          [7, 11, 2],
          [3, 5, 1],
        ] as const) {
          expect(b.image?.get(k, c, y, x)).toBe(s.image.data[(y * 12 + x) * 3 + c]);
        }
        expect(b.video?.get(k, 1, 2, 5, 9)).toBe(s.video.data[1 * 180 + (5 * 10 + 9) * 3 + 2]);
      }
    }
  });
});
