/**
 * @module run — the benchmark runner: `npm run bench [-- filter...]` runs every `bench/*.bench.ts` (sorted)
 * whose file name contains one of the filters, each in a fresh Node process (one benchmark's heap, handles
 * and threads do not slow the next), prints one table and writes `bench/results.json`.
 *
 * Exits 0 even when a goal is not met (the table says which); exits 1 only when a benchmark crashed.
 */
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchResult } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A crashed benchmark: its file and error. */
interface Failure {
  file: string;
  error: string;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

function table(rows: readonly BenchResult[]): string {
  const header = ['benchmark', 'reelset', 'peer', 'unit', 'ratio', 'goal', 'met'];
  const body = rows.map((r) => [
    r.name,
    format(r.reelset),
    format(r.peer),
    r.unit,
    `${format(r.ratio)}x`,
    r.goal,
    r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => (cells[i] as string).length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const files = (await readdir(here))
    .filter((file) => file.endsWith('.bench.ts'))
    .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
    .sort();
  if (files.length === 0) {
    console.log(`No benchmark matches ${filters.join(', ')}`);
    return;
  }
  const results: BenchResult[] = [];
  const failures: Failure[] = [];
  for (const file of files) {
    console.log(`running ${file} ...`);
    try {
      for (const row of await runInChild(file)) {
        results.push(row);
        console.log(
          `  ${row.name}: reelset ${format(row.reelset)} ${row.unit}, peer ${format(row.peer)} ${row.unit}, ratio ${format(row.ratio)}x`,
        );
        if (row.notes) console.log(`  ${row.notes}`);
      }
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ file, error });
      console.error(`  ${file} crashed: ${error}`);
    }
  }
  console.log('');
  if (results.length > 0) console.log(table(results));
  const unmet = results.filter((r) => !r.met);
  console.log('');
  if (unmet.length === 0 && results.length > 0) console.log('All goals met.');
  for (const r of unmet) console.log(`GOAL NOT MET: ${r.name}: ratio ${format(r.ratio)}x, goal ${r.goal}`);
  for (const f of failures) console.log(`CRASHED: ${f.file}`);

  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
  const path = join(here, 'results.json');
  await writeFile(path, `${JSON.stringify({ machine, results, failures }, null, 2)}\n`);
  console.log(`\nwrote ${path}`);
  if (failures.length > 0) process.exitCode = 1;
}

/** The line prefix on which a child process reports its rows. */
const ROWS = 'BENCH_ROWS ';

/** Runs one benchmark file in a fresh Node process (same flags as this one); its rows. */
async function runInChild(file: string): Promise<BenchResult[]> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--one', file],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let rows: BenchResult[] | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    // JSON has no NaN (a benchmark whose peer is missing): null figures come back as NaN.
    const revive = (key: string, value: unknown) =>
      value === null && ['reelset', 'peer', 'ratio'].includes(key) ? Number.NaN : value;
    if (line.startsWith(ROWS)) rows = JSON.parse(line.slice(ROWS.length), revive) as BenchResult[];
    else console.log(line);
  }
  const code = await exited;
  if (code !== 0 || rows === undefined) throw new Error(`${file} exited with code ${code}`);
  return rows;
}

/** In the child: runs the one file and prints its rows on one line. */
async function runOne(file: string): Promise<void> {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
  const out = await mod.default();
  console.log(`${ROWS}${JSON.stringify(Array.isArray(out) ? out : [out])}`);
}

const one = process.argv.indexOf('--one');
if (one >= 0) await runOne(process.argv[one + 1] as string);
else await main();
