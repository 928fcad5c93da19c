/**
 * @module inspect — `reelset inspect ROOT`: lists the samples of an on-disk data set, as text or JSON lines.
 */
import type { Command } from 'commander';
import type { Sample, Skip } from '../loaders/sample.js';
import { count } from './format.js';
import { checkLayoutRoot, integerOption } from './options.js';

interface InspectOptions {
  limit?: number;
  json?: boolean;
  labels?: string[];
  require?: Array<'txt' | 'jpeg' | 'mp4'>;
}

/**
 * The JSON line `inspect --json` prints for a sample: id, label, labelId, brief, durationSec, source.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(sampleRecord(sample)));
 * ```
 */
export function sampleRecord(
  sample: Sample,
): Pick<Sample, 'id' | 'label' | 'labelId' | 'brief' | 'durationSec' | 'source'> {
  const { id, label, labelId, brief, durationSec, source } = sample;
  return { id, label, labelId, brief, durationSec, source };
}

function textLine(sample: Sample): string {
  const media = (['txt', 'jpeg', 'mp4'] as const).filter((kind) => sample.source[kind]).join('+');
  const duration = sample.durationSec === null ? '?' : `${sample.durationSec}s`;
  return `${sample.label.padEnd(13)} ${sample.id.padStart(9)} ${duration.padStart(4)} ${media.padEnd(12)} ${sample.brief.trim()}`;
}

/**
 * Adds `inspect ROOT [--limit N] [--json] [--labels ...] [--require ...]` to the program.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerInspect(program);
 * await program.parseAsync(['node', 'reelset', 'inspect', 'data', '--json', '--limit', '5']);
 * ```
 */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('List the samples of a data set in the original on-disk layout')
    .argument('<root>', 'the data set folder: <root>/<label>/<id>/<id>.{txt,jpeg,mp4}')
    .option('--limit <n>', 'print at most n samples', integerOption('--limit', 1))
    .option('--json', 'one JSON line per sample (id, label, labelId, brief, durationSec, source)')
    .option('--labels <names...>', 'only these labels')
    .option('--require <kinds...>', 'skip items lacking these files (txt, jpeg, mp4)')
    .action(async (root: string, options: InspectOptions) => {
      await checkLayoutRoot(root);
      const { openDataset } = await import('../loaders/open.js');
      const skips: Skip[] = [];
      let dataset = openDataset(root, {
        labels: options.labels,
        require: options.require,
        onSkip: (skip) => skips.push(skip),
      });
      if (options.limit !== undefined) dataset = dataset.take(options.limit);
      let samples = 0;
      for await (const sample of dataset) {
        samples++;
        process.stdout.write(`${options.json ? JSON.stringify(sampleRecord(sample)) : textLine(sample)}\n`);
      }
      for (const skip of skips)
        process.stderr.write(`skipped ${skip.where}: ${skip.reason} (${skip.code})\n`);
      if (!options.json) process.stdout.write(`${count(samples, 'sample')}, ${skips.length} skipped\n`);
    });
}
