/**
 * @module predict — `reelset predict MODEL_DIR|MODEL.onnx ROOT|ITEM_DIR`: the label a trained model (a
 * model directory run by tfjs, or an exported `.onnx` file run by onnxruntime) gives each sample of a data
 * set root, or of one item folder (`ROOT/<label>/<id>`), as a table or one JSON line a sample (`{id, label,
 * labelId, probabilities}`, probabilities in label-id order).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Prediction } from '../baseline/predict.js';
import { ReelsetError } from '../errors.js';
import type { Dataset } from '../loaders/dataset/dataset.js';
import { isLabel } from '../loaders/layout/labels.js';
import type { Sample } from '../loaders/sample.js';
import { table } from './format.js';
import { fixed, loadTrained } from './model-data.js';
import { checkLayoutRoot, integerOption } from './options.js';

interface PredictCliOptions {
  json?: boolean;
  batchSize: number;
  concurrency?: number;
}

/**
 * What an input path is: a data set root, or an item folder `ROOT/<label>/<id>` (its root, label and id).
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when it does not exist; `REELSET_E_INVALID_ARGUMENT` for a
 *   file, or a label folder.
 */
async function resolveInput(input: string): Promise<{ root: string; item?: { label: string; id: string } }> {
  let isDir = false;
  try {
    isDir = (await stat(input)).isDirectory();
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `${input} does not exist`, { cause: err });
  }
  const resolved = path.resolve(input);
  const label = path.basename(path.dirname(resolved));
  if (isDir && isLabel(label) && !isLabel(path.basename(resolved))) {
    return { root: path.dirname(path.dirname(resolved)), item: { label, id: path.basename(resolved) } };
  }
  await checkLayoutRoot(input);
  return { root: input };
}

/**
 * The predictions of `samples` by the model at `model`: an `.onnx` file through `OnnxClassifier` (which
 * provider runs it goes to standard error), else a model directory through tfjs.
 */
async function* modelPredictions(
  model: string,
  samples: Dataset<Sample>,
  o: PredictCliOptions,
): AsyncGenerator<Prediction> {
  if (model.toLowerCase().endsWith('.onnx')) {
    const { OnnxClassifier } = await import('../onnx.js');
    const classifier = await OnnxClassifier.load(model);
    const skipped = classifier.tried.map((t) => `; ${t.provider} not used: ${t.reason}`).join('');
    process.stderr.write(`onnxruntime: ${classifier.provider}${skipped}\n`);
    try {
      yield* classifier.predictions(samples, {
        batchSize: o.batchSize,
        ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      });
    } finally {
      await classifier.release();
    }
    return;
  }
  const { readBaselineInfo } = await import('../baseline/model-dir.js');
  await readBaselineInfo(model);
  const { predictions } = await import('../baseline.js');
  const { loaded, decode } = await loadTrained(model, o.concurrency);
  yield* predictions(loaded.model, samples, {
    preprocessing: decode,
    labels: loaded.labels,
    batchSize: o.batchSize,
  });
}

/**
 * Adds `predict MODEL_DIR|MODEL.onnx ROOT|ITEM_DIR [--json] [--batch-size N] [--concurrency N]` to the
 * program.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerPredict(program);
 * await program.parseAsync(['node', 'reelset', 'predict', 'runs/1', 'data/Beach/99945958', '--json']);
 * ```
 */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('The label a trained model gives each sample of a data set root or of one item folder')
    .argument(
      '<model>',
      'a model directory written by reelset train, or an .onnx file written by reelset export',
    )
    .argument('<input>', 'a data set root, or one item folder ROOT/<label>/<id>')
    .option('--json', 'one JSON line a sample: {id, label, labelId, probabilities} (label-id order)')
    .option('--batch-size <n>', 'samples a forward pass', integerOption('--batch-size', 1, 65_536), 32)
    .option('--concurrency <n>', 'samples decoded at once', integerOption('--concurrency', 1, 1024))
    .action(async (model: string, input: string, o: PredictCliOptions) => {
      const { root, item } = await resolveInput(input);
      const { openDataset } = await import('../loaders/open.js');
      const listed =
        item === undefined
          ? openDataset(root)
          : openDataset(root, { labels: [item.label] }).filter((s) => s.id === item.id);
      const trueLabels = new Map<string, string>();
      const samples = listed.map((s) => {
        trueLabels.set(s.id, s.label);
        return s;
      });
      const rows: string[][] = [['id', 'label', 'predicted', 'probability']];
      let n = 0;
      for await (const p of modelPredictions(model, samples, o)) {
        n++;
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify({ id: p.id, label: p.label, labelId: p.labelId, probabilities: p.probabilities })}\n`,
          );
        } else {
          rows.push([
            p.id,
            trueLabels.get(p.id) ?? '?',
            p.label,
            fixed(p.probabilities[p.labelId] ?? Number.NaN),
          ]);
        }
      }
      if (n === 0) {
        throw new ReelsetError(
          'REELSET_E_INVALID_ARGUMENT',
          item === undefined ? `${input}: no sample to predict` : `${input}: not a readable item folder`,
        );
      }
      if (!o.json) process.stdout.write(`${table(rows, { right: [3] }).join('\n')}\n`);
    });
}
