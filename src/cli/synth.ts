/** @module synth — `reelset synth DIR`: writes a synthetic data set in the original's on-disk layout. */
import type { Command } from 'commander';
import { count } from './format.js';
import { integerOption, numberOption } from './options.js';

interface SynthCliOptions {
  perLabel?: number;
  labels?: string[];
  seconds?: number;
  seed?: number;
  bad?: boolean;
  textSignal?: number;
  videoSignal?: number;
  concurrency?: number;
  force?: boolean;
  baseUrl?: string;
}

/**
 * Adds `synth <dir> [--per-label n] [--labels names...] [--seconds s] [--seed k] [--bad] [--text-signal f]
 * [--video-signal f] [--concurrency n] [--force] [--base-url url]` to the program. It prints one line: items, bad items,
 * labels, seconds taken, path. A bad number, a bad URL or a folder that is not empty (without `--force`)
 * is a ReelsetError `REELSET_E_INVALID_ARGUMENT`; an unknown label `REELSET_E_UNKNOWN_LABEL`.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerSynth(program);
 * await program.parseAsync(['node', 'reelset', 'synth', '/tmp/ds', '--labels', 'Beach', 'Green Screen']);
 * // synth: 8 items (0 bad) in 2 labels, 1.9 s -> /tmp/ds
 * ```
 */
export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('Write a synthetic data set (txt + cover JPEG + H.264 MP4 + catalog) in the original layout')
    .argument(
      '<dir>',
      'the folder to write: <dir>/<label>/<id>/<id>.{txt,jpeg,mp4} and multimodal_data_info.json',
    )
    .option('--per-label <n>', 'good items per label (default 4)', integerOption('--per-label', 1, 100_000))
    .option('--labels <names...>', 'only these labels, e.g. --labels Beach "Green Screen" (default all 31)')
    .option('--seconds <s>', 'clip length in seconds (default 2)', numberOption('--seconds', 0.05, 600))
    .option(
      '--seed <k>',
      'seed: same seed, same bytes (default 0)',
      integerOption('--seed', Number.MIN_SAFE_INTEGER),
    )
    .option(
      '--bad',
      'add one broken item of each kind (truncated JPEG, empty MP4, missing files, bad txt, ...)',
    )
    .option(
      '--text-signal <f>',
      'fraction of briefs naming their label (default 0.6)',
      numberOption('--text-signal', 0, 1),
    )
    .option(
      '--video-signal <f>',
      "fraction of clips showing their label's own pattern, the rest only their pair's (default 1)",
      numberOption('--video-signal', 0, 1),
    )
    .option(
      '--concurrency <n>',
      'parallel ffmpeg encodes (default: CPU count)',
      integerOption('--concurrency', 1, 1024),
    )
    .option('--force', 'write into a folder that is not empty (same names replaced, nothing removed)')
    .option(
      '--base-url <url>',
      'the URL DIR will be served at: catalog and txt URLs then name its files, so `reelset download` works ' +
        '(default: placeholder URLs on reelset-synth.invalid, which download refuses)',
    )
    .action(async (dir: string, options: SynthCliOptions) => {
      const { synthesize } = await import('../synth/index.js');
      const report = await synthesize(dir, options);
      const seconds = (report.elapsedMs / 1000).toFixed(1);
      process.stdout.write(
        `synth: ${count(report.items.length, 'item')} (${report.badCount} bad) in ${count(report.labels.length, 'label')}, ${seconds} s -> ${report.root}\n`,
      );
    });
}
