/**
 * @module check — `reelset check ROOT [--fix]`: checks every item's files (txt parses, JPEG decodes, MP4
 * probes), writes a JSONL report, renames URL-named media with `--fix`; exit code 0 clean, 2 problems.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { CheckProblem, CheckSummary } from '../tools/check.js';
import { checkExtension, checkOutputFile } from '../util/files.js';
import { count } from './format.js';
import { checkLayoutRoot, integerOption, JSONL_EXTENSIONS } from './options.js';

interface CheckCliOptions {
  fix?: boolean;
  report?: string;
  concurrency?: number;
  json?: boolean;
  labels?: string[];
}

async function openReport(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: 'w' });
  await once(stream, 'open');
  return stream;
}

/**
 * Adds `check ROOT [--fix] [--report FILE] [--concurrency N] [--json] [--labels ...]` to the program. It
 * prints one line per problem (text) or a JSON summary (`--json`), writes every problem as a JSON line to
 * `--report`, and sets the exit code: 0 when clean, 2 when problems were found (1 on error, by `main`).
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerCheck(program);
 * await program.parseAsync(['node', 'reelset', 'check', 'data', '--fix', '--report', 'problems.jsonl']);
 * ```
 */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Check every item: files present, txt parses and names its id, JPEG decodes, MP4 probes')
    .argument('<root>', 'the data set folder: <root>/<label>/<id>/<id>.{txt,jpeg,mp4}')
    .option('--fix', 'rename URL-named media (<id9>_iconl.jpeg, <id9>_main_xl.mp4) to <id>.jpeg / <id>.mp4')
    .option('--report <file>', 'write one JSON line per problem: {path, id, label, kind, code, reason}')
    .option('--concurrency <n>', 'items checked at once (default 4)', integerOption('--concurrency', 1, 256))
    .option('--json', 'print the summary as one JSON object (problems and renames included)')
    .option('--labels <names...>', 'only these labels')
    .action(async (root: string, options: CheckCliOptions) => {
      // Every argument is checked before the report is created.
      if (options.report !== undefined) {
        checkExtension('--report', options.report, JSONL_EXTENSIONS, 'JSON Lines');
        await checkOutputFile(options.report, 'the --report file');
      }
      await checkLayoutRoot(root);
      const [{ checkDataset }, { toolPath }] = await Promise.all([
        import('../tools/check.js'),
        import('../loaders/decode/ffmpeg.js'),
      ]);
      toolPath('ffprobe'); // REELSET_E_FFMPEG_NOT_FOUND now rather than after the report is created
      const report = options.report === undefined ? undefined : await openReport(options.report);
      const text = !options.json;
      let summary: CheckSummary;
      try {
        summary = await checkDataset(root, {
          fix: options.fix,
          concurrency: options.concurrency,
          labels: options.labels,
          onProblem: (problem: CheckProblem) => {
            report?.write(`${JSON.stringify(problem)}\n`);
            if (text)
              process.stdout.write(`${problem.code} ${problem.kind} ${problem.path}: ${problem.reason}\n`);
          },
          onRename: (rename) => {
            if (text && rename.done) process.stdout.write(`renamed ${rename.from} -> ${rename.to}\n`);
          },
        });
      } finally {
        if (report) {
          report.end();
          await once(report, 'close');
        }
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        const codes = Object.entries(summary.byCode)
          .map(([code, count]) => `${code} ${count}`)
          .join(', ');
        const naming = options.fix
          ? `${summary.renamed} renamed`
          : `${count(summary.toRename, 'URL-named file')} to rename (--fix)`;
        for (const warning of summary.warnings) process.stdout.write(`warning: ${warning}\n`);
        process.stdout.write(
          `check: ${count(summary.items, 'item')}, ${summary.cleanItems} clean, ${count(summary.problemCount, 'problem')}${codes ? ` (${codes})` : ''}; ${naming}\n`,
        );
      }
      process.exitCode = summary.problemCount > 0 ? 2 : 0;
    });
}
