/**
 * @module reelset-loader — reelset's side of bench/peers.bench.ts, in a process of its own so that its peak RSS
 * is its own: `node --import tsx bench/peers/reelset-loader.ts ROOT {plain,ndarray,tf.data} PASSES BATCH`
 * opens the set with tokens, a 224x224 float32 cover and 8 uniform 112x112 float32 frames, iterates it PASSES
 * times through the adapter in batches of BATCH, and prints one line `RESULT {json}`: the seconds of each pass
 * (timed inside the process), samples per pass, VmHWM, CPU seconds over the passes of itself and of its reaped
 * ffmpeg and ffprobe children, and (plain only) the frame indices decoded for each clip.
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { toNdarray } from '../../src/adapters/ndarray.js';
import { toPlain } from '../../src/adapters/plain.js';
import { buildVocab } from '../../src/loaders/decode/text.js';
import { openDataset } from '../../src/loaders/open.js';
import { now, secondsSince } from '../harness.js';
import { cpuTimes, procKiB } from './proc.js';

const [root, adapter, passesArg, batchArg] = process.argv.slice(2) as [string, string, string, string];
const passes = Number(passesArg);
const batchSize = Number(batchArg);
/** The synthesized clips' frame rate: frame index = round(time * 24000 / 1001). */
const RATE = 24000 / 1001;

// The vocabulary is built before the clock starts, as the Python peer builds its own in its constructor.
const vocab = await buildVocab(openDataset(root));
const dataset = openDataset(root, {
  text: { vocab },
  image: { height: 224, width: 224, dtype: 'float32', normalize: 'unit' },
  video: { frames: 8, height: 112, width: 112, dtype: 'float32', normalize: 'unit' },
});
const wanted: Record<string, number[]> = {};
let backend = '';
// tf.data: tfjs, its backend and the adapter are loaded before the clock too (the peers import torch first).
const tfData =
  adapter === 'tf.data'
    ? {
        tf: (await import('@tensorflow/tfjs')) as typeof Tfjs,
        toTfDataset: (await import('../../src/adapters/tf-data.js')).toTfDataset,
      }
    : undefined;

/** One pass through the adapter; the number of samples seen. */
async function pass(first: boolean): Promise<number> {
  let n = 0;
  if (adapter === 'plain') {
    for await (const batch of toPlain(dataset).batch(batchSize)) {
      n += batch.length;
      if (first) {
        for (const s of batch) {
          if (s.source.mp4 && s.video)
            wanted[s.source.mp4] = s.video.timesSec.map((t) => Math.round(t * RATE));
        }
      }
    }
  } else if (adapter === 'ndarray') {
    for await (const b of toNdarray(dataset, { batchSize })) n += b.size;
  } else if (tfData) {
    const { tf, toTfDataset } = tfData;
    await toTfDataset(dataset, { batchSize }).forEachAsync((batch) => {
      n += (batch as { ys: Tfjs.Tensor }).ys.shape[0] ?? 0;
      tf.dispose(batch);
    });
  } else {
    throw new Error(`unknown adapter ${adapter}`);
  }
  return n;
}

if (adapter === 'tf.data') {
  const { selectBackend } = await import('../../src/adapters/backend.js');
  backend = (await selectBackend()).kind;
}
const seconds: number[] = [];
const samples: number[] = [];
const before = cpuTimes();
for (let p = 0; p < passes; p++) {
  const start = now();
  samples.push(await pass(p === 0));
  seconds.push(secondsSince(start));
}
const cpu = cpuTimes();
console.log(
  `RESULT ${JSON.stringify({
    seconds,
    samples,
    vmHwmKiB: procKiB('self', 'status', 'VmHWM'),
    cpuSelf: cpu.self - before.self,
    cpuChildren: cpu.children - before.children,
    backend,
    wanted,
  })}`,
);
