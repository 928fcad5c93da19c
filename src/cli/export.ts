/**
 * @module export — `reelset export MODEL_DIR --out model.onnx [--triton REPO_DIR]`: a trained model
 * directory as one `.onnx` file (labels, preprocessing and vocabulary in its metadata), and optionally an
 * NVIDIA Triton model repository around it.
 */
import type { Command } from 'commander';
import { ReelsetError } from '../errors.js';
import { count } from './format.js';
import { integerOption } from './options.js';

interface ExportCliOptions {
  out?: string;
  opset?: number;
  triton?: string;
  name?: string;
  maxBatchSize?: number;
  instances?: number;
}

/**
 * Adds `export MODEL_DIR --out FILE.onnx [--opset N] [--triton REPO_DIR [--name NAME] [--max-batch-size N]
 * [--instances N]]` to the program. It prints the file, its size, inputs and outputs, and the Triton files.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerExport(program);
 * await program.parseAsync(['node', 'reelset', 'export', 'runs/1', '--out', 'runs/1.onnx']);
 * ```
 */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Export a trained model directory to ONNX (and an NVIDIA Triton model repository)')
    .argument('<model-dir>', 'a model directory written by reelset train')
    .option('--out <file>', 'the .onnx file to write (default: <model-dir>/model.onnx)')
    .option('--opset <n>', 'the ONNX opset, 13 to 17 (default 17)', integerOption('--opset', 13, 17))
    .option('--triton <repo-dir>', 'also write an NVIDIA Triton model repository there')
    .option('--name <name>', 'the model name in the Triton repository (default reelset_baseline)')
    .option(
      '--max-batch-size <n>',
      'Triton max_batch_size (default 64)',
      integerOption('--max-batch-size', 1, 1_048_576),
    )
    .option('--instances <n>', 'Triton instances a GPU (default 1)', integerOption('--instances', 1, 1024))
    .action(async (modelDir: string, o: ExportCliOptions) => {
      const path = await import('node:path');
      const [{ readBaselineInfo }, { loadTrained }, { exportOnnx, writeTritonRepository }] =
        await Promise.all([
          import('../baseline/model-dir.js'),
          import('./model-data.js'),
          import('../onnx.js'),
        ]);
      await readBaselineInfo(modelDir);
      const out = o.out ?? path.join(modelDir, 'model.onnx');
      if (o.triton === undefined && (o.name ?? o.maxBatchSize ?? o.instances) !== undefined) {
        throw new ReelsetError(
          'REELSET_E_INVALID_ARGUMENT',
          '--name, --max-batch-size and --instances go with --triton',
        );
      }
      const { loaded } = await loadTrained(modelDir, undefined);
      const result = await exportOnnx(loaded.model, out, {
        ...(o.opset === undefined ? {} : { opset: o.opset }),
        ...(loaded.preprocessing === null ? {} : { preprocessing: loaded.preprocessing }),
        ...(loaded.vocab === undefined ? {} : { vocabulary: loaded.vocab }),
        labels: loaded.labels,
      });
      const shape = (s: (number | string | null)[]): string => `[${s.map((d) => d ?? '?').join(', ')}]`;
      process.stdout.write(
        `onnx: ${result.path}, ${count(result.bytes, 'byte')}, opset ${result.opset}, ${count(result.nodes, 'node')}\n` +
          result.inputs.map((i) => `  input  ${i.name} ${i.dtype} ${shape(i.shape)}\n`).join('') +
          result.outputs.map((i) => `  output ${i.name} ${i.dtype} ${shape(i.shape)}\n`).join(''),
      );
      if (o.triton !== undefined) {
        const repo = await writeTritonRepository(out, o.triton, {
          ...(o.name === undefined ? {} : { name: o.name }),
          ...(o.maxBatchSize === undefined ? {} : { maxBatchSize: o.maxBatchSize }),
          ...(o.instances === undefined ? {} : { instances: o.instances }),
        });
        process.stdout.write(
          `triton: ${repo.dir} (config.pbtxt, 1/model.onnx${repo.labels === undefined ? '' : ', labels.txt'}): ` +
            `tritonserver --model-repository=${o.triton}\n`,
        );
      }
    });
}
