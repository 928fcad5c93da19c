/**
 * @module shards/shards-source — a folder of shards as a resumable {@link Source} of samples: the epoch's
 * shard order, this reader's segments of the canonical partition, an in-shard shuffle buffer, the next
 * shards prefetched, bad shards recorded as skips, positions exact to the sample.
 */
import { hash53 } from '../../util/random.js';
import { type Open, prefetchOp, shuffleOp, stateError } from '../dataset/ops.js';
import type { Json, PassContext, Positioned, Source } from '../dataset/source.js';
import { labelId } from '../layout/labels.js';
import type { OnError, Sample, Skip } from '../sample.js';
import { ShardCache, type ShardCacheOptions } from './cache.js';
import { ShardError } from './errors.js';
import {
  indexName,
  MANIFEST_NAME,
  type ManifestShard,
  parseIndex,
  parseManifest,
  type SampleMeta,
  type ShardManifest,
} from './format.js';
import { type Partition, partitionEpoch, type Segment, shardOrder } from './partition.js';
import { ShardReading, type ShardRecord } from './reader.js';
import { fileChunks, openStore, type S3ClientLike, type ShardStore, type StoreOptions } from './store.js';

/**
 * A sample read from a shard: a {@link Sample} (its `source` entries are `<shard>#<member>` locations, not
 * paths) with the shard's `key` and name, and the members kept in memory (`media`) until decoding.
 *
 * @example
 * ```ts
 * for await (const s of openShards('shards/')) console.log(s.key, s.shard, s.media?.jpg?.length);
 * ```
 */
export interface ShardSample extends Sample {
  /** The WebDataset key (`07_1042`). */
  key: string;
  /** The shard's name (`shard-000003.tar`). */
  shard: string;
  /** The cover and clip bytes, when kept. */
  media?: { jpg?: Uint8Array; mp4?: Uint8Array };
}

/**
 * What the source needs (checked by `openShards`).
 *
 * @example
 * ```ts
 * const config: ShardsSourceConfig = { url: 'shards/', seed: 0, shuffleBuffer: 64, partition, prefetch: 2,
 *   prefetchBytes: 8 << 20, keep: ['jpg'], verify: true, onError: 'skip', store: {} };
 * ```
 */
export interface ShardsSourceConfig {
  url: string;
  seed: number;
  shuffleBuffer: number;
  partition: Partition;
  /** Shards opened ahead of the one being read. */
  prefetch: number;
  /** About how many bytes each opened shard reads ahead. */
  prefetchBytes: number;
  /** Member extensions kept in memory besides the json. */
  keep: readonly string[];
  /** Compare each shard read whole with the manifest's size and sha256. */
  verify: boolean;
  onError: OnError;
  onSkip?: ((skip: Skip) => void) | undefined;
  store: StoreOptions;
  s3Client?: S3ClientLike | undefined;
  cache?: ShardCacheOptions | undefined;
  /** Turns a `<key>.frames.u8` member into the sample's `video`. */
  frames?:
    | ((data: Buffer, meta: NonNullable<SampleMeta['frames']>) => NonNullable<Sample['video']>)
    | undefined;
}

/**
 * A {@link Source} of shard samples that also keeps its manifest and the skips of its latest pass.
 *
 * @example
 * ```ts
 * const source = shardsSource(config);
 * for await (const s of Dataset.fromSource(source)) use(s);
 * console.log(source.skips);
 * ```
 */
export interface ShardsSource extends Source<ShardSample> {
  /** The skips of the latest pass (a fresh array each pass). */
  readonly skips: readonly Skip[];
  /** The manifest, once a pass has read it (or {@link ShardsSource.manifest} was called). */
  manifest(): Promise<ShardManifest>;
}

/** `{ seg, n }`: n outputs of segment `seg` of this epoch's partition have been produced. */
function parsePosition(position: Json | undefined): { seg: number; n: number } {
  if (position === undefined || position === null) return { seg: 0, n: 0 };
  const p = position as { seg?: unknown; n?: unknown };
  if (
    typeof position !== 'object' ||
    Array.isArray(position) ||
    !Number.isSafeInteger(p.seg) ||
    !Number.isSafeInteger(p.n) ||
    (p.seg as number) < 0 ||
    (p.n as number) < 0
  ) {
    throw stateError(`Shards: malformed position ${JSON.stringify(position)}`);
  }
  return { seg: p.seg as number, n: p.n as number };
}

/** A stream that starts reading at once, up to `chunks` chunks ahead (the dataset's own prefetch operator). */
function readAhead(
  bytes: () => AsyncIterable<Buffer>,
  chunks: number,
): { stream: AsyncIterable<Buffer>; close: () => Promise<void> } {
  const open: Open<Buffer> = async function* () {
    for await (const chunk of bytes()) yield { value: chunk, position: 0 };
  };
  const it = prefetchOp(open, chunks)(undefined, { epoch: 0 })[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<Positioned<Buffer>>> | undefined = it.next();
  first.catch(() => undefined); // reported when consumed
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await it.return?.();
  };
  const stream = async function* (): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const r = await (first ?? it.next());
        first = undefined;
        if (r.done) return;
        yield r.value.value;
      }
    } finally {
      await close();
    }
  };
  return { stream: stream(), close };
}

