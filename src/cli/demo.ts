/**
 * @module demo — `reelset demo`: synthesizes a small data set in a temporary folder and shows what reelset
 * loads from it, end to end, with nothing to download.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Skip } from '../loaders/sample.js';
import { count, relativeTo, table } from './format.js';

interface DemoOptions {
  keep?: boolean;
  dir?: string;
}

const DEMO_LABELS = ['Beach', 'City', 'Green Screen'];

/**
 * Runs the demo: synthesize, load, shuffle and batch, stop and resume. Writes what it does to `log`.
 *
 * @example
 * ```ts
 * await runDemo({ keep: false }, console.log);
 * ```
 */
export async function runDemo(options: DemoOptions, log: (line: string) => void): Promise<void> {
  const [{ synthesize }, { openDataset }, { collateBatches }] = await Promise.all([
    import('../synth/index.js'),
    import('../loaders/open.js'),
    import('../adapters/collate.js'),
  ]);
  const root = options.dir ?? (await mkdtemp(join(tmpdir(), 'reelset-demo-')));
  let written = false;
  try {
    const started = Date.now();
    const report = await synthesize(root, {
      labels: DEMO_LABELS,
      perLabel: 3,
      seconds: 1,
      seed: 7,
      bad: true,
    });
    written = true;
    log(
      `Synthesized ${count(report.items.length, 'item')} (some broken on purpose) in ${root} in ${Date.now() - started} ms`,
    );

    const skips: Skip[] = [];
    const dataset = openDataset(root, {
      require: ['txt', 'jpeg', 'mp4'],
      onSkip: (skip) => skips.push(skip),
    });
    log('\nSamples (require txt, jpeg and mp4):');
    for await (const sample of dataset) {
      log(
        `  ${sample.label.padEnd(12)} ${sample.id.padStart(9)}  ${sample.durationSec ?? '?'}s  ${sample.brief.trim()}`,
      );
    }
    log('\nRecorded skips (nothing is dropped silently):');
    for (const line of table(
      skips.map((skip) => [skip.code, `${relativeTo(root, skip.where)}:`, skip.reason]),
    )) {
      log(`  ${line}`);
    }

    const decodeSkips: Skip[] = [];
    const decoded = openDataset(root, {
      text: true,
      image: { height: 64, width: 64 },
      video: { frames: 4, height: 64, width: 64 },
      onSkip: (skip) => decodeSkips.push(skip),
    });
    log(`\nDecoded (${decoded.summary()}):`);
    for await (const s of decoded.take(3)) {
      const times = s.video.timesSec.map((t) => t.toFixed(2)).join(', ');
      log(
        `  ${s.id.padStart(9)}  tokens [${[...s.tokens.subarray(0, 6)].join(', ')}, ...]  cover ${s.image.shape.join('x')}  frames ${s.video.shape.join('x')} at ${times} s`,
      );
    }
    for await (const batch of collateBatches(decoded, { batchSize: 4 }).take(1)) {
      const shapes = (['tokens', 'image', 'video'] as const).map(
        (name) => `${name} [${batch[name]?.shape.join(', ')}]`,
      );
      log(`  a collated batch: ${shapes.join(', ')}, labels [${[...batch.labels].join(', ')}]`);
    }
    // Two passes ran (the samples, then the batch): each recorded its skips; show each once.
    const seen = new Set<string>();
    const unique = decodeSkips.filter((skip) => {
      const key = `${skip.where}\0${skip.code}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    log('  samples that failed to decode were recorded too:');
    for (const line of table(
      unique.map((skip) => [skip.code, `${relativeTo(root, skip.where)}:`, skip.reason]),
    )) {
      log(`    ${line}`);
    }

    const pipeline = dataset.shuffle({ seed: 1, bufferSize: 16 }).batch(4);
    log(`\nPipeline: ${pipeline.summary()}`);
    const iterator = pipeline[Symbol.asyncIterator]();
    const first = await iterator.next();
    const state = iterator.state();
    await iterator.return?.();
    log(`  first batch: ${first.done ? '-' : first.value.map((s) => s.id).join(', ')}`);
    log(`  state after it: ${JSON.stringify(state).length} bytes of JSON; resuming gives the next batches:`);
    for await (const batch of pipeline.resume(state)) log(`  ${batch.map((s) => s.id).join(', ')}`);

    await demoTraining(options, log);
  } finally {
    if (options.dir === undefined && !options.keep) await rm(root, { recursive: true, force: true });
    else if (written) log(`\nData kept in ${root}`);
  }
}

/** The training part of the demo: its own set (no broken items), a split, and a few epochs of `lite`. */
const DEMO_TRAINING = {
  perLabel: 8,
  seconds: 1,
  seed: 11,
  split: { train: 0.6, validation: 0.2, test: 0.2, seed: 1 },
  epochs: 4,
  batchSize: 8,
  learningRate: 3e-3,
} as const;

/**
 * The last step of the demo: synthesizes a small training set (3 labels of 8 items) in a temporary
 * folder, splits it, trains a `lite` baseline for a few epochs, evaluates the test split with the
 * per-modality ablation and prints the table. Without @tensorflow/tfjs it says how to install it and
 * returns.
 *
 * @example
 * ```ts
 * await demoTraining({ keep: false }, console.log);
 * ```
 */
export async function demoTraining(options: DemoOptions, log: (line: string) => void): Promise<void> {
  const { isReelsetError } = await import('../errors.js');
  let baseline: typeof import('../baseline.js');
  try {
    baseline = await import('../baseline.js');
    baseline.presetPreprocessing('lite');
    const { loadTfjs } = await import('../adapters/tfjs.js');
    loadTfjs();
  } catch (err) {
    if (!isReelsetError(err, 'REELSET_E_MISSING_PEER')) throw err;
    log('\nTraining: skipped, @tensorflow/tfjs is not installed (npm install @tensorflow/tfjs to see it)');
    return;
  }
  const [
    { synthesize },
    { openDataset },
    { decodeSamples },
    { buildVocab },
    { selectBackend },
    { formatEvaluation },
  ] = await Promise.all([
    import('../synth/index.js'),
    import('../loaders/open.js'),
    import('../loaders/decode/stage.js'),
    import('../loaders/decode/text.js'),
    import('../adapters/backend.js'),
    import('./evaluate.js'),
  ]);
  const { createBaseline, decodeOptionsFor, evaluate, presetPreprocessing, trainBaseline } = baseline;
  const t = DEMO_TRAINING;
  const dir = await mkdtemp(join(tmpdir(), 'reelset-demo-train-'));
  const keep = options.keep === true || options.dir !== undefined;
  try {
    const started = Date.now();
    const data = join(dir, 'data');
    const report = await synthesize(data, {
      labels: DEMO_LABELS,
      perLabel: t.perLabel,
      seconds: t.seconds,
      seed: t.seed,
    });
    const refs = openDataset(data).split(t.split);
    const base = presetPreprocessing('lite');
    const vocab = await buildVocab(refs.train, {
      lowercase: base.text.lowercase,
      maxSize: base.text.vocabSize,
    });
    const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
    const model = createBaseline({ preprocessing: pre, seed: t.split.seed });
    const choice = await selectBackend({ training: true, model });
    log(
      `\nTraining: a 'lite' baseline (${model.countParams().toLocaleString('en-US')} parameters) on ${count(report.items.length, 'new item')}, ` +
        `split ${t.split.train}/${t.split.validation}/${t.split.test} by id, on backend ${choice.tfBackend}:`,
    );
    const decode = decodeOptionsFor(pre, vocab);
    const result = await trainBaseline(model, decodeSamples(refs.train, decode), {
      validation: decodeSamples(refs.validation, decode),
      epochs: t.epochs,
      batchSize: t.batchSize,
      learningRate: t.learningRate,
      seed: t.split.seed,
      backend: 'current',
      sigint: false,
      modelDir: join(dir, 'model'),
      vocab,
      preprocessing: pre,
      onEpochEnd: (r) =>
        log(
          `  epoch ${r.epoch}/${t.epochs}  loss ${r.loss.toFixed(3)}  accuracy ${r.accuracy.toFixed(3)}  ` +
            `val accuracy ${(r.valAccuracy ?? 0).toFixed(3)}`,
        ),
    });
    const test = await evaluate(model, refs.test, { preprocessing: decode, ablation: true });
    log(
      `  trained on ${count(result.samples.train, 'sample')} in ${((Date.now() - started) / 1000).toFixed(1)} s (synthesis included); evaluated on the test split:`,
    );
    for (const line of formatEvaluation(test, 'test split').trimEnd().split('\n').slice(1)) log(`  ${line}`);
    log('  (synthesized media carry little signal: the numbers show the route, not a score)');
  } finally {
    if (keep) log(`\nTraining set and model kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Adds `demo [--keep] [--dir DIR]` to the program.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerDemo(program);
 * await program.parseAsync(['node', 'reelset', 'demo']);
 * ```
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Synthesize a small data set in a temporary folder, show what reelset loads from it, and train a tiny model',
    )
    .option('--keep', 'keep the synthesized data set')
    .option('--dir <dir>', 'synthesize into this folder (kept) instead of a temporary one')
    .action(async (options: DemoOptions) => {
      await runDemo(options, (line) => process.stdout.write(`${line}\n`));
    });
}
