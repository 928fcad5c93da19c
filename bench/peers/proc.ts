/** @module proc — what Linux's /proc says about processes: CPU seconds, peak RSS, and a process-tree memory sampler. */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second of /proc's times (`getconf CLK_TCK`, 100 on Linux). */
const TICKS = 100;

/**
 * CPU seconds (user + system) of this process (`self`) and of its children already waited for (`children`:
 * `cutime` + `cstime`, which covers every ffmpeg a Node process spawned and reaped), from /proc/self/stat.
 *
 * @example
 * ```ts
 * const before = cpuTimes();
 * await runPeer(ffmpeg, args);
 * const cpu = cpuTimes().children - before.children; // the ffmpeg's user + system seconds
 * ```
 */
export function cpuTimes(): { self: number; children: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (i: number): number => Number(fields[i - 3]);
  return { self: (ticks(14) + ticks(15)) / TICKS, children: (ticks(16) + ticks(17)) / TICKS };
}

/**
 * A field of /proc/<pid>/status or /proc/<pid>/smaps_rollup in KiB (`VmHWM`, `VmRSS`, `Pss`), or 0 when the
 * process or the field is gone.
 *
 * @example
 * ```ts
 * const peakKiB = procKiB('self', 'status', 'VmHWM'); // this process's peak RSS
 * ```
 */
export function procKiB(pid: number | 'self', file: 'status' | 'smaps_rollup', field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // ended meanwhile
  }
}

/** The pids of the descendants of `pid` (children of each of its threads, recursively). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of text.split(' ')) {
        if (child.trim() === '') continue;
        out.push(Number(child));
        stack.push(Number(child));
      }
    }
  }
  return out;
}

/**
 * The peaks a {@link TreeSampler} saw, in MiB: the summed RSS and PSS (shared pages divided among the
 * processes that map them, so forked workers are not counted twice) of the processes, the largest single
 * RSS, and how many processes there were at most.
 *
 * @example
 * ```ts
 * const peaks: TreePeaks = { rssMiB: 812, pssMiB: 590, largestRssMiB: 300, processes: 3, samples: 120 };
 * ```
 */
export interface TreePeaks {
  rssMiB: number;
  pssMiB: number;
  largestRssMiB: number;
  processes: number;
  samples: number;
}

/**
 * Samples, every `intervalMs`, the memory of the processes this process starts after the sampler: every
 * descendant of this process that did not exist when it was created (so tsx's service process is left out).
 * `stop()` gives the peaks.
 *
 * @example
 * ```ts
 * const sampler = new TreeSampler();
 * await runPeer('/usr/bin/python3', ['loader.py']);
 * const { pssMiB } = sampler.stop();
 * ```
 */
export class TreeSampler {
  readonly #before: Set<number>;
  readonly #timer: NodeJS.Timeout;
  readonly #peaks: TreePeaks = { rssMiB: 0, pssMiB: 0, largestRssMiB: 0, processes: 0, samples: 0 };

  constructor(intervalMs = 200) {
    this.#before = new Set(descendants(process.pid));
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const pids = descendants(process.pid).filter((pid) => !this.#before.has(pid));
    let rss = 0;
    let pss = 0;
    for (const pid of pids) {
      const one = procKiB(pid, 'status', 'VmRSS');
      rss += one;
      pss += procKiB(pid, 'smaps_rollup', 'Pss');
      this.#peaks.largestRssMiB = Math.max(this.#peaks.largestRssMiB, one / 1024);
    }
    this.#peaks.rssMiB = Math.max(this.#peaks.rssMiB, rss / 1024);
    this.#peaks.pssMiB = Math.max(this.#peaks.pssMiB, pss / 1024);
    this.#peaks.processes = Math.max(this.#peaks.processes, pids.length);
    this.#peaks.samples++;
  }

  /** Stops sampling and gives the peaks seen. */
  stop(): TreePeaks {
    clearInterval(this.#timer);
    return { ...this.#peaks };
  }
}
