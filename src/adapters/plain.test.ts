import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_DECODE, smallSet } from '../../test/adapters-helpers.js';
import { isReelsetError } from '../errors.js';
import { openDataset } from '../loaders/open.js';
import { toPlain } from './plain.js';

describe('toPlain', () => {
  let root = '';
  let cleanup = async (): Promise<void> => {};
  beforeAll(async () => {
    ({ root, cleanup } = await smallSet());
  });
  afterAll(() => cleanup());

  it('yields native values; json: true round-trips through JSON.stringify', async () => {
    const decoded = openDataset(root, SMALL_DECODE).cache();
    const samples = await decoded.toArray();
    const json = await toPlain(decoded, { json: true }).toArray();
    const raw = await toPlain(decoded).toArray();
    expect(json).toHaveLength(samples.length);
    for (const [i, p] of json.entries()) {
      const s = samples[i] as (typeof samples)[number];
      expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      expect(Array.isArray(p.tokens)).toBe(true);
      expect(p.tokens).toEqual(Array.from(s.tokens));
      expect(p.image?.data).toEqual(Array.from(s.image.data));
      expect(p.image?.shape).toEqual([8, 12, 3]);
      expect(p.video?.data).toEqual(Array.from(s.video.data));
      expect(p.video?.timesSec).toEqual(s.video.timesSec);
      expect({ id: p.id, label: p.label, labelId: p.labelId, brief: p.brief }).toEqual({
        id: s.id,
        label: s.label,
        labelId: s.labelId,
        brief: s.brief,
      });
      // without json, typed arrays are shared, not copied; the sample itself is untouched
      expect(raw[i]?.tokens).toBe(s.tokens);
      expect(raw[i]?.image?.data).toBe(s.image.data);
      expect(s.tokens).toBeInstanceOf(Int32Array);
    }
  });

  it('checks its options', () => {
    try {
      toPlain(openDataset(root), { json: 'yes' as never });
      expect.unreachable();
    } catch (err) {
      expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    }
  });
});
