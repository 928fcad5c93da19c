// The CommonJS twin of tf.mjs.
const tf = require('@tensorflow/tfjs');
const { openDataset } = require('reelset');
const { selectBackend, toTfDataset } = require('reelset/tf');

async function main() {
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
  const fromReelset = require('node:module')
    .createRequire(require.resolve('reelset'))
    .resolve('@tensorflow/tfjs');
  console.log(
    JSON.stringify({
      chosen: choice.kind,
      programBackend: tf.getBackend(),
      batches,
      tensorsLeft: tf.memory().numTensors,
      sameFile: fromReelset === require.resolve('@tensorflow/tfjs'),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
