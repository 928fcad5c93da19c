/**
 * @module train — `reelset train ROOT --out MODEL_DIR`: splits the data set (0.8 / 0.1 / 0.1 by id), builds
 * the vocabulary on the train split, trains a baseline model (`lite` or `seed`) with a progress bar,
 * checkpoints every epoch and on Ctrl-C, resumes with `--resume`, then evaluates the test split and records
 * its metrics in the model directory.
 */
import { readdir } from 'node:fs/promises';
import type CliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { TrainProgress } from '../baseline/train.js';
import { invalidArgument } from '../util/options.js';
import { count } from './format.js';
import { DEFAULT_SEED, fixed, SPLIT_FRACTIONS, type SplitRecord } from './model-data.js';
import { checkLayoutRoot, integerOption, numberOption } from './options.js';

interface TrainCliOptions {
  out: string;
  preset: string;
  epochs: number;
  resume?: boolean;
  seed: number;
  batchSize: number;
  learningRate: number;
  cacheDir?: string;
  concurrency?: number;
  progress: boolean;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The progress display: a cli-progress bar on a TTY (standard error), nothing otherwise. */
function progressBar(
  enabled: boolean,
  cliProgress: typeof CliProgress,
): { update: (p: TrainProgress) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format:
        'epoch {epoch}/{epochs} {bar} batch {value}/{total} | loss {loss} | accuracy {acc} | {speed} samples/s | ETA {eta_h}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    update: (p) => {
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        loss: fixed(p.loss),
        acc: fixed(p.accuracy),
        speed: Math.round(p.samplesPerSec),
        eta_h: duration(p.etaSec),
      };
      if (!running) {
        bar.start(p.batches, p.batch, payload);
        running = true;
      }
      bar.update(p.batch, payload);
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** True when `dir` exists and holds anything. */
async function nonEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') throw invalidArgument(`--out ${dir} is a file, not a folder`);
    throw err;
  }
}

