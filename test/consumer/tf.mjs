// An ESM program with its own @tensorflow/tfjs beside reelset/tf: one copy of tfjs, one engine (the
// backend reelset selects is the program's, reelset's tensors are the program's tf.Tensor). One JSON line.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from 'reelset';
import { selectBackend, toTfDataset } from 'reelset/tf';

const root = process.argv[2];
const choice = await selectBackend({ only: 'cpu' });
const dataset = openDataset(root, { text: true, image: { height: 32, width: 32 } });
const batches = [];
await toTfDataset(dataset, { batchSize: 2 }).forEachAsync(({ xs, ys }) => {
  batches.push({
    shapes: Object.entries(xs).map(([name, t]) => `${name} ${t.shape.join('x')}`),
    ys: ys.shape.join('x'),
    programTensors: [ys, ...Object.values(xs)].every((t) => t instanceof tf.Tensor),
  });
  tf.dispose([ys, ...Object.values(xs)]);
});
const require = createRequire(import.meta.url);
const fromReelset = createRequire(require.resolve('reelset')).resolve('@tensorflow/tfjs');
console.log(
  JSON.stringify({
    chosen: choice.kind,
    programBackend: tf.getBackend(),
    batches,
    tensorsLeft: tf.memory().numTensors,
    sameFile: fromReelset === require.resolve('@tensorflow/tfjs'),
  }),
);
