/**
 * @module evaluate — `reelset evaluate MODEL_DIR ROOT`: a trained model's accuracy, top-5 and macro-F1 on
 * the test split of a data set root (the split recorded in the model directory by `reelset train`), or on
 * the whole root with `--all`, with the per-modality ablation; `--json`, `--confusion FILE.png`.
 */
import type { Command } from 'commander';
import type { EvaluationResult } from '../baseline/evaluate.js';
import { ReelsetError } from '../errors.js';
import { checkExtension, checkOutputFile } from '../util/files.js';
import { count, table } from './format.js';
import { fixed, loadTrained, recordedSplit } from './model-data.js';
import { checkLayoutRoot, integerOption } from './options.js';

interface EvaluateCliOptions {
  all?: boolean;
  json?: boolean;
  confusion?: string;
  batchSize: number;
  concurrency?: number;
}

/**
 * The text report of `reelset evaluate`: the metrics, then one row a modality alone (the ablation).
 *
 * @example
 * ```ts
 * process.stdout.write(formatEvaluation(result, 'test split (0.8/0.1/0.1, seed 1)'));
 * ```
 */
export function formatEvaluation(result: EvaluationResult, what: string): string {
  const rows: string[][] = [['inputs', 'accuracy', 'top-5', 'macro-F1']];
  const row = (name: string, m: { accuracy: number; top5: number; macroF1: number }): string[] => [
    name,
    fixed(m.accuracy),
    fixed(m.top5),
    fixed(m.macroF1),
  ];
  rows.push(row('all three', result));
  if (result.ablation !== undefined) {
    rows.push(row('text only', result.ablation.text));
    rows.push(row('cover only', result.ablation.image));
    rows.push(row('video only', result.ablation.video));
  }
  const out = [`${what}: ${count(result.samples, 'sample')}`, ...table(rows, { right: [1, 2, 3] })];
  return `${out.join('\n')}\n`;
}

/**
 * Adds `evaluate MODEL_DIR ROOT [--all] [--json] [--confusion FILE.png] [--batch-size N] [--concurrency N]`
 * to the program.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerEvaluate(program);
 * await program.parseAsync(['node', 'reelset', 'evaluate', 'runs/1', 'data', '--json']);
 * ```
 */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      "Accuracy, top-5, macro-F1 and the per-modality ablation of a trained model on ROOT's test split",
    )
    .argument('<model-dir>', 'a model directory written by reelset train')
    .argument('<root>', 'the data set root folder')
    .option('--all', 'evaluate every sample of ROOT, not only the test split recorded in the model directory')
    .option('--json', 'print the metrics as one JSON object (perClass, confusion and ablation included)')
    .option('--confusion <file.png>', 'write the confusion matrix as a PNG (the file must end in .png)')
    .option('--batch-size <n>', 'samples a forward pass', integerOption('--batch-size', 1, 65_536), 32)
    .option('--concurrency <n>', 'samples decoded at once', integerOption('--concurrency', 1, 1024))
    .action(async (modelDir: string, root: string, o: EvaluateCliOptions) => {
      if (o.confusion !== undefined) {
        checkExtension('--confusion', o.confusion, ['.png'], 'a PNG picture');
        await checkOutputFile(o.confusion, 'the --confusion file');
      }
      const { readBaselineInfo } = await import('../baseline/model-dir.js');
      const info = await readBaselineInfo(modelDir);
      await checkLayoutRoot(root);
      const [{ evaluate, writeConfusionPng }, { openDataset }] = await Promise.all([
        import('../baseline.js'),
        import('../loaders/open.js'),
      ]);
      const { loaded, decode } = await loadTrained(modelDir, o.concurrency);
      const split = recordedSplit(info.metrics, info.training?.options.seed);
      const all = openDataset(root);
      const data = o.all ? all : all.split(split).test;
      const what = o.all
        ? `${root}, every sample`
        : `${root}, test split (${split.train}/${split.validation}/${split.test} by id, seed ${split.seed})`;
      const result = await evaluate(loaded.model, data, {
        preprocessing: decode,
        labels: loaded.labels,
        batchSize: o.batchSize,
        ablation: true,
      });
      if (result.samples === 0) {
        throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', `${what}: no sample to evaluate`);
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ data: o.all ? 'all' : { split }, ...result })}\n`);
      } else {
        process.stdout.write(formatEvaluation(result, what));
      }
      if (o.confusion !== undefined) {
        const size = await writeConfusionPng(result, o.confusion);
        (o.json ? process.stderr : process.stdout).write(
          `confusion: ${o.confusion} (${size.width}x${size.height})\n`,
        );
      }
    });
}