/**
 * Adds `train ROOT --out MODEL_DIR [--preset lite|seed] [--epochs N] [--resume] [--seed S] [--batch-size B]
 * [--learning-rate R] [--cache-dir DIR] [--concurrency N] [--no-progress]` to the program.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerTrain(program);
 * await program.parseAsync(['node', 'reelset', 'train', 'data', '--epochs', '5', '--out', 'runs/1']);
 * ```
 */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'Train the baseline classifier on a data set root (split 0.8/0.1/0.1 by id) and write a model directory',
    )
    .argument('<root>', 'the data set root folder')
    .requiredOption('--out <dir>', 'the model directory to write (new or empty, or with --resume)')
    .option('--preset <name>', "'lite' (small, trains on a CPU) or 'seed' (the original model)", 'lite')
    .option(
      '--epochs <n>',
      'epochs in all (a resumed run counts those done)',
      integerOption('--epochs', 1, 100_000),
      10,
    )
    .option(
      '--resume',
      'continue from the checkpoint in the model directory (finished epochs are not run again)',
    )
    .option(
      '--seed <n>',
      'seed of the split, the weights and the shuffles',
      integerOption('--seed', 0, 2 ** 31 - 1),
      DEFAULT_SEED,
    )
    .option('--batch-size <n>', 'samples a batch', integerOption('--batch-size', 1, 65_536), 32)
    .option('--learning-rate <r>', "Adam's learning rate", numberOption('--learning-rate', 1e-9, 10), 1e-3)
    .option('--cache-dir <dir>', 'keep the decoded samples in this folder (default: in memory)')
    .option('--concurrency <n>', 'samples decoded at once', integerOption('--concurrency', 1, 1024))
    .option('--no-progress', 'no progress bar')
    .action(async (root: string, o: TrainCliOptions) => {
      // Every argument is checked before anything is written.
      if (o.preset !== 'lite' && o.preset !== 'seed') {
        throw invalidArgument(`--preset must be 'lite' or 'seed', got ${JSON.stringify(o.preset)}`);
      }
      const preset = o.preset;
      await checkLayoutRoot(root);
      if (!o.resume && (await nonEmpty(o.out))) {
        throw invalidArgument(
          `--out ${o.out} is not empty: give a new folder, or --resume to continue the model there`,
        );
      }
      const [baseline, { selectBackend }, { openDataset }, { decodeSamples }, { buildVocab }, cliProgress] =
        await Promise.all([
          import('../baseline.js'),
          import('../adapters/backend.js'),
          import('../loaders/open.js'),
          import('../loaders/decode/stage.js'),
          import('../loaders/decode/text.js'),
          import('cli-progress'),
        ]);
      const { createBaseline, decodeOptionsFor, evaluate, presetPreprocessing, trainBaseline } = baseline;
      const { updateBaselineMetrics } = await import('../baseline/model-dir.js');
      const log = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };

      // The split, and the vocabulary of the train split (as the preset tokenizes).
      const split: SplitRecord = { ...SPLIT_FRACTIONS, seed: o.seed };
      const refs = openDataset(root).split(split);
      const base = presetPreprocessing(preset);
      const vocab = await buildVocab(refs.train, {
        lowercase: base.text.lowercase,
        maxSize: base.text.vocabSize,
      });
      const pre = presetPreprocessing(preset, { text: { vocabSize: vocab.size } });
      const model = createBaseline({ preprocessing: pre, seed: o.seed });

      // The backend first: the one that can train this model.
      const choice = await selectBackend({ training: true, model });
      log(`backend: ${choice.tfBackend} (${choice.reason})`);
      log(
        `model: ${preset}, ${model.countParams().toLocaleString('en-US')} parameters; vocabulary ${count(vocab.size, 'token')}`,
      );

      const decode = {
        ...decodeOptionsFor(pre, vocab),
        ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      };
      const train = decodeSamples(refs.train, decode);
      const validation = decodeSamples(refs.validation, decode);
      const bar = progressBar(o.progress, cliProgress.default);
      let result: Awaited<ReturnType<typeof trainBaseline>>;
      try {
        result = await trainBaseline(model, train, {
          validation,
          epochs: o.epochs,
          batchSize: o.batchSize,
          learningRate: o.learningRate,
          seed: o.seed,
          backend: 'current',
          modelDir: o.out,
          resume: o.resume === true,
          vocab,
          preprocessing: pre,
          ...(o.cacheDir === undefined ? {} : { cache: { dir: o.cacheDir } }),
          onProgress: bar.update,
          onEpochEnd: (r) => {
            bar.stop();
            const val =
              r.valLoss === undefined
                ? ''
                : `  val loss ${fixed(r.valLoss)}  val accuracy ${fixed(r.valAccuracy ?? Number.NaN)}`;
            log(
              `epoch ${r.epoch}/${o.epochs}  loss ${fixed(r.loss)}  accuracy ${fixed(r.accuracy)}${val}  ${r.seconds.toFixed(1)} s`,
            );
          },
        });
      } finally {
        bar.stop();
      }
      const { samples } = result;
      log(
        `data: train ${count(samples.train, 'sample')}, validation ${count(samples.validation, 'sample')} ` +
          `(split ${split.train}/${split.validation}/${split.test} by id, seed ${split.seed})`,
      );
      if (result.resumedFrom !== undefined) {
        const { epoch, batch } = result.resumedFrom;
        const done = `${count(epoch - 1, 'epoch')}${batch > 0 ? ` and ${count(batch, 'batch', 'batches')} of epoch ${epoch}` : ''}`;
        log(`resumed from the checkpoint after ${done}${epoch > o.epochs ? ': nothing left to train' : ''}`);
      }
      if (result.stopped) {
        process.stderr.write(
          `reelset train: stopped after ${count(result.epochsCompleted, 'epoch')}: checkpoint in ${result.checkpointDir}; run again with --resume to continue\n`,
        );
        process.exitCode = 130;
        return;
      }

      // The test split, evaluated and recorded in the model directory.
      const test = await evaluate(model, refs.test, {
        preprocessing: decode,
        batchSize: o.batchSize,
        ablation: true,
      });
      if (test.samples === 0) {
        log('test: the test split is empty (too few items): nothing evaluated');
      } else {
        const a = test.ablation;
        await updateBaselineMetrics(o.out, {
          test: {
            samples: test.samples,
            accuracy: test.accuracy,
            top5: test.top5,
            macroF1: test.macroF1,
            ...(a === undefined
              ? {}
              : {
                  ablation: {
                    text: a.text.accuracy,
                    image: a.image.accuracy,
                    video: a.video.accuracy,
                  },
                }),
            split: { ...split },
          },
        });
        log(
          `test: accuracy ${fixed(test.accuracy)}, top-5 ${fixed(test.top5)}, macro-F1 ${fixed(test.macroF1)} (${count(test.samples, 'sample')})`,
        );
      }
      log(`model directory: ${o.out}`);
    });
}
