/**
 * @module onnx/testing — test support for the exporter's tests (not part of the package): parity of an
 * exported model against tfjs `predict` with onnxruntime-node, and one batched run of the ONNX checker.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { mulberry32 } from '../util/random.js';
import { modelToOnnx, type OnnxExportOptions } from './export.js';

/** Debian's python3 with python3-onnx (the checker); absent on machines without the package. */
const PYTHON = '/usr/bin/python3';

/**
 * Whether `/usr/bin/python3` can import onnx (Debian's python3-onnx): the checker tests need it.
 *
 * @example
 * ```ts
 * it.skipIf(!HAS_ONNX_CHECKER)('passes the ONNX checker', () => {});
 * ```
 */
export const HAS_ONNX_CHECKER = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

/**
 * What the names of the checker's tests end with: nothing when the checker is there, else why they are
 * skipped (every other assertion of those files still runs).
 *
 * @example
 * ```ts
 * it.skipIf(!HAS_ONNX_CHECKER)(`passes the ONNX checker${CHECKER_ABSENT}`, () => {});
 * ```
 */
export const CHECKER_ABSENT = HAS_ONNX_CHECKER
  ? ''
  : ` (skipped: ${PYTHON} cannot import onnx; install Debian's python3-onnx, as .ci/run does)`;

/** The folder this process writes its exported models into (for the checker). */
const OUT = mkdtempSync(path.join(tmpdir(), 'reelset-onnx-'));
const written: string[] = [];

/**
 * Sets every weight of `model` to seeded random values in [-0.6, 0.6) (moving variances in [0.3, 0.9)), so
 * that biases and statistics are not the initializers' zeros and ones. Returns the model.
 *
 * @example
 * ```ts
 * const model = randomize(tf, tf.model({ inputs: x, outputs: y }), 1);
 * ```
 */
export function randomize(tf: typeof Tfjs, model: Tfjs.LayersModel, seed: number): Tfjs.LayersModel {
  let s = seed;
  for (const layer of model.layers) {
    const names = layer.weights.map((w) => w.originalName);
    const values = layer.getWeights().map((w, i) => {
      s += 1;
      const r = tf.randomUniform(w.shape, -0.6, 0.6, 'float32', s);
      return names[i]?.endsWith('moving_variance') ? tf.tidy(() => r.abs().add(0.3)) : r;
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/**
 * Per input name, a generator of element values (flat index, random in [0, 1)); the default draws floats in
 * [-2, 2) and int32 ids in 0..9.
 *
 * @example
 * ```ts
 * const gen: InputValues = { text_data: (_, r) => Math.floor(r * 42) };
 * ```
 */
export type InputValues = Record<string, (index: number, random: number) => number>;

/**
 * Options of {@link parity}.
 *
 * @example
 * ```ts
 * await parity(tf, model, 'dense', { batches: [1, 3, 8] });
 * ```
 */
export interface ParityOptions {
  batches?: readonly number[];
  values?: InputValues;
  export?: OnnxExportOptions;
}

/**
 * Exports `model`, runs it with onnxruntime-node and with tfjs `predict` on the same random inputs at each
 * batch size, and returns the largest absolute difference per output (Infinity for a NaN). The file is kept
 * for {@link checkWrittenModels}.
 *
 * @example
 * ```ts
 * const diffs = await parity(tf, model, 'dense');
 * expect(Math.max(...Object.values(diffs))).toBeLessThanOrEqual(1e-4);
 * ```
 */
export async function parity(
  tf: typeof Tfjs,
  model: Tfjs.LayersModel,
  name: string,
  options: ParityOptions = {},
): Promise<Record<string, number>> {
  const ort = await import('onnxruntime-node');
  const bytes = modelToOnnx(model, options.export);
  const file = path.join(OUT, `${name.replace(/[^\w.-]+/g, '_')}.onnx`);
  writeFileSync(file, bytes);
  written.push(file);
  const session = await ort.InferenceSession.create(bytes);
  const diffs: Record<string, number> = Object.fromEntries(session.outputNames.map((n) => [n, 0]));
  const random = mulberry32(written.length);
  for (const batch of options.batches ?? [1, 3, 8]) {
    const feeds: Record<string, Tfjs.Tensor> = {};
    const onnxFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const input of model.inputs) {
      const inputName = input.sourceLayer.name;
      const shape = [batch, ...(input.shape.slice(1) as number[])];
      const size = shape.reduce((a, b) => a * b, 1);
      const gen = options.values?.[inputName];
      const draw = (k: number): number => {
        const r = random();
        if (gen !== undefined) return gen(k, r);
        return input.dtype === 'int32' ? Math.floor(r * 10) : r * 4 - 2;
      };
      const data =
        input.dtype === 'int32'
          ? Int32Array.from({ length: size }, (_, k) => draw(k))
          : Float32Array.from({ length: size }, (_, k) => draw(k));
      feeds[inputName] = tf.tensor(data, shape, input.dtype as 'int32' | 'float32');
      onnxFeeds[inputName] = new ort.Tensor(input.dtype === 'int32' ? 'int32' : 'float32', data, shape);
    }
    const predicted = tf.tidy(() => {
      const out = model.predict(model.inputs.map((t) => feeds[t.sourceLayer.name] as Tfjs.Tensor));
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
    tf.dispose(Object.values(feeds));
    const results = await session.run(onnxFeeds);
    session.outputNames.forEach((outName, o) => {
      const expected = predicted[o] as Float32Array;
      const actual = results[outName]?.data as Float32Array;
      let max = actual.length === expected.length ? 0 : Number.POSITIVE_INFINITY;
      for (let k = 0; k < expected.length; k++) {
        const d = Math.abs((expected[k] as number) - (actual[k] as number));
        max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(max, d);
      }
      diffs[outName] = Math.max(diffs[outName] as number, max);
    });
  }
  await session.release();
  return diffs;
}

/**
 * Runs the ONNX checker with full shape inference (`onnx.checker.check_model(m, full_check=True)`) on
 * every model {@link parity} wrote in this process, in one python process; returns the failures as
 * `file: message` lines (none when every model passes).
 *
 * @example
 * ```ts
 * expect(checkWrittenModels()).toEqual([]);
 * ```
 */
export function checkWrittenModels(): string[] {
  const script = [
    'import onnx, sys',
    'for f in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(f), full_check=True)',
    '    except Exception as e:',
    "        print(f + ': ' + str(e).replace(chr(10), ' '))",
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script, ...written], { encoding: 'utf8' });
  if (run.status !== 0) return [`python exited ${run.status}: ${run.stderr}`];
  return run.stdout.split('\n').filter((line) => line !== '');
}

/**
 * Writes `figures` (max abs difference per case) as JSON to `$REELSET_ONNX_PARITY/<test file name>.json`
 * when that variable names a folder: the source of the table in docs/onnx.md. Does nothing otherwise.
 *
 * @example
 * ```ts
 * afterAll(() => saveFigures(import.meta.filename, figures));
 * ```
 */
export function saveFigures(testFile: string, figures: Record<string, number>): void {
  const dir = process.env.REELSET_ONNX_PARITY;
  if (dir)
    writeFileSync(
      path.join(dir, `${path.basename(testFile, '.ts')}.json`),
      `${JSON.stringify(figures, null, 2)}\n`,
    );
}
