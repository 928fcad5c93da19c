/**
 * @module shards.test — shards end to end: packing a synthesized set, reading it from disk, from the
 * fault-injecting HTTP server and from a real S3-compatible server (s3rver on 127.0.0.1): exact partition
 * over 4 ranks x 2 workers, exact resume, bad shards recorded, sha256 mismatch, Python's tarfile with
 * WebDataset's grouping rule, decoding (MP4 members and pre-decoded frames), flat memory and no open handle.
 */
import { spawnSync } from 'node:child_process';
import { cp, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSize } from '../src/cli/pack.js';
import { decodeVideo } from '../src/loaders/decode/video.js';
import type { Skip } from '../src/loaders/sample.js';
import type { ShardIndex, ShardManifest } from '../src/loaders/shards/format.js';
import { openShards } from '../src/loaders/shards/open-shards.js';
import { mergeShards, packShards } from '../src/loaders/shards/pack.js';
import { synthesize } from '../src/synth/index.js';
import { tempDir } from './helpers.js';
import { startServer, type TestServer } from './server.js';

const require = createRequire(import.meta.url);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let shards: string;
let manifest: ShardManifest;

beforeAll(async () => {
  tmp = await tempDir('shards');
  await synthesize(join(tmp.path, 'data'), {
    labels: ['Beach', 'City', 'Green Screen', 'Sea'],
    perLabel: 6,
    seconds: 0.3,
    seed: 3,
    concurrency: 2,
  });
  shards = join(tmp.path, 'shards');
  // About 2 samples a shard: 12 shards of 24 samples.
  const report = await packShards(join(tmp.path, 'data'), { out: shards, shardSize: 110_000, seed: 1 });
  manifest = JSON.parse(await readFile(join(shards, 'manifest.json'), 'utf8')) as ShardManifest;
  expect(report.shardCount).toBe(manifest.shards.length);
}, 120_000);

afterAll(() => tmp.remove());

/** The keys of one pass of every (rank, worker) of a 4 x 2 job, per reader. */
async function keysByReader(url: string, options: object, epoch = 0): Promise<string[][]> {
  const out: string[][] = [];
  for (let rank = 0; rank < 4; rank++) {
    for (let worker = 0; worker < 2; worker++) {
      const ds = openShards(url, { ...options, seed: 7, shard: { rank, worldSize: 4, worker, workers: 2 } })
        .repeat(epoch + 1)
        .skip(0);
      const keys: string[] = [];
      let n = 0;
      for await (const s of ds) {
        n++;
        // only the last epoch
        keys.push(`${n}:${s.key}`);
      }
      const perEpoch = keys.length / (epoch + 1);
      out.push(keys.slice(epoch * perEpoch).map((k) => k.split(':')[1] as string));
    }
  }
  return out;
}

/** Open handles (files, sockets, servers), once the events of closed ones have run. */
async function openHandles(): Promise<string[]> {
  await new Promise((resolve) => setImmediate(resolve));
  return process
    .getActiveResourcesInfo()
    .filter((r) => r !== 'Timeout' && r !== 'TTYWrap' && r !== 'Immediate')
    .sort();
}

/** The open handles once at most `limit` remain, or after 100 turns of 20 ms (then the test fails on them). */
async function closedDown(limit: number): Promise<string[]> {
  for (let turn = 0; turn < 100; turn++) {
    const now = await openHandles();
    if (now.length <= limit) return now;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return openHandles();
}

describe('packing', () => {
  it('writes shards, indexes and a manifest with counts, seed, preprocessing and sha256', async () => {
    expect(manifest).toMatchObject({
      format: 'reelset-shards',
      version: 1,
      seed: 1,
      preprocessing: { decoded: false },
    });
    expect(manifest.samples).toBe(24);
    expect(manifest.labels).toEqual({ Beach: 6, City: 6, 'Green Screen': 6, Sea: 6 });
    expect(manifest.shards.every((s) => /^[0-9a-f]{64}$/.test(s.sha256))).toBe(true);
    const index = JSON.parse(await readFile(join(shards, 'shard-000000.json'), 'utf8')) as ShardIndex;
    const tar = await readFile(join(shards, 'shard-000000.tar'));
    const first = index.samples[0];
    const [, data, size] = first?.members.json ?? [0, 0, 0];
    expect(JSON.parse(tar.subarray(data, data + size).toString()).id).toBe(first?.id);
    expect(Object.keys(first?.members ?? {})).toEqual(['json', 'jpg', 'mp4']);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('64MiB')).toBe(2 ** 26);
  });

  it('resumes an interrupted packing without rewriting finished shards, and merges ranks', async () => {
    const out = join(tmp.path, 'ranked');
    const r1 = await packShards(join(tmp.path, 'data'), {
      out,
      shardSize: 110_000,
      seed: 1,
      rank: 1,
      worldSize: 2,
    });
    await expect(mergeShards(out)).rejects.toThrow(/ranks 0 of 2 have not finished/);
    const r0 = await packShards(join(tmp.path, 'data'), {
      out,
      shardSize: 110_000,
      seed: 1,
      rank: 0,
      worldSize: 2,
    });
    expect(r0.written.length + r1.written.length).toBe(manifest.shards.length);
    const again = await packShards(join(tmp.path, 'data'), {
      out,
      shardSize: 110_000,
      seed: 1,
      rank: 0,
      worldSize: 2,
    });
    expect(again.written).toEqual([]);
    expect(again.kept).toEqual(r0.written);
    const merged = (await mergeShards(out)).manifest;
    expect(merged.shards.map((s) => s.sha256)).toEqual(manifest.shards.map((s) => s.sha256));
  });
});

