/** @module harness — shared helpers of the benchmarks: timing, medians, peer processes, result rows. */
import { spawn } from 'node:child_process';
import {
  BITEXACT_ARGS,
  FFMPEG_QUIET,
  FRAME_RATE,
  H264_ARGS,
  lavfiInput,
  VIDEO_HEIGHT,
  VIDEO_WIDTH,
} from '../src/synth/video.js';

/**
 * One row of the benchmark table: reelset's figure against a peer's, in `unit`, and whether the goal is met.
 * `ratio` is how many times better reelset is (> 1: reelset is better); `notes` states the direction.
 *
 * @example
 * ```ts
 * const row: BenchResult = {
 *   name: 'catalog: read 562,342 lines', reelset: 0.9, peer: 2.2, ratio: 2.44, goal: '>= 2', met: true,
 *   unit: 's', notes: 'ratio = python s / reelset s',
 * };
 * ```
 */
export interface BenchResult {
  /** What was measured. */
  name: string;
  /** reelset's figure, in `unit`. */
  reelset: number;
  /** The peer's figure, in `unit`. */
  peer: number;
  /** How many times better reelset is: > 1 means reelset is better. */
  ratio: number;
  /** The goal for `ratio`, e.g. `'>= 2'`. */
  goal: string;
  /** Whether `ratio` meets `goal`. */
  met: boolean;
  /** The unit of `reelset` and `peer`, e.g. `'s'` or `'samples/s'`. */
  unit: string;
  /** How it was measured, the direction of the ratio, anything else worth knowing. */
  notes?: string;
}

/**
 * What a benchmark file default-exports: an async function giving one or more rows.
 *
 * @example
 * ```ts
 * const bench: Bench = async () => ({ name: 'x', reelset: 1, peer: 2, ratio: 2, goal: '>= 2', met: true, unit: 's' });
 * export default bench;
 * ```
 */
export type Bench = () => Promise<BenchResult | BenchResult[]>;

/**
 * A monotonic clock reading in nanoseconds (`process.hrtime.bigint()`).
 *
 * @example
 * ```ts
 * const start = now();
 * doWork();
 * console.log(secondsSince(start));
 * ```
 */
export function now(): bigint {
  return process.hrtime.bigint();
}

/**
 * Seconds elapsed since a reading of {@link now}.
 *
 * @example
 * ```ts
 * const start = now();
 * await work();
 * const seconds = secondsSince(start);
 * ```
 */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Runs `fn` once and returns its result with the seconds it took.
 *
 * @example
 * ```ts
 * const { seconds, result } = await timed(async () => countLines('file.txt'));
 * ```
 */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; result: T }> {
  const start = now();
  const result = await fn();
  return { seconds: secondsSince(start), result };
}

/**
 * The median of some numbers (the mean of the middle two for an even count); NaN when there are none.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs `a` then `b`, `runs` times, alternating (a, b, a, b, ...), so that drifts of the machine (other load,
 * thermal state, caches) touch both alike. Returns every result of each, in order.
 *
 * @example
 * ```ts
 * const { a, b } = await alternate(3, () => timeMine(), () => timePeer());
 * console.log(median(a), median(b));
 * ```
 */
export async function alternate<A, B>(
  runs: number,
  a: () => Promise<A>,
  b: () => Promise<B>,
): Promise<{ a: A[]; b: B[] }> {
  const as: A[] = [];
  const bs: B[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return { a: as, b: bs };
}

/**
 * The outcome of a peer process: exit code, output, and its wall time (spawn to exit) in seconds.
 *
 * @example
 * ```ts
 * const run: PeerRun = { code: 0, stdout: '{"count": 3}', stderr: '', wallSec: 0.05 };
 * ```
 */
export interface PeerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallSec: number;
}

/**
 * Spawns a peer process (explicit argument array, no shell), waits for it, and measures its wall time.
 * Rejects when it cannot be started or exits non-zero.
 *
 * @example
 * ```ts
 * const run = await runPeer('python3', ['-c', 'print(42)']);
 * console.log(run.stdout.trim(), run.wallSec);
 * ```
 */
export function runPeer(
  command: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const run = {
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallSec: secondsSince(start),
      };
      if (code === 0) resolve(run);
      else reject(new Error(`${command} exited with ${String(code)}: ${run.stderr.slice(-2000)}`));
    });
  });
}

/**
 * Whether an executable can be run (`<command> --version` exits 0).
 *
 * @example
 * ```ts
 * if (!(await hasCommand('python3'))) console.log('no python3: peer skipped');
 * ```
 */
export async function hasCommand(command: string): Promise<boolean> {
  try {
    await runPeer(command, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds a result row for a "higher is better" ratio: `ratio = better / worse` as given, `met` when
 * `ratio >= goal`.
 *
 * @example
 * ```ts
 * // times in seconds, lower is better: ratio = peer / reelset
 * const row = result({ name: 'read', reelset: 1, peer: 2.5, ratio: 2.5 / 1, goal: 2, unit: 's' });
 * row.met; // true
 * ```
 */
export function result(row: {
  name: string;
  reelset: number;
  peer: number;
  ratio: number;
  goal: number;
  unit: string;
  notes?: string;
}): BenchResult {
  const met = Number.isFinite(row.ratio) && row.ratio >= row.goal;
  const out: BenchResult = {
    name: row.name,
    reelset: row.reelset,
    peer: row.peer,
    ratio: row.ratio,
    goal: `>= ${row.goal}`,
    met,
    unit: row.unit,
  };
  if (row.notes !== undefined) out.notes = row.notes;
  return out;
}

/**
 * The ffmpeg arguments of a clip that decodes like the real ones: 640x360, 24000/1001 fps, `frames` long,
 * about 0.8 Mbit/s H.264 High (libx264 veryfast, its default B-frames), keyint 250, faststart, from
 * testsrc2 with temporal noise (`seed` varies the noise). The synthesizer's smooth label patterns compress
 * to 0.1 Mbit/s and decode in half the real clip's CPU time, so the speed benches use this instead.
 *
 * @example
 * ```ts
 * await runFfmpeg(realLikeClipArgs(369, '/tmp/clip.mp4')); // 15.4 s, 2 keyframes
 * ```
 */
export function realLikeClipArgs(frames: number, outPath: string, seed?: number): string[] {
  const noise = `noise=alls=6:allf=t${seed === undefined ? '' : `:all_seed=${seed}`}`;
  return [
    ...FFMPEG_QUIET,
    ...lavfiInput(`testsrc2=s=${VIDEO_WIDTH}x${VIDEO_HEIGHT}:r=${FRAME_RATE},${noise}`),
    '-frames:v',
    String(frames),
    ...H264_ARGS,
    '-b:v',
    '800k',
    '-g',
    '250',
    ...BITEXACT_ARGS,
    '-movflags',
    '+faststart',
    outPath,
  ];
}
