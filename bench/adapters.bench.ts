/**
 * @module adapters.bench — samples/s through each adapter (plain, ndarray, tf.data) against the plain decoded
 * Dataset in the same run, and memory over 20,000 samples.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/adapters/backend.js';
import { collateBatches } from '../src/adapters/collate.js';
import { toNdarray } from '../src/adapters/ndarray.js';
import { toPlain } from '../src/adapters/plain.js';
import { toTfDataset } from '../src/adapters/tf-data.js';
import type { Dataset } from '../src/loaders/dataset/dataset.js';
import { openDataset } from '../src/loaders/open.js';
import type { Sample } from '../src/loaders/sample.js';
import { synthesize } from '../src/synth/index.js';
import { type BenchResult, median, now, result, secondsSince } from './harness.js';

const BATCH = 16;
const RUNS = 5;
const MEMORY_SAMPLES = 20_000;
const DECODE = {
  text: true,
  image: { height: 64, width: 64 },
  video: { frames: 4, height: 64, width: 64 },
} as const;

let tensorsMax = 0;

type Consumer = (ds: Dataset<Sample>) => Promise<number>;

const consumers: Record<string, Consumer> = {
  plain: async (ds) => {
    let n = 0;
    for await (const _ of toPlain(ds)) n++;
    return n;
  },
  ndarray: async (ds) => {
    let n = 0;
    for await (const b of toNdarray(ds, { batchSize: BATCH, layout: 'channels-first' })) n += b.size;
    return n;
  },
  collate: async (ds) => {
    let n = 0;
    for await (const b of collateBatches(ds, { batchSize: BATCH })) n += b.size;
    return n;
  },
  'tf.data': async (ds) => {
    let n = 0;
    await toTfDataset(ds, { batchSize: BATCH }).forEachAsync((batch) => {
      n += ((batch as { ys: tf.Tensor }).ys.shape[0] as number) ?? 0;
      tensorsMax = Math.max(tensorsMax, tf.memory().numTensors);
      tf.dispose(batch);
    });
    return n;
  },
};

async function baseline(ds: Dataset<Sample>): Promise<number> {
  let n = 0;
  for await (const _ of ds) n++;
  return n;
}

async function rate(fn: () => Promise<number>): Promise<number> {
  const start = now();
  const n = await fn();
  return n / secondsSince(start);
}

export default async function bench(): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'reelset-bench-adapters-'));
  try {
    const report = await synthesize(root, { perLabel: 2, seconds: 1, seed: 11 });
    const backend = await selectBackend();
    const decoded = openDataset(root, DECODE) as unknown as Dataset<Sample>;
    const count = await baseline(decoded); // warm-up (and the vocabulary)
    const rows: BenchResult[] = [];
    const pairs: Record<string, { adapter: number[]; bare: number[]; ratio: number[] }> = {};
    for (const name of Object.keys(consumers)) pairs[name] = { adapter: [], bare: [], ratio: [] };
    // Rounds of adjacent pairs (bare pass, adapter pass): the machine's drift touches both of a pair alike.
    for (let i = 0; i < RUNS; i++) {
      for (const [name, consume] of Object.entries(consumers)) {
        const p = pairs[name] as { adapter: number[]; bare: number[]; ratio: number[] };
        const bare = await rate(() => baseline(decoded));
        const adapter = await rate(() => consume(decoded));
        p.bare.push(bare);
        p.adapter.push(adapter);
        p.ratio.push(adapter / bare);
      }
    }
    for (const [name, p] of Object.entries(pairs)) {
      rows.push(
        result({
          name: `adapters: ${name} over decoding (${count} samples)`,
          reelset: median(p.adapter),
          peer: median(p.bare),
          ratio: median(p.ratio),
          goal: 0.9,
          unit: 'samples/s',
          notes: `peer = the same decoded Dataset iterated bare (text + 64x64 cover + 4x64x64 frames, ${report.items.length} items); ${RUNS} rounds of adjacent (bare, adapter) passes; ratio = median over pairs of adapter rate / bare rate; batch ${BATCH}; tfjs backend ${backend.kind}. adapter ${p.adapter.map((r) => r.toFixed(1)).join(', ')}; bare ${p.bare.map((r) => r.toFixed(1)).join(', ')}`,
        }),
      );
    }

    // Memory: 20,000 samples from the decoded set cached in memory, repeated, through each adapter.
    const cached = decoded.cache();
    await cached.toArray();
    const repeated = cached.repeat().take(MEMORY_SAMPLES) as Dataset<Sample>;
    const growth: Record<string, number> = {};
    const rates: Record<string, number> = {};
    const tensorsBefore = tf.memory().numTensors;
    tensorsMax = tensorsBefore;
    for (const [name, consume] of Object.entries(consumers)) {
      let warm = 0;
      let seen = 0;
      const watched = repeated.map((s) => {
        seen++;
        if (seen === 2000) warm = process.memoryUsage().rss;
        return s;
      });
      rates[name] = await rate(() => consume(watched));
      growth[name] = (process.memoryUsage().rss - warm) / (1024 * 1024);
    }
    const rawRate = await rate(() => baseline(repeated));
    const worst = Math.max(...Object.values(growth), 0.01);
    rows.push(
      result({
        name: `adapters: RSS growth over ${MEMORY_SAMPLES.toLocaleString('en')} samples (worst adapter)`,
        reelset: worst,
        peer: 64,
        ratio: 64 / worst,
        goal: 1,
        unit: 'MB',
        notes: `RSS after 2,000 samples (warm-up) to the end, per adapter: ${Object.entries(growth)
          .map(([k, v]) => `${k} ${v.toFixed(1)} MB`)
          .join(
            ', ',
          )}; limit 64 MB (ratio = 64 / worst). numTensors before ${tensorsBefore}, max during (one batch held) ${tensorsMax}, after ${tf.memory().numTensors}. In-memory rates (cached samples, no decoding; collation copies every pixel): ${Object.entries(
          rates,
        )
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')} samples/s; bare ${rawRate.toFixed(0)} samples/s`,
      }),
    );
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
