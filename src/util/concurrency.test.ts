import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { forEachLimit, Limiter } from './concurrency.js';

describe('Limiter', () => {
  it('runs at most `size` tasks at once, in arrival order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        limiter.run(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await sleep(2 + (i % 3));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('frees the slot of a task that fails', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 5)).resolves.toBe(5);
  });

  it('refuses a size that is not a whole number ≥ 1', () => {
    expect(() => new Limiter(0)).toThrow(/concurrency must be a whole number ≥ 1, got 0/);
  });
});

describe('forEachLimit', () => {
  it('never reads a stream ahead of the free slots', async () => {
    let pulled = 0;
    let done = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - done);
        yield i;
      }
    }
    const seen: number[] = [];
    await forEachLimit(source(), 3, async (i) => {
      await sleep(1 + (i % 4));
      seen.push(i);
      done++;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(maxAhead).toBe(3);
  });

  it('rejects with the first error, starts nothing after it, waits for calls in flight and closes the source', async () => {
    let closed = false;
    let started = 0;
    let settled = 0;
    function* source(): Generator<number> {
      try {
        for (let i = 0; i < 100; i++) yield i;
      } finally {
        closed = true;
      }
    }
    await expect(
      forEachLimit(source(), 4, async (i) => {
        started++;
        await sleep(i === 2 ? 1 : 5);
        settled++;
        if (i === 2) throw new Error(`failed at ${i}`);
      }),
    ).rejects.toThrow('failed at 2');
    expect(started).toBeLessThanOrEqual(5);
    expect(settled).toBe(started);
    expect(closed).toBe(true);
  });
});
