/**
 * @module shards.bench — an epoch over pre-decoded shards (`<key>.frames.u8`) against an epoch over MP4
 * shards decoded by ffmpeg (same samples, same frames: 8 at 112x112; covers are not decoded, in both), and an epoch of
 * raw samples read from a local S3 server (s3rver on 127.0.0.1) against the same shards on local disk.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { openShards } from '../src/loaders/shards/open-shards.js';
import { packShards } from '../src/loaders/shards/pack.js';
import { synthesize } from '../src/synth/index.js';
import { alternate, type BenchResult, median, result, timed } from './harness.js';

const require = createRequire(import.meta.url);
const RUNS = 3;

async function epoch(url: string, options: object): Promise<number> {
  const { seconds, result: n } = await timed(async () => {
    let count = 0;
    for await (const _ of openShards(url, options)) count++;
    return count;
  });
  return n / seconds;
}

export default async function bench(): Promise<BenchResult[]> {
  const tmp = await mkdtemp(join(os.tmpdir(), 'reelset-bench-shards-'));
  try {
    const data = join(tmp, 'data');
    await synthesize(data, {
      labels: ['Beach', 'City', 'Sea', 'Green Screen'],
      perLabel: 12,
      seconds: 2,
      seed: 1,
    });
    const mp4 = join(tmp, 'mp4');
    const decoded = join(tmp, 'decoded');
    await packShards(data, { out: mp4, shardSize: 2e6 });
    await packShards(data, { out: decoded, shardSize: 4e6, decoded: { frames: 8, size: 112 } });
    const runs = await alternate(
      RUNS,
      () => epoch(decoded, { video: true }),
      () => epoch(mp4, { video: { frames: 8, height: 112, width: 112 } }),
    );
    const pre = median(runs.a);
    const dec = median(runs.b);

    const S3rver = require('s3rver') as new (
      o: object,
    ) => { run(): Promise<{ port: number }>; close(): Promise<void> };
    const s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(tmp, 's3'),
      configureBuckets: [{ name: 'bench' }],
    });
    const { port } = await s3.run();
    const endpoint = `http://127.0.0.1:${port}`;
    process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
    const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    for (const name of await readdir(mp4)) {
      await client.send(
        new PutObjectCommand({ Bucket: 'bench', Key: `mp4/${name}`, Body: await readFile(join(mp4, name)) }),
      );
    }
    client.destroy();
    const io = await alternate(
      RUNS,
      () => epoch('s3://bench/mp4', { endpoint, forcePathStyle: true }),
      () => epoch(mp4, {}),
    );
    await s3.close();
    const remote = median(io.a);
    const local = median(io.b);
    return [
      result({
        name: 'shards: epoch over pre-decoded frames vs MP4 shards decoded by ffmpeg (48 samples, 8x112x112)',
        reelset: pre,
        peer: dec,
        ratio: pre / dec,
        goal: 10,
        unit: 'samples/s',
        notes: `ratio = pre-decoded samples/s / MP4 samples/s; runs ${runs.a.map((x) => x.toFixed(0))} vs ${runs.b.map((x) => x.toFixed(1))}`,
      }),
      result({
        name: 'shards: raw epoch from a local S3 server (s3rver) vs local disk (48 samples, 2 s clips)',
        reelset: remote,
        peer: local,
        ratio: remote / local,
        goal: 0,
        unit: 'samples/s',
        notes: `reported, no goal: ratio = S3 samples/s / disk samples/s; runs ${io.a.map((x) => x.toFixed(0))} vs ${io.b.map((x) => x.toFixed(0))}`,
      }),
    ];
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