describe('reading local shards', () => {
  it('4 ranks x 2 workers read every sample exactly once per epoch (epochs 0 and 1)', async () => {
    const all =
      manifest.shards.length > 0 ? (await openShards(shards).toArray()).map((s) => s.key).sort() : [];
    expect(all).toHaveLength(24);
    for (const epoch of [0, 1]) {
      const readers = await keysByReader(shards, {}, epoch);
      expect(readers.flat().sort()).toEqual(all);
      const perRank = [0, 1, 2, 3].map(
        (r) => (readers[2 * r]?.length ?? 0) + (readers[2 * r + 1]?.length ?? 0),
      );
      expect(Math.max(...perRank) - Math.min(...perRank)).toBeLessThanOrEqual(1);
    }
  });

  it('a reader stopped mid-epoch and resumed from its state continues identically', async () => {
    const ds = openShards(shards, { seed: 3, shuffleBuffer: 4, shard: { rank: 1, worldSize: 2 } }).repeat(3);
    const full = (await ds.toArray()).map((s) => s.key);
    for (const stop of [1, 5, full.length - 3]) {
      const it = ds[Symbol.asyncIterator]();
      const head: string[] = [];
      for (let i = 0; i < stop; i++) head.push(((await it.next()).value as { key: string }).key);
      const state = JSON.parse(JSON.stringify(it.state()));
      await it.return?.();
      const rest = (await ds.resume(state).toArray()).map((s) => s.key);
      expect([...head, ...rest]).toEqual(full);
    }
  });

  it('decodes MP4 members like files, and pre-decoded frames without ffmpeg', async () => {
    const skips: Skip[] = [];
    const decoded = await openShards(shards, {
      image: { height: 32, width: 32 },
      video: { frames: 2, height: 24, width: 24 },
      onSkip: (s) => skips.push(s),
    })
      .take(3)
      .toArray();
    expect(skips).toEqual([]);
    expect(decoded[0]?.video.shape).toEqual([2, 24, 24, 3]);
    expect(decoded[0]?.image.shape).toEqual([32, 32, 3]);
    expect(decoded[0]?.source.mp4).toMatch(/shard-\d+\.tar#\d\d_\d+\.mp4$/);
    const pre = join(tmp.path, 'decoded');
    await packShards(join(tmp.path, 'data'), {
      out: pre,
      shardSize: 50_000,
      decoded: { frames: 2, size: 24 },
      labels: ['Beach'],
    });
    const frames = await openShards(pre, { video: true }).toArray();
    expect(frames).toHaveLength(6);
    const one = frames[0];
    const direct = await decodeVideo(join(tmp.path, 'data', 'Beach', one?.id ?? '', `${one?.id}.mp4`), {
      frames: 2,
      height: 24,
      width: 24,
    });
    expect(Buffer.from(one?.video.data ?? []).equals(Buffer.from(direct.data))).toBe(true);
    const floats = await openShards(pre, {
      video: { dtype: 'float32', normalize: 'unit', layout: 'channels-first' },
    })
      .take(1)
      .toArray();
    expect(floats[0]?.video.shape).toEqual([2, 3, 24, 24]);
    expect(() => openShards(pre, { video: { frames: 3 } })).not.toThrow(); // checked when a pass starts
    await expect(openShards(pre, { video: { frames: 3 } }).toArray()).rejects.toThrow(
      /frames decoded with frames 2/,
    );
  });

  it('Python tarfile with WebDataset grouping gives the same samples', () => {
    const script = `
import tarfile, json, sys, os, re
out = []
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    if not name.endswith('.tar'): continue
    with tarfile.open(os.path.join(d, name)) as tar:
        groups = {}
        order = []
        for m in tar:
            base = os.path.basename(m.name)
            key, ext = base.split('.', 1)
            key = os.path.join(os.path.dirname(m.name), key)
            if key not in groups: groups[key] = {}; order.append(key)
            groups[key][ext] = tar.extractfile(m).read()
        for key in order:
            g = groups[key]
            meta = json.loads(g['json'])
            out.append({'key': key, 'id': meta['id'], 'label': meta['label'], 'exts': sorted(g), 'mp4': len(g.get('mp4', b''))})
print(json.dumps(out))
`;
    const py = spawnSync('/usr/bin/python3', ['-c', script, shards], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const got = JSON.parse(py.stdout) as {
      key: string;
      id: string;
      label: string;
      exts: string[];
      mp4: number;
    }[];
    return openShards(shards, { shuffleBuffer: 1 })
      .toArray()
      .then((samples) => {
        const mine = samples.map((s) => ({
          key: s.key,
          id: s.id,
          label: s.label,
          exts: ['jpg', 'json', 'mp4'],
          mp4: s.media?.mp4?.length,
        }));
        const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
        expect(got.sort(byKey)).toEqual(mine.sort(byKey));
      });
  });

  it('memory stays flat while streaming 20+ shards, and no handle is left open after a pass', async () => {
    const many = join(tmp.path, 'many');
    await packShards(join(tmp.path, 'data'), { out: many, shardSize: 40_000 });
    const count = (JSON.parse(await readFile(join(many, 'manifest.json'), 'utf8')) as ShardManifest).shards
      .length;
    expect(count).toBeGreaterThanOrEqual(20);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const handles = await openHandles();
    const fds = (await readdir('/proc/self/fd')).length;
    const heap: number[] = [];
    for (let pass = 0; pass < 6; pass++) {
      let n = 0;
      for await (const s of openShards(many, { prefetch: 3 })) n += s.media?.mp4 ? 1 : 0;
      expect(n).toBe(24);
      gc();
      heap.push(process.memoryUsage().heapUsed);
      expect(await openHandles()).toEqual(handles);
      expect((await readdir('/proc/self/fd')).length).toBe(fds);
    }
    // Flat: the last passes use no more heap than the second (within 4 MiB).
    expect(Math.max(...heap.slice(2)) - (heap[1] as number)).toBeLessThan(4 << 20);
  });
});

describe('bad shards', () => {
  async function copyShards(name: string): Promise<string> {
    const dir = join(tmp.path, name);
    await cp(shards, dir, { recursive: true });
    return dir;
  }

  it('a truncated shard is a recorded error naming shard and member; the epoch goes on', async () => {
    const dir = await copyShards('truncated');
    const victim = manifest.shards[3];
    const index = JSON.parse(await readFile(join(dir, 'shard-000003.json'), 'utf8')) as ShardIndex;
    const last = index.samples.at(-1);
    const [, data] = last?.members.mp4 ?? [0, 0];
    await truncate(join(dir, 'shard-000003.tar'), data + 100);
    const skips: Skip[] = [];
    const samples = await openShards(dir, { onSkip: (s) => skips.push(s) }).toArray();
    expect(samples).toHaveLength(23);
    expect(skips).toHaveLength(1);
    expect(skips[0]?.code).toBe('REELSET_E_SHARD');
    expect(skips[0]?.where).toBe(`${victim?.name}#${last?.key}.mp4`);
    expect(skips[0]?.reason).toMatch(/truncated in member/);
    await expect(openShards(dir, { onError: 'throw' }).toArray()).rejects.toMatchObject({
      code: 'REELSET_E_SHARD',
      member: `${last?.key}.mp4`,
    });
  });

  it('a corrupt header names its member (from the shard index); the epoch goes on', async () => {
    const dir = await copyShards('corrupt');
    const index = JSON.parse(await readFile(join(dir, 'shard-000005.json'), 'utf8')) as ShardIndex;
    const second = index.samples[1];
    const [header] = second?.members.jpg ?? [0];
    const tar = await readFile(join(dir, 'shard-000005.tar'));
    tar[header + 130] = 0x39; // a non-octal digit in the size field
    await writeFile(join(dir, 'shard-000005.tar'), tar);
    const skips: Skip[] = [];
    const samples = await openShards(dir, { onSkip: (s) => skips.push(s) }).toArray();
    expect(samples.length).toBe(24 - (index.samples.length - 1));
    expect(skips[0]?.where).toBe(`shard-000005.tar#${second?.key}.jpg`);
  });

  it('a sha256 mismatch against the manifest is detected', async () => {
    const dir = await copyShards('sha');
    const index = JSON.parse(await readFile(join(dir, 'shard-000002.json'), 'utf8')) as ShardIndex;
    const [, data] = index.samples[0]?.members.mp4 ?? [0, 0];
    const tar = await readFile(join(dir, 'shard-000002.tar'));
    tar[data + 50] = (tar[data + 50] as number) ^ 0xff;
    await writeFile(join(dir, 'shard-000002.tar'), tar);
    const skips: Skip[] = [];
    const samples = await openShards(dir, { onSkip: (s) => skips.push(s) }).toArray();
    expect(samples).toHaveLength(24);
    expect(skips).toEqual([
      expect.objectContaining({
        where: 'shard-000002.tar',
        code: 'REELSET_E_SHARD',
        reason: expect.stringMatching(/sha256 [0-9a-f]{64} does not match/),
      }),
    ]);
  });
});

describe('remote shards', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ root: shards, random: { rate: 0.3, seed: 11, maxPerPath: 2 } });
  });
  afterAll(() => server.close());

  it('HTTP with injected faults: 4 ranks x 2 workers read every sample exactly once', async () => {
    const local = await keysByReader(shards, {});
    const remote = await keysByReader(server.url('/'), { retryBaseMs: 1 });
    expect(remote).toEqual(local);
    expect(server.log.some((r) => r.fault !== undefined)).toBe(true);
    expect(server.log.some((r) => r.range !== undefined)).toBe(true);
  });

  it('HTTP with a local cache: verified shards are read from disk on the next epoch', async () => {
    const cache = join(tmp.path, 'cache');
    const ds = openShards(server.url('/'), { retryBaseMs: 1, cache: { dir: cache, maxBytes: 200_000 } });
    expect(await ds.toArray()).toHaveLength(24);
    const files = (await readdir(cache)).filter((f) => f.endsWith('.tar'));
    expect(files.length).toBeGreaterThan(0);
    const total = (await Promise.all(files.map((f) => readFile(join(cache, f))))).reduce(
      (n, b) => n + b.length,
      0,
    );
    expect(total).toBeLessThanOrEqual(200_000 + 2 * 110_000); // shards in use are kept
  });

  it('S3 (s3rver on 127.0.0.1): exact partition, resume, no socket left open', async () => {
    const S3rver = require('s3rver') as new (
      o: object,
    ) => { run(): Promise<{ port: number }>; close(): Promise<void> };
    const s3dir = await tempDir('s3rver');
    const s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3dir.path,
      configureBuckets: [{ name: 'data' }],
    });
    const { port } = await s3.run();
    const endpoint = `http://127.0.0.1:${port}`;
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    try {
      for (const name of await readdir(shards)) {
        await client.send(
          new PutObjectCommand({
            Bucket: 'data',
            Key: `reelset/shards/${name}`,
            Body: await readFile(join(shards, name)),
          }),
        );
      }
      client.destroy();
      const options = { endpoint, forcePathStyle: true };
      const handles = await openHandles();
      expect(await keysByReader('s3://data/reelset/shards', options)).toEqual(await keysByReader(shards, {}));
      // Closed sockets leave the list once both ends (the server runs in this process) have seen the FIN.
      expect((await closedDown(handles.length)).length).toBeLessThanOrEqual(handles.length);
      const ds = openShards('s3://data/reelset/shards/', { ...options, seed: 2 }).repeat(2);
      const full = (await ds.toArray()).map((s) => s.key);
      const it = ds[Symbol.asyncIterator]();
      const head: string[] = [];
      for (let i = 0; i < 30; i++) head.push(((await it.next()).value as { key: string }).key);
      const state = JSON.parse(JSON.stringify(it.state()));
      await it.return?.();
      expect([...head, ...(await ds.resume(state).toArray()).map((s) => s.key)]).toEqual(full);
      expect((await closedDown(handles.length)).length).toBeLessThanOrEqual(handles.length);
    } finally {
      client.destroy();
      await s3.close();
      await s3dir.remove();
    }
  });
});
