/** Memory through each adapter: 2,000 samples (a small decoded set repeated); RSS bounded, numTensors flat. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/adapters/backend.js';
import { collateBatches } from '../src/adapters/collate.js';
import { toNdarray } from '../src/adapters/ndarray.js';
import { toPlain } from '../src/adapters/plain.js';
import { toTfDataset } from '../src/adapters/tf-data.js';
import type { Dataset } from '../src/loaders/dataset/dataset.js';
import { openDataset } from '../src/loaders/open.js';
import type { Sample } from '../src/loaders/sample.js';
import { smallSet } from './adapters-helpers.js';

const TOTAL = 2000;
const MB = 1024 * 1024;

describe('adapters memory over 2,000 samples', () => {
  let cleanup = async (): Promise<void> => {};
  let repeated: Dataset<Sample>;
  beforeAll(async () => {
    const set = await smallSet();
    cleanup = set.cleanup;
    // 112x112 covers and 4 frames of 64x64: about 87 KB a sample, 174 MB over the run if anything leaked.
    const cached = openDataset(set.root, {
      text: true,
      image: { height: 112, width: 112 },
      video: { frames: 4, height: 64, width: 64 },
    }).cache();
    await cached.toArray();
    repeated = cached.repeat().take(TOTAL) as Dataset<Sample>;
    await selectBackend({ prefer: 'cpu' });
  });
  afterAll(() => cleanup());

  /** Runs `consume` over the batches; RSS after the first 10% (warm-up) and at the end. */
  async function measure(
    run: (onItem: (n: number) => void) => Promise<void>,
  ): Promise<{ growthMb: number; seen: number }> {
    let seen = 0;
    let warm = 0;
    await run((n) => {
      seen += n;
      if (warm === 0 && seen >= TOTAL / 10) warm = process.memoryUsage().rss;
    });
    return { growthMb: (process.memoryUsage().rss - warm) / MB, seen };
  }

  it('plain', async () => {
    const { growthMb, seen } = await measure(async (on) => {
      for await (const _ of toPlain(repeated)) on(1);
    });
    expect(seen).toBe(TOTAL);
    expect(growthMb).toBeLessThan(64);
  });

  it('collate and ndarray', async () => {
    const a = await measure(async (on) => {
      for await (const b of collateBatches(repeated, { batchSize: 16 })) on(b.size);
    });
    const b = await measure(async (on) => {
      for await (const batch of toNdarray(repeated, { batchSize: 16, layout: 'channels-first' }))
        on(batch.size);
    });
    expect(a.seen).toBe(TOTAL);
    expect(b.seen).toBe(TOTAL);
    expect(a.growthMb).toBeLessThan(64);
    expect(b.growthMb).toBeLessThan(64);
  });

  it('tf.data: numTensors flat, RSS bounded', async () => {
    const ds = toTfDataset(repeated, { batchSize: 16 });
    const before = tf.memory().numTensors;
    let maxTensors = 0;
    const { growthMb, seen } = await measure(async (on) => {
      await ds.forEachAsync((batch) => {
        const { ys } = batch as { ys: tf.Tensor };
        on(ys.shape[0] as number);
        maxTensors = Math.max(maxTensors, tf.memory().numTensors);
        tf.dispose(batch);
      });
    });
    expect(seen).toBe(TOTAL);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxTensors - before).toBeLessThanOrEqual(4); // one batch: 3 inputs + labels
    expect(growthMb).toBeLessThan(64);
  });
});
