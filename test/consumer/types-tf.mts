// A strict TypeScript program (nodenext, ESM) with its own @tensorflow/tfjs and reelset/tf; compiled with
// skipLibCheck false, not run.
import * as tf from '@tensorflow/tfjs';
import { openDataset } from 'reelset';
import { type BackendChoice, selectBackend, type TfBatch, toTfDataset } from 'reelset/tf';

const choice: BackendChoice = await selectBackend({ prefer: 'wasm' });
const train = openDataset('data', { text: true, image: { height: 32, width: 32 } }).cache();
const ds: tf.data.Dataset<TfBatch> = toTfDataset(train, { batchSize: 2, labels: 'one-hot' });
await ds.forEachAsync(({ xs, ys }) => {
  const labels: tf.Tensor = ys;
  tf.dispose([labels, ...Object.values(xs)]);
});
console.log(choice.kind, tf.memory().numTensors);
