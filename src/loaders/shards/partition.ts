/**
 * @module shards/partition — who reads what: the launcher's rank and world size from the environment
 * (torchrun, Slurm, Kubernetes indexed Jobs), the epoch's shard order, and the canonical partition of an
 * epoch's samples over ranks, then over each rank's data workers.
 */
import { checkInteger, invalidArgument } from '../../util/options.js';
import { mulberry32, shuffleSeed } from '../../util/random.js';

/**
 * One reader's place among all: `rank` of `worldSize` processes, and `worker` of the `workers` data workers
 * of that process (0 of 1 when it reads alone).
 *
 * @example
 * ```ts
 * const part: Partition = { rank: 2, worldSize: 4, worker: 1, workers: 2 };
 * ```
 */
export interface Partition {
  rank: number;
  worldSize: number;
  worker: number;
  workers: number;
}

/**
 * Options naming a reader's place; each field falls back to the launcher's environment
 * ({@link launcherRank}), then to 0 of 1.
 *
 * @example
 * ```ts
 * const options: PartitionOptions = { rank: 0, worldSize: 8, worker: 0, workers: 4 };
 * ```
 */
export interface PartitionOptions {
  rank?: number;
  worldSize?: number;
  /** This data worker's index in its process, 0 ≤ worker < workers. */
  worker?: number;
  /** Data workers per process (they split the process's share; the share itself does not depend on it). */
  workers?: number;
}

function envInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text))
    throw invalidArgument(
      `The environment variable ${name} must be a whole number, got ${JSON.stringify(text)}`,
    );
  return Number(text);
}

/**
 * The rank and world size the launcher gave this process: `RANK`/`WORLD_SIZE` (torchrun, accelerate,
 * DeepSpeed), else `SLURM_PROCID`/`SLURM_NTASKS` (srun), else `JOB_COMPLETION_INDEX` (a Kubernetes indexed
 * Job) with `WORLD_SIZE` or `REELSET_WORLD_SIZE` (the Job's `completions`); undefined when none is set.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a variable that is not a whole number, or an index
 *   without its world size.
 * @example
 * ```ts
 * launcherRank({ RANK: '3', WORLD_SIZE: '8' }); // { rank: 3, worldSize: 8 }
 * launcherRank({ SLURM_PROCID: '1', SLURM_NTASKS: '4' }); // { rank: 1, worldSize: 4 }
 * ```
 */
export function launcherRank(
  env: NodeJS.ProcessEnv = process.env,
): { rank: number; worldSize: number } | undefined {
  const pairs: [string, string][] = [
    ['RANK', 'WORLD_SIZE'],
    ['SLURM_PROCID', 'SLURM_NTASKS'],
    ['JOB_COMPLETION_INDEX', 'REELSET_WORLD_SIZE'],
  ];
  for (const [rankName, sizeName] of pairs) {
    const rank = envInteger(env, rankName);
    if (rank === undefined) continue;
    const worldSize = envInteger(env, sizeName) ?? envInteger(env, 'WORLD_SIZE');
    if (worldSize === undefined) {
      throw invalidArgument(`${rankName} is set but not ${sizeName}: set the world size too`);
    }
    if (rank >= worldSize)
      throw invalidArgument(`${rankName} (${rank}) must be < ${sizeName} (${worldSize})`);
    return { rank, worldSize };
  }
  return undefined;
}

/**
 * Checks a {@link PartitionOptions}, filling rank and world size from the launcher's environment.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad value or `rank >= worldSize`.
 * @example
 * ```ts
 * resolvePartition({ workers: 2, worker: 1 }, {}); // { rank: 0, worldSize: 1, worker: 1, workers: 2 }
 * ```
 */
export function resolvePartition(
  options: PartitionOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Partition {
  const launched =
    options.rank === undefined && options.worldSize === undefined ? launcherRank(env) : undefined;
  const worldSize = checkInteger('shard.worldSize', options.worldSize ?? launched?.worldSize ?? 1, 1);
  const rank = checkInteger('shard.rank', options.rank ?? launched?.rank ?? 0, 0);
  const workers = checkInteger('shard.workers', options.workers ?? 1, 1);
  const worker = checkInteger('shard.worker', options.worker ?? 0, 0);
  if (rank >= worldSize) throw invalidArgument(`shard.rank must be < worldSize (${worldSize}), got ${rank}`);
  if (worker >= workers) throw invalidArgument(`shard.worker must be < workers (${workers}), got ${worker}`);
  return { rank, worldSize, worker, workers };
}

/**
 * The order in which an epoch visits the shards: a Fisher-Yates permutation of `0..count-1` driven by
 * mulberry32 seeded with `(seed, epoch)`.
 *
 * @example
 * ```ts
 * shardOrder(4, 1, 0); // a permutation of [0, 1, 2, 3], the same on every machine
 * ```
 */
export function shardOrder(count: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const rng = mulberry32(shuffleSeed(seed, epoch));
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * A run of one shard's samples: outputs `from` (inclusive) to `to` (exclusive) of shard `shard`, in the
 * shard's shuffled order.
 *
 * @example
 * ```ts
 * const segment: Segment = { shard: 5, from: 0, to: 120 };
 * ```
 */
export interface Segment {
  shard: number;
  from: number;
  to: number;
}

/**
 * The canonical partition: the epoch's samples, shard after shard in `order`, cut into `worldSize`
 * contiguous spans of equal size (±1), each span cut the same way into `workers` spans. A rank's samples do
 * not depend on how many data workers it uses; every sample belongs to exactly one (rank, worker); a rank
 * reads whole shards except at most two cut at its ends.
 *
 * @example
 * ```ts
 * partitionEpoch([10, 10, 10], [2, 0, 1], { rank: 1, worldSize: 2, worker: 0, workers: 1 });
 * // [{ shard: 0, from: 5, to: 10 }, { shard: 1, from: 0, to: 10 }]
 * ```
 */
export function partitionEpoch(
  counts: readonly number[],
  order: readonly number[],
  part: Partition,
): Segment[] {
  const total = order.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const rankStart = Math.floor((total * part.rank) / part.worldSize);
  const rankEnd = Math.floor((total * (part.rank + 1)) / part.worldSize);
  const length = rankEnd - rankStart;
  const start = rankStart + Math.floor((length * part.worker) / part.workers);
  const end = rankStart + Math.floor((length * (part.worker + 1)) / part.workers);
  const segments: Segment[] = [];
  let at = 0;
  for (const shard of order) {
    const n = counts[shard] ?? 0;
    const from = Math.max(start, at) - at;
    const to = Math.min(end, at + n) - at;
    if (from < to) segments.push({ shard, from, to });
    at += n;
    if (at >= end) break;
  }
  return segments;
}
