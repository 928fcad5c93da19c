/**
 * @module ndarray-onnx — ndarray batches (NCHW, no copy) into an onnxruntime-node session.
 *
 * The model is a tiny image classifier built by `onnx-model.ts` (ReduceMean -> MatMul -> Softmax, IR 8,
 * opset 17) until reelset's exporter exists. Run: `node --import tsx examples/ndarray-onnx.ts [DATA_DIR]`
 * after `npm run build`.
 *
 * onnxruntime-node is an optional peer of reelset, installed by whoever runs ONNX (`npm install
 * onnxruntime-node`; see docs/getting-started.md for CUDA), so it is imported where it is used, with an
 * error that says how to install it, rather than by a static import that fails with ERR_MODULE_NOT_FOUND.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset, toNdarray } from 'reelset';
import { synthesize } from 'reelset/synth';
import { imageClassifierOnnx } from './onnx-model.js';

const ort = await import('onnxruntime-node').catch((err: unknown) => {
  throw new Error(
    'this example needs onnxruntime-node, which is not installed: npm install onnxruntime-node ' +
      '(CPU only: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node)',
    { cause: err },
  );
});

const given = process.argv[2];
const root = given ?? (await mkdtemp(join(tmpdir(), 'reelset-example-')));
if (given === undefined)
  await synthesize(root, { labels: ['Beach', 'City', 'Sea'], perLabel: 2, seconds: 0.5 });

try {
  const session = await ort.InferenceSession.create(imageClassifierOnnx({ classes: 31 }));
  console.log(`session inputs ${session.inputNames.join(',')} outputs ${session.outputNames.join(',')}`);
  // float32 in [0, 1], channels-last from the decoder; the batch is transposed to NCHW for the model.
  const decoded = openDataset(root, {
    image: { height: 32, width: 32, dtype: 'float32', normalize: 'unit' },
  });
  for await (const b of toNdarray(decoded, { batchSize: 4, layout: 'channels-first' })) {
    const image = b.image;
    if (image === undefined) throw new Error('no image column');
    // The ndarray's buffer goes to onnxruntime as is: no copy.
    const input = new ort.Tensor('float32', image.data as Float32Array, image.shape);
    const { video_label: probs } = await session.run({ image_data: input });
    if (probs === undefined) throw new Error('no output');
    const data = probs.data as Float32Array;
    const k = probs.dims[1] as number;
    const sums: string[] = [];
    for (let i = 0; i < b.size; i++)
      sums.push(
        data
          .subarray(i * k, (i + 1) * k)
          .reduce((a, x) => a + x, 0)
          .toFixed(4),
      );
    console.log(`batch input ${image.shape.join('x')} output ${probs.dims.join('x')} sums ${sums.join(',')}`);
  }
  await session.release();
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  if (given === undefined) await rm(root, { recursive: true, force: true });
}
