/**
 * @module image.bench — the cover pipeline: decode + resize to 224x224 + float32 normalize over synthesized
 * 480x270 covers, reelset (decode stage, pool) against Pillow + numpy, against a bare sharp loop and against
 * a bare loop of its own engine (@napi-rs/image), which measures what the pipeline adds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FastResizeFilter, ResizeFit, Transformer } from '@napi-rs/image';
import sharp from 'sharp';
import { Dataset } from '../src/loaders/dataset/dataset.js';
import { COVERS_PER_POOL_THREAD, decodeSamples, threadPoolSize } from '../src/loaders/decode/stage.js';
import type { Sample } from '../src/loaders/sample.js';
import { coverJpeg } from '../src/synth/cover.js';
import { alternate, type BenchResult, hasCommand, median, now, result, secondsSince } from './harness.js';

const COVERS = 200;
const RUNS = 5;
/** Passes each way against Pillow, alternating one by one (the machine's load drifts). */
const PILLOW_PASSES = 15;
const SIZE = 224;
/** Debian's python3 (python3-pil, python3-numpy), not a pyenv shim without PIL. */
const PYTHON = '/usr/bin/python3';

/** One timed pass over the covers for each line read from stdin; the seconds of each, a line each. */
const PILLOW = `
import sys, time
import numpy as np
from PIL import Image
paths = sys.argv[1:]
def once():
    total = 0.0
    for path in paths:
        with Image.open(path) as im:
            a = np.asarray(im.convert('RGB').resize((${SIZE}, ${SIZE}), Image.BILINEAR), dtype=np.float32) / 255.0
        total += float(a[0, 0, 0])
    return total
for line in sys.stdin:
    start = time.perf_counter()
    once()
    print(time.perf_counter() - start, flush=True)
`;

/** A Pillow process kept running: `pass()` asks it for one timed pass and gives its seconds. */
function startPillow(paths: string[]): { pass: () => Promise<number>; stop: () => Promise<void> } {
  const child = spawn(PYTHON, ['-c', PILLOW, ...paths], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async pass() {
      child.stdin.write('pass\n');
      const line = await lines.next();
      if (line.done) throw new Error('the Pillow process ended');
      return Number(line.value);
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

const IMAGE = { height: SIZE, width: SIZE, fit: 'fill', dtype: 'float32', normalize: 'unit' } as const;

/** One pass of the decode stage with its default concurrency. */
async function reelsetOnce(samples: Sample[]): Promise<number> {
  const start = now();
  let total = 0;
  for await (const s of decodeSamples(Dataset.from(samples), { image: IMAGE })) {
    total += s.image.data[0] as number;
  }
  if (!(total > 0)) throw new Error('reelset decoded nothing');
  return secondsSince(start);
}

/** The same work with sharp and nothing else: read, decode, resize (bilinear, fill), raw, to float32 / 255. */
async function bareOne(path: string): Promise<number> {
  const raw = await sharp(await readFile(path))
    .resize(SIZE, SIZE, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw()
    .toBuffer();
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i] as number) / 255;
  return out[0] as number;
}

/** The same work with @napi-rs/image and nothing else: read, decode + resize (bilinear, fill), to float32 / 255. */
async function engineOne(path: string): Promise<number> {
  const rgba = await new Transformer(await readFile(path))
    .fastResize({ width: SIZE, height: SIZE, filter: FastResizeFilter.Bilinear, fit: ResizeFit.Fill })
    .rawPixels();
  const out = new Float32Array((rgba.length / 4) * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    out[q] = (rgba[p] as number) / 255;
    out[q + 1] = (rgba[p + 1] as number) / 255;
    out[q + 2] = (rgba[p + 2] as number) / 255;
  }
  return out[0] as number;
}

/** Runs `one` over the paths, `concurrency` at a time; the seconds taken. */
async function loopOnce(
  one: (path: string) => Promise<number>,
  paths: string[],
  concurrency: number,
): Promise<number> {
  const start = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) await one(paths[next++] as string);
    }),
  );
  return secondsSince(start);
}

