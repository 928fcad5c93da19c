// The CommonJS twin of types-tf.mts (compiled against the .d.cts files).
import type { BackendChoice, TfBatch } from 'reelset/tf';

import tf = require('@tensorflow/tfjs');
import reelset = require('reelset');
import reelsetTf = require('reelset/tf');

const { openDataset } = reelset;
const { selectBackend, toTfDataset } = reelsetTf;

async function main(): Promise<void> {
  const choice: BackendChoice = await selectBackend({ prefer: 'wasm' });
  const train = openDataset('data', { text: true, image: { height: 32, width: 32 } }).cache();
  const ds: tf.data.Dataset<TfBatch> = toTfDataset(train, { batchSize: 2, labels: 'one-hot' });
  await ds.forEachAsync(({ xs, ys }) => {
    const labels: tf.Tensor = ys;
    tf.dispose([labels, ...Object.values(xs)]);
  });
  console.log(choice.kind, tf.memory().numTensors);
}

void main();
