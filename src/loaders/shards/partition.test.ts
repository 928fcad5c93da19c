/** @module partition.test — the launcher's environment, the shard order and the canonical partition. */
import { describe, expect, it } from 'vitest';
import { launcherRank, partitionEpoch, resolvePartition, shardOrder } from './partition.js';

/** Every (shard, index) pair of a reader's segments. */
function samples(
  counts: number[],
  order: number[],
  rank: number,
  worldSize: number,
  worker: number,
  workers: number,
): string[] {
  return partitionEpoch(counts, order, { rank, worldSize, worker, workers }).flatMap((s) =>
    Array.from({ length: s.to - s.from }, (_, i) => `${s.shard}:${s.from + i}`),
  );
}

describe('partition', () => {
  it('reads the launcher environment: torchrun, Slurm, Kubernetes indexed Jobs', () => {
    expect(launcherRank({ RANK: '3', WORLD_SIZE: '8' })).toEqual({ rank: 3, worldSize: 8 });
    expect(launcherRank({ SLURM_PROCID: '1', SLURM_NTASKS: '4' })).toEqual({ rank: 1, worldSize: 4 });
    expect(launcherRank({ JOB_COMPLETION_INDEX: '2', REELSET_WORLD_SIZE: '5' })).toEqual({
      rank: 2,
      worldSize: 5,
    });
    expect(launcherRank({ JOB_COMPLETION_INDEX: '2', WORLD_SIZE: '3' })).toEqual({ rank: 2, worldSize: 3 });
    expect(launcherRank({})).toBeUndefined();
    expect(() => launcherRank({ JOB_COMPLETION_INDEX: '2' })).toThrow(/world size/);
    expect(() => launcherRank({ RANK: 'x', WORLD_SIZE: '2' })).toThrow(/whole number/);
    expect(resolvePartition({}, { RANK: '1', WORLD_SIZE: '2' })).toEqual({
      rank: 1,
      worldSize: 2,
      worker: 0,
      workers: 1,
    });
    expect(() => resolvePartition({ rank: 2, worldSize: 2 }, {})).toThrow(/rank must be < worldSize/);
  });

  it('orders shards by (seed, epoch), the same everywhere', () => {
    expect(shardOrder(10, 1, 0)).toEqual(shardOrder(10, 1, 0));
    expect(shardOrder(10, 1, 0)).not.toEqual(shardOrder(10, 1, 1));
    expect([...shardOrder(10, 1, 0)].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
  });

  it('gives every sample to exactly one (rank, worker), equal shares, independent of the workers', () => {
    const counts = [5, 0, 7, 3, 9, 1, 4];
    const order = shardOrder(counts.length, 3, 2);
    const all = order.flatMap((s) => Array.from({ length: counts[s] as number }, (_, i) => `${s}:${i}`));
    for (const worldSize of [1, 3, 4, 29, 40]) {
      const seen: string[] = [];
      const sizes: number[] = [];
      for (let rank = 0; rank < worldSize; rank++) {
        const alone = samples(counts, order, rank, worldSize, 0, 1);
        const split = [0, 1].flatMap((w) => samples(counts, order, rank, worldSize, w, 2));
        expect(split).toEqual(alone);
        sizes.push(alone.length);
        seen.push(...alone);
      }
      expect(seen).toEqual(all);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});