/** Runs the image benchmarks. */
export default async function imageBench(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(os.tmpdir(), 'reelset-bench-image-'));
  try {
    const paths: string[] = [];
    for (let i = 0; i < COVERS; i++) {
      const path = join(dir, `${i + 1}.jpeg`);
      await writeFile(path, await coverJpeg(i % 31, 1000 + i));
      paths.push(path);
    }
    const samples: Sample[] = paths.map((jpeg, i) => ({
      id: String(i + 1),
      label: 'Beach',
      labelId: 8,
      brief: '',
      durationSec: null,
      source: { jpeg },
    }));
    const concurrency = COVERS_PER_POOL_THREAD * threadPoolSize();
    const rows: BenchResult[] = [];
    const note = `${COVERS} covers 480x270 (synthesized), -> ${SIZE}x${SIZE} bilinear fill, float32 / 255; ${concurrency} covers in flight (the decode stage's default: ${COVERS_PER_POOL_THREAD} x libuv's pool of ${threadPoolSize()} threads) on ${os.availableParallelism()} cores; median of ${RUNS} alternating runs after a warm-up, timed inside each process`;

    await reelsetOnce(samples);
    const peers = [
      { name: 'bare sharp', one: bareOne, what: 'the same sharp calls (libvips linear kernel)' },
      { name: 'bare @napi-rs/image', one: engineOne, what: "reelset's own engine with nothing around it" },
    ];
    for (const peer of peers) {
      await loopOnce(peer.one, paths, concurrency);
      const vs = await alternate(
        RUNS,
        () => reelsetOnce(samples),
        () => loopOnce(peer.one, paths, concurrency),
      );
      const sequential = median([await loopOnce(peer.one, paths, 1), await loopOnce(peer.one, paths, 1)]);
      const r = median(vs.a);
      const b = median(vs.b);
      rows.push(
        result({
          name: `cover: ${COVERS} decode+resize ${SIZE}² float32, vs ${peer.name}`,
          reelset: COVERS / r,
          peer: COVERS / b,
          ratio: b / r,
          goal: 0.9,
          unit: 'covers/s',
          notes: `ratio = peer s / reelset s; the peer loop runs ${peer.what} with the same concurrency (sequentially: ${(COVERS / sequential).toFixed(0)} covers/s). ${note}. reelset runs [${vs.a.map((x) => x.toFixed(3)).join(', ')}] s, peer [${vs.b.map((x) => x.toFixed(3)).join(', ')}] s`,
        }),
      );
    }

    if (await hasCommand(PYTHON)) {
      const pillow = startPillow(paths);
      let vs: { a: number[]; b: number[] };
      try {
        await pillow.pass(); // warm-up
        vs = await alternate(PILLOW_PASSES, () => reelsetOnce(samples), pillow.pass);
      } finally {
        await pillow.stop();
      }
      const mine = median(vs.a);
      const theirs = median(vs.b);
      rows.push(
        result({
          name: `cover: ${COVERS} decode+resize ${SIZE}² float32, vs Pillow+numpy`,
          reelset: COVERS / mine,
          peer: COVERS / theirs,
          ratio: theirs / mine,
          goal: 1.5,
          unit: 'covers/s',
          notes: `ratio = python s / reelset s; Pillow ${PYTHON}: Image.open -> convert('RGB') -> resize BILINEAR -> numpy float32 / 255, one process kept running, sequential; median of ${PILLOW_PASSES} passes each way, alternating pass by pass after a warm-up. reelset passes [${vs.a.map((x) => x.toFixed(3)).join(', ')}] s, Pillow [${vs.b.map((x) => x.toFixed(3)).join(', ')}] s. ${note}`,
        }),
      );
    } else {
      rows.push({
        name: `cover: vs Pillow+numpy`,
        reelset: Number.NaN,
        peer: Number.NaN,
        ratio: Number.NaN,
        goal: '>= 1.5',
        met: false,
        unit: 'covers/s',
        notes: `${PYTHON} not found: peer skipped`,
      });
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