class ShardsSourceImpl implements ShardsSource {
  readonly name: string;
  readonly #c: ShardsSourceConfig;
  #manifest: Promise<ShardManifest> | undefined;
  #skips: Skip[] = [];

  constructor(config: ShardsSourceConfig) {
    this.#c = config;
    const p = config.partition;
    this.name =
      `Shards(seed=${config.seed}, buffer=${config.shuffleBuffer}, rank=${p.rank}/${p.worldSize}` +
      `${p.workers > 1 ? `, worker=${p.worker}/${p.workers}` : ''})`;
  }

  get skips(): readonly Skip[] {
    return this.#skips;
  }

  manifest(): Promise<ShardManifest> {
    if (this.#manifest === undefined) {
      const store = openStore(this.#c.url, this.#c.store, this.#c.s3Client);
      this.#manifest = store
        .readText(MANIFEST_NAME)
        .then((text) => parseManifest(text, `${store.where}${store.dir ? '/' : ''}${MANIFEST_NAME}`))
        .finally(() => store.close());
      this.#manifest.catch(() => {
        this.#manifest = undefined;
      });
    }
    return this.#manifest;
  }

  open(position: Json | undefined, ctx: PassContext): AsyncIterable<Positioned<ShardSample>> {
    return this.#pass(parsePosition(position), ctx.epoch);
  }

  async *#pass(start: { seg: number; n: number }, epoch: number): AsyncGenerator<Positioned<ShardSample>> {
    const c = this.#c;
    const skips: Skip[] = [];
    this.#skips = skips;
    const manifest = await this.manifest();
    const order = shardOrder(manifest.shards.length, c.seed, epoch);
    const segments = partitionEpoch(
      manifest.shards.map((s) => s.samples),
      order,
      c.partition,
    );
    const store = openStore(c.url, c.store, c.s3Client);
    const cache = c.cache === undefined || store.dir !== undefined ? undefined : new ShardCache(c.cache);
    const opened = new Map<number, { stream: AsyncIterable<Buffer>; close: () => Promise<void> }>();
    const chunks = Math.max(1, Math.ceil(c.prefetchBytes / 65536));
    const openSegment = (j: number): void => {
      const segment = segments[j];
      if (segment === undefined || opened.has(j)) return;
      const entry = manifest.shards[segment.shard] as ManifestShard;
      const bytes = cache === undefined ? () => store.stream(entry.name) : cachedBytes(cache, store, entry);
      opened.set(j, readAhead(bytes, chunks));
    };
    const record = (err: ShardError, id?: string): void => {
      if (c.onError === 'throw') throw err;
      const where =
        err.shard === undefined
          ? store.where
          : `${err.shard}${err.member === undefined ? '' : `#${err.member}`}`;
      const skip: Skip = { where, reason: err.message, code: err.code };
      if (id !== undefined) skip.id = id;
      skips.push(skip);
      c.onSkip?.(skip);
    };
    try {
      let { seg, n } = start;
      // A position at the end of its segment continues with the next one, without reopening it.
      const length = (s: Segment | undefined) => (s === undefined ? 0 : s.to - s.from);
      if (n >= length(segments[seg]) && seg < segments.length) {
        seg++;
        n = 0;
      }
      for (let j = seg; j < segments.length; j++) {
        for (let k = j; k <= j + c.prefetch; k++) openSegment(k);
        const segment = segments[j] as Segment;
        const entry = manifest.shards[segment.shard] as ManifestShard;
        const stream = opened.get(j) as { stream: AsyncIterable<Buffer>; close: () => Promise<void> };
        let produced = j === seg ? n : 0;
        try {
          for await (const value of this.#segment(
            stream.stream,
            entry,
            segment,
            produced,
            epoch,
            store,
            record,
            cache === undefined,
          )) {
            produced++;
            yield { value, position: { seg: j, n: produced } };
          }
        } finally {
          opened.delete(j);
          await stream.close();
        }
      }
    } finally {
      await Promise.all([...opened.values()].map((s) => s.close()));
      await store.close();
    }
  }

  /** The outputs `from + skip` to `to` of one shard's shuffled samples, recording its problems. */
  async *#segment(
    bytes: AsyncIterable<Buffer>,
    entry: ManifestShard,
    segment: Segment,
    skip: number,
    epoch: number,
    store: ShardStore,
    record: (err: ShardError, id?: string) => void,
    verify: boolean,
  ): AsyncGenerator<ShardSample> {
    const c = this.#c;
    const reading = new ShardReading(bytes, entry.name, (ext) => c.keep.includes(ext));
    let broken: ShardError | undefined;
    const toSample = (r: ShardRecord) => this.#sample(r, entry.name, store);
    // The shard's records as an upstream of the dataset's own shuffle operator; a broken archive ends the
    // records (after which the buffer is flushed) and is recorded once the buffered samples are out.
    const records: Open<ShardSample> = async function* () {
      try {
        for await (const r of reading.records()) {
          if (r instanceof ShardError) {
            record(r);
            continue;
          }
          let sample: ShardSample;
          try {
            sample = toSample(r);
          } catch (err) {
            if (!(err instanceof ShardError)) throw err;
            record(err, r.meta.id);
            continue;
          }
          yield { value: sample, position: 0 };
        }
      } catch (err) {
        if (!(err instanceof ShardError) || c.onError === 'throw') throw err;
        broken = err;
      }
    };
    const shardSeed = hash53(`${c.seed}\0${entry.name}`);
    let i = 0;
    let whole = true;
    try {
      for await (const item of shuffleOp(records, shardSeed, c.shuffleBuffer)(undefined, { epoch })) {
        if (i >= segment.to) {
          whole = false;
          break;
        }
        if (i >= segment.from + skip) yield item.value;
        i++;
      }
      if (broken !== undefined) {
        record(await this.#nameMember(broken, store));
      } else if (c.verify && verify) {
        const mismatch = await reading.verify(entry);
        if (mismatch !== undefined) record(mismatch);
      } else if (whole && i < segment.to) {
        record(
          new ShardError(`${entry.name}: ${i} samples, the manifest says ${entry.samples}`, {
            shard: entry.name,
          }),
        );
      }
    } finally {
      await reading.close();
    }
  }

  /** A corrupt header names no member: the shard's index does (the member whose header is at that offset). */
  async #nameMember(err: ShardError, store: ShardStore): Promise<ShardError> {
    if (
      err.offset === undefined ||
      err.shard === undefined ||
      (err.member !== undefined && !err.member.startsWith('after '))
    ) {
      return err;
    }
    try {
      const index = parseIndex(await store.readText(indexName(err.shard)), indexName(err.shard));
      for (const sample of index.samples) {
        for (const [ext, range] of Object.entries(sample.members)) {
          if (range?.[0] === err.offset) {
            const member = `${sample.key}.${ext}`;
            return new ShardError(`${err.message}: member ${member}`, {
              shard: err.shard,
              member,
              offset: err.offset,
              cause: err,
            });
          }
        }
      }
    } catch {
      // no index: the message names the member before the failing header
    }
    return err;
  }

  #sample(r: ShardRecord, shard: string, store: ShardStore): ShardSample {
    const { meta, key } = r;
    if (labelId(meta.label) !== meta.labelId) {
      throw new ShardError(`${shard}: ${key}.json has label ${meta.label} with labelId ${meta.labelId}`, {
        shard,
        member: `${key}.json`,
      });
    }
    const at = (ext: string) => `${store.where}${store.dir ? '/' : ''}${shard}#${key}.${ext}`;
    const sample: ShardSample = {
      id: meta.id,
      label: meta.label,
      labelId: meta.labelId,
      brief: meta.brief,
      durationSec: meta.durationSec ?? null,
      source: { txt: at('json') },
      key,
      shard,
    };
    const jpg = r.members.get('jpg');
    const mp4 = r.members.get('mp4');
    const frames = r.members.get('frames.u8');
    if (jpg !== undefined || mp4 !== undefined) sample.media = {};
    if (jpg !== undefined && sample.media) {
      sample.media.jpg = jpg;
      sample.source.jpeg = at('jpg');
    }
    if (mp4 !== undefined && sample.media) {
      sample.media.mp4 = mp4;
      sample.source.mp4 = at('mp4');
    }
    if (frames !== undefined && this.#c.frames !== undefined) {
      if (meta.frames === undefined) {
        throw new ShardError(`${shard}: ${key}.frames.u8 without its shape in ${key}.json`, {
          shard,
          member: `${key}.frames.u8`,
        });
      }
      const expected = meta.frames.shape.reduce((a, b) => a * b, 1);
      if (frames.length !== expected) {
        throw new ShardError(
          `${shard}: ${key}.frames.u8 has ${frames.length} bytes, its shape needs ${expected}`,
          {
            shard,
            member: `${key}.frames.u8`,
          },
        );
      }
      sample.video = this.#c.frames(frames, meta.frames);
    }
    return sample;
  }
}

/** Bytes of a shard through the cache: downloaded and verified first, then read from the local file. */
function cachedBytes(
  cache: ShardCache,
  store: ShardStore,
  entry: ManifestShard,
): () => AsyncIterable<Buffer> {
  return async function* () {
    const file = await cache.ensure(entry, () => store.stream(entry.name));
    try {
      yield* fileChunks(file);
    } finally {
      cache.release(entry.sha256);
    }
  };
}

/**
 * The samples of a shard folder as a resumable {@link Source}. Use `openShards`, which checks the options
 * and adds decoding; this is the piece underneath.
 *
 * @example
 * ```ts
 * const source = shardsSource({ url: 'shards/', seed: 0, shuffleBuffer: 64, partition: resolvePartition(),
 *   prefetch: 2, prefetchBytes: 8 << 20, keep: ['jpg'], verify: true, onError: 'skip', store: {} });
 * ```
 */
export function shardsSource(config: ShardsSourceConfig): ShardsSource {
  return new ShardsSourceImpl(config);
}
