import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { Dataset, type IterationState } from './dataset.js';
import type { Json, Source } from './source.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A source of 0..n-1 that counts its passes, reads and closes. */
function tracked(n: number, name = 'Tracked') {
  const t = { opened: 0, closed: 0, reads: 0 };
  const source: Source<number> = {
    name,
    async *open(position) {
      t.opened++;
      try {
        for (let i = typeof position === 'number' ? position : 0; i < n; i++) {
          t.reads++;
          yield { value: i, position: i + 1 };
        }
      } finally {
        t.closed++;
      }
    },
  };
  return { source, t };
}

/** The state after k elements of a fresh pass (JSON round trip), and the elements read. */
async function stateAfter<T>(ds: Dataset<T>, k: number): Promise<{ state: IterationState; head: T[] }> {
  const iterator = ds[Symbol.asyncIterator]();
  const head: T[] = [];
  for (let i = 0; i < k; i++) {
    const r = await iterator.next();
    if (r.done) throw new Error(`ended after ${i}`);
    head.push(r.value);
  }
  const state = JSON.parse(JSON.stringify(iterator.state())) as IterationState;
  await iterator.return?.();
  return { state, head };
}

/** Resuming after every position k reproduces exactly the tail of the uninterrupted sequence. */
async function expectResumableEverywhere<T>(ds: Dataset<T>): Promise<T[]> {
  const full = await ds.toArray();
  for (let k = 0; k <= full.length; k++) {
    const { state, head } = await stateAfter(ds, k);
    expect(head).toEqual(full.slice(0, k));
    expect(await ds.resume(state).toArray()).toEqual(full.slice(k));
  }
  return full;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function expectCode(err: unknown, code: Parameters<typeof isReelsetError>[1]): void {
  expect(isReelsetError(err, code), String(err)).toBe(true);
}

const mainPipeline = () =>
  Dataset.from(range(100))
    .shuffle({ seed: 7, bufferSize: 10 })
    .shard({ rank: 1, worldSize: 3 })
    .map(async (x) => x * 2, { concurrency: 4 })
    .repeat(2);

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reelset-dataset-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('Dataset basics', () => {
  it('iterates an array, restarts on every pass and keeps the original usable', async () => {
    const ds = Dataset.from([1, 2, 3]);
    const doubled = ds.map((x) => x * 2);
    expect(await ds.toArray()).toEqual([1, 2, 3]);
    expect(await doubled.toArray()).toEqual([2, 4, 6]);
    expect(await doubled.toArray()).toEqual([2, 4, 6]);
    expect(await ds.toArray()).toEqual([1, 2, 3]);
  });

  it('iterates factories of sync and async iterables, and resumes them by skipping', async () => {
    const sync = Dataset.from(() => range(5));
    const asyncDs = Dataset.from(async function* () {
      yield* range(5);
    });
    expect(await sync.toArray()).toEqual(range(5));
    await expectResumableEverywhere(sync);
    await expectResumableEverywhere(asyncDs);
    expect(sync.summary()).toBe('Iterable');
  });

  it('refuses one-shot iterables', () => {
    const err = (() => {
      try {
        Dataset.from(new Set([1]) as unknown as number[]);
      } catch (e) {
        return e;
      }
    })();
    expectCode(err, 'REELSET_E_INVALID_ARGUMENT');
  });

  it('describes the pipeline', () => {
    const { source } = tracked(3, 'Layout');
    const ds = Dataset.fromSource(source)
      .shuffle({ seed: 1, bufferSize: 100 })
      .map((x) => x, { concurrency: 4 })
      .batch(32);
    expect(ds.summary()).toBe('Layout -> Shuffle(seed=1, buffer=100) -> Map(concurrency=4) -> Batch(32)');
    expect(mainPipeline().summary()).toBe(
      'Array(100) -> Shuffle(seed=7, buffer=10) -> Shard(rank=1, worldSize=3) -> Map(concurrency=4) -> Repeat(2)',
    );
    expect(
      Dataset.from([1])
        .filter(() => true)
        .take(1)
        .skip(0)
        .prefetch(2)
        .repeat()
        .cache()
        .summary(),
    ).toBe('Array(1) -> Filter -> Take(1) -> Skip(0) -> Prefetch(2) -> Repeat(forever) -> Cache');
  });

  it('validates operator arguments', () => {
    const ds = Dataset.from([1]);
    const bad = [
      () => ds.map((x) => x, { concurrency: 0 }),
      () => ds.shuffle({ seed: 1.5, bufferSize: 10 }),
      () => ds.shuffle({ seed: 1, bufferSize: 0 }),
      () => ds.batch(0),
      () => ds.take(-1),
      () => ds.skip(1.5),
      () => ds.shard({ rank: 3, worldSize: 3 }),
      () => ds.shard({ rank: -1, worldSize: 3 }),
      () => ds.shard({ rank: 0, worldSize: 0 }),
      () => ds.prefetch(0),
      () => ds.repeat(-1),
      () => ds.cache({ dir: '' }),
    ];
    for (const f of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expectCode(err, 'REELSET_E_INVALID_ARGUMENT');
    }
  });
});

describe('operators', () => {
  it('map keeps order, passes the index, and runs exactly `concurrency` calls at once', async () => {
    let inFlight = 0;
    let max = 0;
    const ds = Dataset.from(range(40)).map(
      async (x, i) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await delay((x * 7) % 5);
        inFlight--;
        return [x, i];
      },
      { concurrency: 4 },
    );
    expect(await ds.toArray()).toEqual(range(40).map((x) => [x, x]));
    expect(max).toBe(4);
    const indexed = Dataset.from(['a', 'b', 'c']).map((x, i) => `${x}${i}`);
    expect(await indexed.toArray()).toEqual(['a0', 'b1', 'c2']);
    const { state } = await stateAfter(indexed, 1);
    expect(await indexed.resume(state).toArray()).toEqual(['b1', 'c2']);
  });

  it('map readAhead: more elements read and held in order, never more than `concurrency` calls at once', async () => {
    let inFlight = 0;
    let max = 0;
    let pulled = 0;
    const started: number[] = [];
    const source = Dataset.from(() => ({
      *[Symbol.iterator]() {
        for (let x = 0; x < 24; x++) {
          pulled++;
          yield x;
        }
      },
    }));
    // Element 0 is slow: without read-ahead the other slot would idle behind it.
    const ds = source.map(
      async (x) => {
        started.push(x);
        inFlight++;
        max = Math.max(max, inFlight);
        await delay(x === 0 ? 40 : 1);
        inFlight--;
        return x * 10;
      },
      { concurrency: 2, readAhead: 3 },
    );
    expect(ds.summary()).toBe('Iterable -> Map(concurrency=2, readAhead=3)');
    const it = ds[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    // While element 0 was decoding, the free slot went through elements 1..4 (the window is 2 + 3).
    expect(started.slice(0, 5).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(pulled).toBeLessThanOrEqual(6);
    const state = it.state();
    await it.return?.();
    expect(await ds.resume(state).toArray()).toEqual(range(23).map((x) => (x + 1) * 10));
    expect(max).toBe(2);
    expect(() => Dataset.from([1]).map((x) => x, { readAhead: -1 })).toThrow(
      /map: readAhead must be a whole number ≥ 0, got -1/,
    );
  });

  it('map errors reach the consumer, close the upstream and leave no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const concurrency of [1, 4]) {
        const { source, t } = tracked(50);
        const ds = Dataset.fromSource(source).map(
          async (x) => {
            await delay(x % 3);
            if (x >= 5) throw new Error(`bad ${x}`);
            return x;
          },
          { concurrency },
        );
        const seen: number[] = [];
        const err = await rejection(
          (async () => {
            for await (const x of ds) seen.push(x);
          })(),
        );
        expect((err as Error).message).toBe('bad 5');
        expect(seen).toEqual([0, 1, 2, 3, 4]);
        expect(t.closed).toBe(t.opened);
      }
      const syncThrow = Dataset.from([1, 2, 3]).map(
        (x) => {
          if (x === 2) throw new Error('sync');
          return x;
        },
        { concurrency: 3 },
      );
      expect(((await rejection(syncThrow.toArray())) as Error).message).toBe('sync');
      await delay(30);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('filter, take, skip and batch', async () => {
    const ds = Dataset.from(range(10));
    expect(await ds.filter(async (x) => x % 2 === 0).toArray()).toEqual([0, 2, 4, 6, 8]);
    expect(await ds.take(3).toArray()).toEqual([0, 1, 2]);
    expect(await ds.take(0).toArray()).toEqual([]);
    expect(await ds.skip(8).toArray()).toEqual([8, 9]);
    expect(await ds.skip(20).toArray()).toEqual([]);
    expect(await ds.batch(4).toArray()).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(await ds.batch(4, { dropRemainder: true }).toArray()).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('take never reads past its last element', async () => {
    const { source, t } = tracked(100);
    expect(await Dataset.fromSource(source).take(3).toArray()).toEqual([0, 1, 2]);
    expect(t.reads).toBe(3);
    expect(t.closed).toBe(1);
  });

  it('shard gives element i to rank i % worldSize', async () => {
    const parts = await Promise.all(
      range(3).map((rank) => Dataset.from(range(10)).shard({ rank, worldSize: 3 }).toArray()),
    );
    expect(parts).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('shuffle is a seeded permutation: same seed same order, another seed or epoch another order', async () => {
    const a = Dataset.from(range(100)).shuffle({ seed: 1, bufferSize: 20 });
    const first = await a.toArray();
    expect(await a.toArray()).toEqual(first);
    expect(await Dataset.from(range(100)).shuffle({ seed: 1, bufferSize: 20 }).toArray()).toEqual(first);
    expect([...first].sort((x, y) => x - y)).toEqual(range(100));
    expect(first).not.toEqual(range(100));
    const other = await Dataset.from(range(100)).shuffle({ seed: 2, bufferSize: 20 }).toArray();
    expect(other).not.toEqual(first);
    const epochs = await a.repeat(2).toArray();
    expect(epochs.slice(0, 100)).toEqual(first);
    expect(epochs.slice(100)).not.toEqual(first);
    expect([...epochs.slice(100)].sort((x, y) => x - y)).toEqual(range(100));
    expect(await Dataset.from(range(5)).shuffle({ seed: 3, bufferSize: 1 }).toArray()).toEqual(range(5));
  });

  it('repeat: finite, zero, forever, nested epochs', async () => {
    const ds = Dataset.from([1, 2]);
    expect(await ds.repeat(3).toArray()).toEqual([1, 2, 1, 2, 1, 2]);
    expect(await ds.repeat(0).toArray()).toEqual([]);
    expect(await ds.repeat().take(5).toArray()).toEqual([1, 2, 1, 2, 1]);
    expect(await Dataset.from([]).repeat().toArray()).toEqual([]);
    const epochsSeen: number[] = [];
    const probe: Source<number> = {
      name: 'Probe',
      async *open(_position, ctx) {
        epochsSeen.push(ctx.epoch);
        yield { value: ctx.epoch, position: 1 };
      },
    };
    expect(await Dataset.fromSource(probe).repeat(2).repeat(3).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(epochsSeen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('prefetch reads ahead in the background and delivers errors in order', async () => {
    const { source, t } = tracked(100);
    const iterator = Dataset.fromSource(source).prefetch(5)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(0);
    await delay(20);
    expect(t.reads).toBeGreaterThanOrEqual(5);
    expect(t.reads).toBeLessThanOrEqual(7);
    await iterator.return?.();
    expect(t.closed).toBe(1);

    const failing: Source<number> = {
      name: 'Failing',
      async *open() {
        yield { value: 1, position: 1 };
        yield { value: 2, position: 2 };
        throw new Error('disk gone');
      },
    };
    const seen: number[] = [];
    const err = await rejection(
      (async () => {
        for await (const x of Dataset.fromSource(failing).prefetch(4)) seen.push(x);
      })(),
    );
    expect(seen).toEqual([1, 2]);
    expect((err as Error).message).toBe('disk gone');
  });

  it('an early break closes every stage up to the source', async () => {
    const pipelines = [
      (d: Dataset<number>) => d,
      (d: Dataset<number>) => d.map(async (x) => x, { concurrency: 4 }),
      (d: Dataset<number>) => d.shuffle({ seed: 1, bufferSize: 10 }).filter(() => true),
      (d: Dataset<number>) =>
        d
          .map((x) => x)
          .prefetch(3)
          .batch(2),
      (d: Dataset<number>) => d.shard({ rank: 0, worldSize: 2 }).skip(1).take(50).repeat(),
      (d: Dataset<number>) => d.cache().prefetch(2),
    ];
    for (const build of pipelines) {
      const { source, t } = tracked(1000);
      let n = 0;
      for await (const _ of build(Dataset.fromSource(source))) {
        if (++n === 3) break;
      }
      expect(t.opened).toBe(1);
      expect(t.closed).toBe(1);
    }
  });
});

describe('state and resume', () => {
  it('resumes the reference pipeline after every position, across epochs', async () => {
    const ds = mainPipeline();
    const full = await expectResumableEverywhere(ds);
    expect(full.length).toBe(66);
    // Deterministic across Dataset objects too.
    expect(await mainPipeline().toArray()).toEqual(full);
  });

  it('resumes after every position: batch, take/skip, filter, prefetch, nested repeat, split', async () => {
    const base = Dataset.from(range(50));
    const pipelines: Dataset<unknown>[] = [
      base.shuffle({ seed: 3, bufferSize: 8 }).batch(4),
      base.batch(4, { dropRemainder: true }).map(async (b) => b.length, { concurrency: 3 }),
      base.skip(5).take(30),
      base.shuffle({ seed: 5, bufferSize: 50 }).take(7).repeat(3),
      base.filter((x) => x % 3 !== 0).map(async (x) => x + 1, { concurrency: 5 }),
      base.filter((x) => x % 2 === 0).map(async (x, i) => x * 1000 + i, { concurrency: 3 }),
      base
        .map(async (x) => x, { concurrency: 3 })
        .prefetch(4)
        .repeat(2),
      base.take(10).shuffle({ seed: 9, bufferSize: 4 }).repeat(2).repeat(2),
      base.shard({ rank: 2, worldSize: 4 }).prefetch(1).batch(3).skip(1),
      base.map((x) => ({ id: `clip${x}` })).split({ train: 0.6, validation: 0.2, test: 0.2, seed: 4 }).train,
    ];
    for (const ds of pipelines) await expectResumableEverywhere(ds);
  });

  it('resumes sources with object positions', async () => {
    const labelled: Source<string> = {
      name: 'Labelled',
      async *open(position) {
        const labels = ['Beach', 'Cats', 'Dogs'];
        const after = position as { label: number; item: number } | undefined;
        for (let l = after?.label ?? 0; l < labels.length; l++) {
          const from = after !== undefined && l === after.label ? after.item : 0;
          for (let i = from; i < 3; i++)
            yield { value: `${labels[l]}/${i}`, position: { label: l, item: i + 1 } };
        }
      },
    };
    const full = await expectResumableEverywhere(
      Dataset.fromSource(labelled).shuffle({ seed: 1, bufferSize: 4 }).repeat(2),
    );
    expect(full.length).toBe(18);
  });

  it('states: before the first element, after the last, of a resumed dataset', async () => {
    const ds = mainPipeline();
    const full = await ds.toArray();
    const iterator = ds[Symbol.asyncIterator]();
    const before = iterator.state();
    expect(before).toEqual({ version: 1, pipeline: ds.summary(), position: null });
    expect(await ds.resume(before).toArray()).toEqual(full);
    for await (const _ of iterator);
    expect(await ds.resume(iterator.state()).toArray()).toEqual([]);
    // A state of a resumed dataset resumes on the original.
    const { state: s1 } = await stateAfter(ds, 10);
    const resumed = ds.resume(s1);
    expect(resumed.summary()).toBe(ds.summary());
    const { state: s2, head } = await stateAfter(resumed, 20);
    expect(head).toEqual(full.slice(10, 30));
    expect(resumed[Symbol.asyncIterator]().state()).toEqual(s1);
    expect(await ds.resume(s2).toArray()).toEqual(full.slice(30));
    expect(await resumed.resume(s2).toArray()).toEqual(full.slice(30));
  });

  it('state never counts elements read ahead by map or prefetch', async () => {
    const { source } = tracked(100);
    const ds = Dataset.fromSource(source)
      .map(async (x) => x, { concurrency: 8 })
      .prefetch(10);
    const { state, head } = await stateAfter(ds, 3);
    expect(head).toEqual([0, 1, 2]);
    expect((await ds.resume(state).toArray())[0]).toBe(3);
  });

  it('refuses malformed states and states of other pipelines', async () => {
    const ds = mainPipeline();
    const { state } = await stateAfter(ds, 5);
    const bad: unknown[] = [
      null,
      'state',
      { ...state, version: 2 },
      { ...state, pipeline: 'Array(100) -> Repeat(2)' },
      { version: 1, pipeline: state.pipeline },
      { ...state, position: { epoch: -1, at: null } },
      { ...state, position: { epoch: 0 } },
      { ...state, position: { epoch: 0, at: { n: 'x', at: null } } },
      { ...state, position: 42 },
      { ...state, position: { epoch: 0, at: { n: 1, at: { n: 1, at: -3 } } } },
    ];
    for (const s of bad) {
      let err: unknown;
      try {
        ds.resume(s as IterationState);
      } catch (e) {
        err = e;
      }
      expectCode(err, 'REELSET_E_STATE');
    }
  });
});

describe('cache', () => {
  it('in memory: decodes once, serves later passes and iterators, resumes through the cache', async () => {
    const { source, t } = tracked(20);
    let decodes = 0;
    const cached = Dataset.fromSource(source)
      .map((x) => {
        decodes++;
        return x * 10;
      })
      .cache();
    const expected = range(20).map((x) => x * 10);
    expect(await cached.toArray()).toEqual(expected);
    expect(await cached.toArray()).toEqual(expected);
    expect(await cached.repeat(3).toArray()).toEqual([...expected, ...expected, ...expected]);
    expect(decodes).toBe(20);
    expect(t.opened).toBe(1);
    await expectResumableEverywhere(cached.shuffle({ seed: 1, bufferSize: 5 }).repeat(2));
    expect(decodes).toBe(20);
  });

  it('an interrupted first pass does not leave a partial cache', async () => {
    const { source, t } = tracked(10);
    const cached = Dataset.fromSource(source).cache();
    let n = 0;
    for await (const _ of cached) if (++n === 4) break;
    expect(await cached.toArray()).toEqual(range(10));
    expect(t.opened).toBe(2);
    expect(await cached.toArray()).toEqual(range(10));
    expect(t.opened).toBe(2);
  });

  it('in memory: states taken while building, or from the cache, resume with or without the cache', async () => {
    const make = () => Dataset.from(range(12)).shuffle({ seed: 2, bufferSize: 4 }).cache();
    const full = await make().toArray();
    const complete = make();
    await complete.toArray();
    for (let k = 0; k <= full.length; k++) {
      const building = await stateAfter(make(), k); // first pass: from the upstream
      const fromCache = await stateAfter(complete, k); // read from the cache
      for (const { state } of [building, fromCache]) {
        expect(await make().resume(state).toArray()).toEqual(full.slice(k));
        expect(await complete.resume(state).toArray()).toEqual(full.slice(k));
      }
    }
  });

  it('on disk: chunked v8 records, reused by a later process without touching the upstream', async () => {
    const dir = await tempDir();
    const items = range(300).map((i) => ({ id: String(i), pixels: new Float32Array([i, i / 2, -i]) }));
    const { source, t } = tracked(300, 'Layout');
    const build = Dataset.fromSource(source)
      .map((i) => items[i])
      .cache({ dir, chunkBytes: 2048 });
    expect(build.summary()).toBe('Layout -> Map(concurrency=1) -> Cache(disk)');
    expect(await build.toArray()).toEqual(items);
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.bin')).length).toBeGreaterThan(3);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'reelset-cache',
      version: 1,
      pipeline: 'Layout -> Map(concurrency=1)',
    });
    expect(manifest.count).toBe(300);
    expect(await build.toArray()).toEqual(items);
    expect(t.opened).toBe(1);

    // "Another process": same pipeline summary, an upstream that must not be opened.
    const untouchable: Source<number> = {
      name: 'Layout',
      open() {
        throw new Error('upstream opened');
      },
    };
    const later = Dataset.fromSource(untouchable)
      .map((i) => items[i])
      .cache({ dir, chunkBytes: 2048 });
    const read = await later.toArray();
    expect(read).toEqual(items);
    expect(read[5]?.pixels).toBeInstanceOf(Float32Array);
    await expectResumableEverywhere(later.take(40).repeat(2));
    const { state } = await stateAfter(later, 123);
    expect(await later.resume(state).toArray()).toEqual(items.slice(123));
  });

  it('on disk: resumes states taken while building', async () => {
    const make = (dir: string) =>
      Dataset.from(range(40)).shuffle({ seed: 4, bufferSize: 8 }).cache({ dir, chunkBytes: 64 });
    const full = await make(await tempDir()).toArray();
    const complete = make(await tempDir());
    await complete.toArray();
    for (const k of [0, 1, 7, 8, 20, 39, 40]) {
      const building = await stateAfter(make(await tempDir()), k);
      expect(
        await make(await tempDir())
          .resume(building.state)
          .toArray(),
      ).toEqual(full.slice(k));
      expect(await complete.resume(building.state).toArray()).toEqual(full.slice(k));
      const fromDisk = await stateAfter(complete, k);
      expect(
        await make(await tempDir())
          .resume(fromDisk.state)
          .toArray(),
      ).toEqual(full.slice(k));
    }
  });

  it('on disk: an interrupted build leaves no manifest and no chunks; a mismatching manifest is an error', async () => {
    const dir = await tempDir();
    const ds = Dataset.from(range(100)).cache({ dir, chunkBytes: 32 });
    let n = 0;
    for await (const _ of ds) if (++n === 50) break;
    expect(await readdir(dir)).toEqual([]);
    await ds.toArray();
    expect((await readdir(dir)).includes('manifest.json')).toBe(true);
    const other = Dataset.from(range(99)).cache({ dir });
    expectCode(await rejection(other.toArray()), 'REELSET_E_CACHE');
    await writeFile(join(dir, 'manifest.json'), '{"format":"nope"}');
    expectCode(await rejection(Dataset.from(range(100)).cache({ dir }).toArray()), 'REELSET_E_CACHE');
  });

  it('on disk: reading stays flat in memory', async () => {
    const gc = forceGc();
    const dir = await tempDir();
    const blob = 64 * 1024;
    const ds = Dataset.from(() => range(1000))
      .map((i) => new Uint8Array(blob).fill(i % 256))
      .cache({ dir, chunkBytes: 1024 * 1024 });
    await ds.toArray().then((a) => a.length); // 64 MB written, not kept
    gc();
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const start = used();
    let peak = 0;
    let n = 0;
    for await (const x of ds) {
      expect(x[0]).toBe(n % 256);
      n++;
      if (n % 100 === 0) {
        gc();
        peak = Math.max(peak, used() - start);
      }
    }
    expect(n).toBe(1000);
    expect(peak).toBeLessThan(30 * 1024 * 1024);
  });
});

describe('split', () => {
  const clips = range(2000).map((i) => ({ id: `clip${i}`, label: i % 7 }));

  it('partitions by a stable hash of the id, independent of order and duplicates', async () => {
    const options = { train: 0.8, validation: 0.1, test: 0.1, seed: 11 };
    const { train, validation, test } = Dataset.from(clips).split(options);
    const parts = await Promise.all([train.toArray(), validation.toArray(), test.toArray()]);
    const ids = parts.map((p) => p.map((c) => c.id));
    expect(ids.flat().sort()).toEqual(clips.map((c) => c.id).sort());
    expect(new Set(ids.flat()).size).toBe(clips.length);
    expect(ids[0]?.length).toBeGreaterThan(1500);
    expect(ids[0]?.length).toBeLessThan(1700);
    expect(ids[1]?.length).toBeGreaterThan(120);
    expect(ids[2]?.length).toBeGreaterThan(120);
    // Reordered, duplicated (same id under another label): every id lands where it landed before.
    const shuffled = [...clips].reverse().concat(clips.slice(0, 100).map((c) => ({ ...c, label: 99 })));
    const again = Dataset.from(shuffled).split(options);
    const trainIds = new Set(ids[0]);
    for (const c of await again.train.toArray()) expect(trainIds.has(c.id)).toBe(true);
    for (const c of await again.test.toArray()) expect(new Set(ids[2]).has(c.id)).toBe(true);
    // Another seed, another assignment.
    const other = await Dataset.from(clips)
      .split({ ...options, seed: 12 })
      .train.toArray();
    expect(other.map((c) => c.id)).not.toEqual(ids[0]);
    expect(train.summary()).toBe('Array(2000) -> Split(train, 0.8/0.1/0.1, seed=11)');
  });

  it('uses a key function, refuses elements without an id, validates fractions', async () => {
    const byNumber = Dataset.from(range(100)).split({
      train: 0.5,
      validation: 0.5,
      test: 0,
      seed: 1,
      key: (x) => x,
    });
    expect((await byNumber.test.toArray()).length).toBe(0);
    expect((await byNumber.train.toArray()).length + (await byNumber.validation.toArray()).length).toBe(100);
    const noId = Dataset.from([1, 2]).split({ train: 1, validation: 0, test: 0, seed: 1 });
    expectCode(await rejection(noId.train.toArray()), 'REELSET_E_INVALID_ARGUMENT');
    for (const bad of [
      { train: 0.8, validation: 0.1, test: 0.2, seed: 1 },
      { train: -0.1, validation: 0.6, test: 0.5, seed: 1 },
      { train: Number.NaN, validation: 0.5, test: 0.5, seed: 1 },
      { train: 0.8, validation: 0.1, test: 0.1, seed: 0.5 },
    ]) {
      let err: unknown;
      try {
        Dataset.from(clips).split(bad);
      } catch (e) {
        err = e;
      }
      expectCode(err, 'REELSET_E_INVALID_ARGUMENT');
    }
  });
});

describe('long runs', () => {
  it('memory stays flat over 200k elements through map + shuffle + batch + prefetch', async () => {
    const gc = forceGc();
    const ds = Dataset.from(range(1000))
      .repeat()
      .map(async (x) => ({ x, features: new Float32Array(16).fill(x) }), { concurrency: 4 })
      .shuffle({ seed: 1, bufferSize: 1000 })
      .batch(32)
      .prefetch(4)
      .take(Math.ceil(200_000 / 32));
    let batches = 0;
    let baseline = 0;
    let growth = 0;
    for await (const batch of ds) {
      batches++;
      expect(batch.length).toBe(32);
      if (batches === 500) {
        gc();
        baseline = process.memoryUsage().heapUsed;
      } else if (batches > 500 && batches % 1000 === 0) {
        gc();
        growth = Math.max(growth, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect(batches).toBe(Math.ceil(200_000 / 32));
    expect(growth).toBeLessThan(30 * 1024 * 1024);
  });

  it('a state JSON round trip keeps a deep position intact', async () => {
    const ds = mainPipeline();
    const { state } = await stateAfter(ds, 40);
    const copy = JSON.parse(JSON.stringify(state)) as { position: Json };
    expect(copy.position).toEqual(state.position);
    expect(state.pipeline).toBe(ds.summary());
  });
});
