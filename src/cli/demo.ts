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
  } finally {
    if (options.dir === undefined && !options.keep) await rm(root, { recursive: true, force: true });
    else if (written) log(`\nData kept in ${root}`);
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
    .description('Synthesize a small data set in a temporary folder and show what reelset loads from it')
    .option('--keep', 'keep the synthesized data set')
    .option('--dir <dir>', 'synthesize into this folder (kept) instead of a temporary one')
    .action(async (options: DemoOptions) => {
      await runDemo(options, (line) => process.stdout.write(`${line}\n`));
    });
}
