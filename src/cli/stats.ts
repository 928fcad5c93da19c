/**
 * @module stats — `reelset stats CATALOG.jsonl|ROOT`: counts per label, shared ids, durations, missing media
 * and bytes on disk, as a text table or JSON, and optionally a PNG chart of counts per label.
 */

import path from 'node:path';
import type { Command } from 'commander';
import type { Skip } from '../loaders/sample.js';
import type { DatasetStats } from '../tools/stats.js';
import { checkExtension, checkOutputFile } from '../util/files.js';
import { count, relativeTo } from './format.js';
import { integerOption, JSONL_EXTENSIONS, refuseMisplacedRoot } from './options.js';

interface StatsCliOptions {
  json?: boolean;
  plot?: string;
  report?: string;
  chinese?: boolean;
  concurrency?: number;
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function bytes(value: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = value;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * The text report of `reelset stats`: a table of counts per label (and bytes for a root), then shared
 * ids, durations, disk usage and skips.
 *
 * @example
 * ```ts
 * process.stdout.write(formatStats(await computeStats('data')));
 * ```
 */
export function formatStats(stats: DatasetStats): string {
  const out: string[] = [];
  const disk = stats.disk;
  out.push(`${stats.source === 'catalog' ? 'catalog' : 'data set'} ${stats.input}`);
  out.push(
    `${'id'.padStart(3)}  ${'label'.padEnd(14)}${'items'.padStart(10)}${disk ? 'bytes'.padStart(12) : ''}`,
  );
  for (const label of stats.labels) {
    const size = disk ? bytes(label.bytes ?? 0).padStart(12) : '';
    out.push(
      `${String(label.labelId).padStart(3)}  ${label.label.padEnd(14)}${n(label.count).padStart(10)}${size}`,
    );
  }
  out.push(
    `${''.padStart(3)}  ${'total'.padEnd(14)}${n(stats.items).padStart(10)}${disk ? bytes(disk.totalBytes).padStart(12) : ''}`,
  );
  out.push('');
  out.push(`distinct ids: ${n(stats.distinctIds)}`);
  const { shared } = stats;
  out.push(
    `ids under several labels: ${n(shared.count)} (at most ${count(shared.maxLabels, 'label')} for one id)`,
  );
  for (const example of shared.examples) out.push(`  ${example.id}: ${example.labels.join(', ')}`);
  const d = stats.durations;
  const secs = (v: number | null): string => (v === null ? '-' : `${v} s`);
  out.push(
    `durations: ${n(d.known)} known, ${n(d.unknown)} unknown; min ${secs(d.minSec)}, median ${secs(d.medianSec)}, max ${secs(d.maxSec)}; ${d.distinct} distinct${d.mostCommon ? `, commonest ${d.mostCommon.sec} s (${n(d.mostCommon.count)})` : ''}`,
  );
  for (const bin of d.bins) out.push(`  ${bin.label.padEnd(8)}${n(bin.count).padStart(10)}`);
  if (disk) {
    out.push(
      `missing: txt ${n(disk.missing.txt)}, jpeg ${n(disk.missing.jpeg)}, mp4 ${n(disk.missing.mp4)}; URL-named: jpeg ${n(disk.urlNamed.jpeg)}, mp4 ${n(disk.urlNamed.mp4)}`,
    );
    out.push(
      `bytes: txt ${bytes(disk.bytes.txt)}, jpeg ${bytes(disk.bytes.jpeg)}, mp4 ${bytes(disk.bytes.mp4)}, total ${bytes(disk.totalBytes)}`,
    );
  }
  const skips = Object.entries(stats.skips);
  out.push(
    `skips: ${skips.length === 0 ? 'none' : skips.map(([code, count]) => `${code} ${n(count)}`).join(', ')}`,
  );
  const total = skips.reduce((sum, [, count]) => sum + count, 0);
  const base = stats.source === 'catalog' ? path.dirname(stats.input) : stats.input;
  for (const skip of stats.skipList.slice(0, SKIPS_SHOWN)) {
    out.push(`  ${relativeTo(base, skip.where)}: ${skip.reason} (${skip.code})`);
  }
  if (total > SKIPS_SHOWN) out.push(`  and ${n(total - SKIPS_SHOWN)} more (--report FILE lists them all)`);
  for (const warning of stats.warnings) out.push(`warning: ${warning}`);
  return `${out.join('\n')}\n`;
}

/** How many skips the text report lists (all of them go to `--report`). */
const SKIPS_SHOWN = 10;

/**
 * Adds `stats CATALOG.jsonl|ROOT [--json] [--plot FILE.png] [--report FILE] [--chinese] [--concurrency N]`
 * to the program. `--plot` must name a `.png` file and `--report` a JSON Lines file; both are checked
 * before anything is read or written.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerStats(program);
 * await program.parseAsync(['node', 'reelset', 'stats', 'data', '--plot', 'stats.png']);
 * ```
 */
export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('Counts per label, shared ids, durations, missing media and bytes of a catalog or data set')
    .argument('<input>', 'a catalog (multimodal_data_info.json, JSON Lines) or a data set root folder')
    .option('--json', 'print the statistics as one JSON object (skipList: the skips with their reasons)')
    .option('--plot <file.png>', 'write a PNG bar chart of the counts per label (the file must end in .png)')
    .option(
      '--report <file>',
      'write one JSON line per skip {where, line?, id?, reason, code}: bad catalog lines, skipped items',
    )
    .option('--chinese', 'show the Chinese label names in the chart too (needs a CJK font)')
    .option(
      '--concurrency <n>',
      'item folders read at once (root only)',
      integerOption('--concurrency', 1, 1024),
    )
    .action(async (input: string, options: StatsCliOptions) => {
      // Every argument is checked before anything is written.
      if (options.plot !== undefined) {
        checkExtension('--plot', options.plot, ['.png'], 'a PNG chart');
        await checkOutputFile(options.plot, 'the --plot file');
      }
      if (options.report !== undefined) {
        checkExtension('--report', options.report, JSONL_EXTENSIONS, 'JSON Lines');
        await checkOutputFile(options.report, 'the --report file');
      }
      await refuseMisplacedRoot(input);
      const { computeStats } = await import('../tools/stats.js');
      const all: Skip[] = [];
      const stats = await computeStats(input, {
        concurrency: options.concurrency,
        onSkip: options.report === undefined ? undefined : (skip) => all.push(skip),
      });
      if (options.report !== undefined) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(options.report, all.map((skip) => `${JSON.stringify(skip)}\n`).join(''));
      }
      let plot: { width: number; height: number } | undefined;
      if (options.plot !== undefined) {
        const { plotStats } = await import('../tools/stats-plot.js');
        plot = await plotStats(stats, options.plot, { chinese: options.chinese });
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(stats)}\n`);
      } else {
        process.stdout.write(formatStats(stats));
      }
      if (options.plot !== undefined && plot !== undefined) {
        (options.json ? process.stderr : process.stdout).write(
          `plot: ${options.plot} (${plot.width}x${plot.height})\n`,
        );
      }
    });
}
