/**
 * @module tfdata-train — trains a tiny late-fusion model with `model.fitDataset` on a `toTfDataset` stream.
 *
 * Text: bag of words (one-hot of the token ids, max over the sequence) -> Dense. Cover: global average
 * pooling -> Dense. Both run on every TensorFlow.js backend (wasm has no kernels to train convolutions or
 * embeddings). Run: `node --import tsx examples/tfdata-train.ts [DATA_DIR] [EPOCHS]` after `npm run build`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildVocab, openDataset } from 'reelset';
import { synthesize } from 'reelset/synth';
import { selectBackend, toTfDataset } from 'reelset/tf';

/** One-hot of int token ids, max over the sequence: `[B, L]` -> `[B, depth]` (0, the padding id, dropped). */
class BagOfWords extends tf.layers.Layer {
  static readonly className = 'BagOfWords';
  constructor(private readonly depth: number) {
    super({});
  }
  override computeOutputShape(shape: tf.Shape): tf.Shape {
    return [shape[0] ?? null, this.depth];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs, 'int32');
      const bag = tf.max(tf.oneHot(ids as tf.Tensor2D, this.depth), 1);
      const notPad = tf.concat([tf.zeros([1]), tf.ones([this.depth - 1])]);
      return tf.mul(bag, notPad);
    });
  }
}

const given = process.argv[2];
const epochs = Number(process.argv[3] ?? 12);
const root = given ?? (await mkdtemp(join(tmpdir(), 'reelset-example-')));
if (given === undefined) {
  await synthesize(root, { labels: ['Beach', 'City', 'Sea', 'stars'], perLabel: 6, seconds: 0.5, seed: 3 });
}

try {
  const backend = await selectBackend();
  console.log(`backend ${backend.kind} (${backend.reason})`);

  const vocab = await buildVocab(openDataset(root));
  const depth = vocab.oovId + 1;
  // Decode once and cache: every epoch of fitDataset is a fresh pass over the cached samples.
  const samples = openDataset(root, {
    text: { vocab },
    image: { height: 16, width: 16, dtype: 'float32', normalize: 'unit' },
  }).cache();
  const train = toTfDataset(samples.shuffle({ seed: 1, bufferSize: 64 }), { batchSize: 8 });

  const text = tf.input({ shape: [25], dtype: 'int32', name: 'text_data' });
  const image = tf.input({ shape: [16, 16, 3], name: 'image_data' });
  const t = tf.layers.dense({ units: 16, activation: 'relu' }).apply(new BagOfWords(depth).apply(text));
  const i = tf.layers
    .dense({ units: 16, activation: 'relu' })
    .apply(tf.layers.globalAveragePooling2d({}).apply(image));
  const fused = tf.layers.concatenate().apply([t as tf.SymbolicTensor, i as tf.SymbolicTensor]);
  const out = tf.layers.dense({ units: 31, activation: 'softmax', name: 'video_label' }).apply(fused);
  const model = tf.model({ inputs: [text, image], outputs: out as tf.SymbolicTensor });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });

  const before = tf.memory().numTensors;
  const history = await model.fitDataset(train, {
    epochs,
    verbose: 0,
    callbacks: {
      onEpochEnd: (epoch, logs) => {
        console.log(
          `epoch ${epoch + 1} loss ${logs?.loss?.toFixed(4)} acc ${logs?.acc?.toFixed(4)} tensors ${tf.memory().numTensors}`,
        );
      },
    },
  });
  const losses = history.history.loss as number[];
  const accs = history.history.acc as number[];
  console.log(
    `first_loss ${losses[0]?.toFixed(4)} last_loss ${losses.at(-1)?.toFixed(4)} last_acc ${accs.at(-1)?.toFixed(4)}`,
  );
  console.log(`tensors before ${before} after ${tf.memory().numTensors}`);
  model.dispose();
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  if (given === undefined) await rm(root, { recursive: true, force: true });
}
