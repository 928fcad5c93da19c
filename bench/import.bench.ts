/**
 * @module import.bench — what `import 'reelset'` costs: a fresh Node process that imports the built package
 * (ESM `import()` and CJS `require`), against an empty one (`node -e ''`), alternating, in the same run.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, median, runPeer } from './harness.js';

const RUNS = 15;
/** The goal: importing reelset costs at most this many milliseconds more than an empty Node process. */
const GOAL_MS = 150;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The wall time (spawn to exit) of `node -e SCRIPT` at the repository root, in milliseconds. */
async function nodeMs(script: string): Promise<number> {
  // At the root, the package's self-reference resolves `reelset` to dist/ through its "exports".
  return (await runPeer(process.execPath, ['-e', script], { cwd: ROOT })).wallSec * 1000;
}

/**
 * Times an empty Node process, `import('reelset')` and `require('reelset')` in turn, `RUNS` times (after one
 * warm-up of each), and reports for ESM and CJS the median difference with the empty process.
 *
 * @example
 * ```ts
 * const [esm, cjs] = await importBench();
 * console.log(esm.notes); // import('reelset') costs 45 ms more than an empty node (...)
 * ```
 */
export default async function importBench(): Promise<BenchResult[]> {
  const scripts = { bare: '', esm: "import('reelset')", cjs: "require('reelset')" } as const;
  const kinds = Object.keys(scripts) as (keyof typeof scripts)[];
  for (const kind of kinds) await nodeMs(scripts[kind]); // warm the file cache
  const times: Record<keyof typeof scripts, number[]> = { bare: [], esm: [], cjs: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const kind of kinds) times[kind].push(await nodeMs(scripts[kind]));
  }
  const bare = median(times.bare);
  return (['esm', 'cjs'] as const).map((kind) => {
    const ms = median(times[kind]);
    const extra = ms - bare;
    return {
      name: `import: ${kind === 'esm' ? "import('reelset')" : "require('reelset')"} vs node -e ''`,
      reelset: ms,
      peer: bare,
      ratio: bare / ms,
      goal: `+<= ${GOAL_MS} ms`,
      met: extra <= GOAL_MS,
      unit: 'ms',
      notes:
        `${scripts[kind]} costs ${extra.toFixed(0)} ms more than an empty node (goal <= ${GOAL_MS} ms): ` +
        `medians of ${RUNS} process wall times, ${ms.toFixed(0)} ms against ${bare.toFixed(0)} ms ` +
        `(reelset / bare = ${(ms / bare).toFixed(2)}; ratio = bare / reelset)`,
    };
  });
}
