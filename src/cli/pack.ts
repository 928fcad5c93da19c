/**
 * @module pack — `reelset pack ROOT --out SHARDS`: writes a data set as WebDataset tar shards (optionally
 * with pre-decoded frames), one slice per rank, resumable; `--merge` writes the manifest of a distributed
 * packing.
 */
import type { Command } from 'commander';
import { invalidArgument } from '../util/options.js';
import { count } from './format.js';
import { integerOption, refuseMisplacedRoot } from './options.js';

interface PackCliOptions {
  out: string;
  shardSize?: number;
  decoded?: boolean;
  frames?: number;
  size?: number;
  rank?: number;
  worldSize?: number;
  seed?: number;
  concurrency?: number;
  merge?: boolean;
  progress: boolean;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parses a size such as `1GB`, `512MiB`, `250e6` or `1.5 GB` into bytes (decimal units KB, MB, GB, TB;
 * binary KiB, MiB, GiB, TiB; case-insensitive).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for anything else, or a size under 1 byte.
 * @example
 * ```ts
 * parseSize('1GB'); // 1000000000
 * parseSize('64MiB'); // 67108864
 * ```
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(m?.[2] ?? 'x').toLowerCase()];
  const bytes = m === null || unit === undefined ? Number.NaN : Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw invalidArgument(`--shard-size must be a size such as 1GB or 512MiB, got ${JSON.stringify(text)}`);
  }
  return bytes;
}

/**
 * Adds `pack <root> --out <shards> [options]` to the program. Exit status 0 when done, 1 for a bad argument
 * or a failure.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerPack(program);
 * await program.parseAsync(['node', 'reelset', 'pack', 'data', '--out', 'shards', '--shard-size', '1GB']);
 * ```
 */
export function registerPack(program: Command): void {
  program
    .command('pack')
    .description('Write a data set as WebDataset tar shards with an index and a manifest (local, resumable)')
    .argument('[root]', 'the data set folder <root>/<label>/<id>/ (not needed with --merge)')
    .requiredOption('--out <shards>', 'the shard folder (created when missing)')
    .option(
      '--shard-size <size>',
      'about how many bytes a shard holds, e.g. 1GB, 512MiB (default 1GB)',
      parseSize,
    )
    .option('--decoded', 'store pre-decoded frames (<key>.frames.u8) instead of the MP4')
    .option('--frames <n>', 'frames per clip with --decoded (default 8)', integerOption('--frames', 1, 1024))
    .option(
      '--size <px>',
      'frame height and width with --decoded (default 112)',
      integerOption('--size', 1, 8192),
    )
    .option(
      '--rank <r>',
      "this packer's rank (default: RANK, SLURM_PROCID, JOB_COMPLETION_INDEX, else 0)",
      integerOption('--rank', 0),
    )
    .option(
      '--world-size <n>',
      'packers sharing the work (default: WORLD_SIZE, SLURM_NTASKS, else 1)',
      integerOption('--world-size', 1),
    )
    .option(
      '--seed <k>',
      'seed of the order of samples across shards (default 0)',
      integerOption('--seed', Number.MIN_SAFE_INTEGER),
    )
    .option(
      '--concurrency <n>',
      'items read and clips decoded at once (default 4)',
      integerOption('--concurrency', 1, 1024),
    )
    .option('--merge', 'write manifest.json once every rank has finished (run once, after the packers)')
    .option('--no-progress', 'no progress lines')
    .action(async (root: string | undefined, o: PackCliOptions) => {
      if ((o.frames !== undefined || o.size !== undefined) && o.decoded !== true) {
        throw invalidArgument('--frames and --size go with --decoded');
      }
      if ((o.rank === undefined) !== (o.worldSize === undefined)) {
        throw invalidArgument('--rank and --world-size go together');
      }
      const { mergeShards, packShards } = await import('../loaders/shards/pack.js');
      if (o.merge === true) {
        if (root !== undefined)
          throw invalidArgument('pack --merge takes no root: reelset pack --merge --out SHARDS');
        const { manifest, path } = await mergeShards(o.out);
        process.stdout.write(
          `${path}: ${count(manifest.shards.length, 'shard')}, ${count(manifest.samples, 'sample')}\n`,
        );
        return;
      }
      if (root === undefined)
        throw invalidArgument('pack needs the data set root: reelset pack ROOT --out SHARDS');
      await refuseMisplacedRoot(root);
      const report = await packShards(root, {
        out: o.out,
        ...(o.shardSize === undefined ? {} : { shardSize: o.shardSize }),
        ...(o.decoded === true ? { decoded: { frames: o.frames ?? 8, size: o.size ?? 112 } } : {}),
        ...(o.rank === undefined ? {} : { rank: o.rank, worldSize: o.worldSize as number }),
        ...(o.seed === undefined ? {} : { seed: o.seed }),
        ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
        onProgress: (p) => {
          if (o.progress) {
            process.stderr.write(
              `pack: ${p.done}/${p.total} shards (${p.shard} ${p.written ? 'written' : 'kept'}), ${count(p.samples, 'sample')}\n`,
            );
          }
        },
      });
      const kept =
        report.kept.length > 0 ? `, ${count(report.kept.length, 'shard')} kept from an earlier run` : '';
      const skipped = report.skips.length > 0 ? `, ${count(report.skips.length, 'item')} skipped` : '';
      const next = report.manifest ?? `run reelset pack --merge --out ${o.out} once every rank is done`;
      process.stdout.write(
        `${count(report.written.length, 'shard')} written (${count(report.samples, 'sample')})${kept}${skipped} of ${report.shardCount}: ${next}\n`,
      );
    });
}
