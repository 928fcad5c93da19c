/**
 * @module shards/open-shards — `openShards`: a folder of shards (local, HTTP(S) or S3) as a `Dataset` like
 * `openDataset`'s: the shards source followed by the decode stage, with pre-decoded frames taken as they are.
 */
import { checkBoolean, checkFunction, checkInteger, invalidArgument } from '../../util/options.js';
import { Dataset } from '../dataset/dataset.js';
import type { Json, PassContext, Positioned, Source } from '../dataset/source.js';
import { convertPixels } from '../decode/pixels.js';
import {
  type DecodedSample,
  type DecodeOptions,
  decodeStage,
  planDecoding,
  wantsDecoding,
} from '../decode/stage.js';
import { resolveVideoOptions, type VideoFrames, type VideoOptions } from '../decode/video.js';
import { checkOnError, type Sample, type Skip } from '../sample.js';
import type { ShardCacheOptions } from './cache.js';
import type { ShardManifest } from './format.js';
import { MediaFiles } from './media-files.js';
import { type PartitionOptions, resolvePartition } from './partition.js';
import { type ShardSample, type ShardsSourceConfig, shardsSource } from './shards-source.js';
import type { S3ClientLike, StoreOptions } from './store.js';

/**
 * Options of {@link openShards}: where and how to read (store, partition, shuffle, prefetch, cache) and the
 * decoding options of `openDataset` (`text`, `image`, `video`, `compat`, `concurrency`, `onError`,
 * `onSkip`).
 *
 * @example
 * ```ts
 * const options: OpenShardsOptions = {
 *   seed: 1, shuffleBuffer: 256, shard: { rank: 0, worldSize: 8 },
 *   endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
 *   cache: { dir: '/nvme/cache', maxBytes: 100e9 },
 *   image: true, video: true,
 * };
 * ```
 */
export interface OpenShardsOptions extends DecodeOptions, StoreOptions {
  /** Seed of the shard order and the in-shard shuffles (default 0); each epoch of a `repeat` has its own. */
  seed?: number;
  /** Samples of a shard held to shuffle them (default 64; 1 keeps the shard's order). */
  shuffleBuffer?: number;
  /** This reader's place: rank and world size (default: the launcher's environment), data worker. */
  shard?: PartitionOptions;
  /** Shards opened ahead of the one being read (default 2). */
  prefetch?: number;
  /** About how many bytes each shard opened ahead reads in advance (default 8 MiB). */
  prefetchBytes?: number;
  /** Keep remote shards in a local folder (verified before use), under a size limit. */
  cache?: ShardCacheOptions;
  /** Compare each shard read whole with the manifest's size and sha256 (default true). */
  verify?: boolean;
  /** An S3 client of your own (`@aws-sdk/client-s3`'s `S3Client`) instead of one made from the options. */
  s3Client?: S3ClientLike;
  /** Where clips and covers being decoded are written (default the OS's temporary folder; `/dev/shm` is faster). */
  tmpDir?: string;
}

/** The fields every shard sample has besides a {@link Sample}'s. */
type ShardFields = { key: string; shard: string };

const OWN_KEYS = new Set([
  'seed',
  'shuffleBuffer',
  'shard',
  'prefetch',
  'prefetchBytes',
  'cache',
  'verify',
  's3Client',
  'tmpDir',
  'endpoint',
  'forcePathStyle',
  'region',
  'headers',
  'retries',
  'retryBaseMs',
  'signal',
  'text',
  'image',
  'video',
  'compat',
  'onError',
  'onSkip',
  'concurrency',
  'require',
]);

/** The frames of a `.frames.u8` member in the format the `video` options ask for. */
function framesConverter(video: VideoOptions | true | undefined, manifest: ShardManifest) {
  const pre = manifest.preprocessing;
  if (!pre.decoded) return undefined;
  const o = resolveVideoOptions(video === undefined ? true : video);
  const given = video === true || video === undefined ? {} : video;
  for (const key of ['frames', 'height', 'width', 'sampling'] as const) {
    const want = given[key];
    if (want !== undefined && want !== pre.video[key]) {
      throw invalidArgument(
        `video.${key} is ${JSON.stringify(want)} but the shards hold frames decoded with ${key} ${JSON.stringify(pre.video[key])}`,
      );
    }
  }
  return (
    data: Buffer,
    meta: { shape: [number, number, number, number]; timesSec: number[]; padded: number },
  ) => {
    const [t, h, w] = meta.shape;
    const pixels = convertPixels(data, t, h, w, o);
    const shape: [number, number, number, number] =
      o.layout === 'channels-last' ? [t, h, w, 3] : [t, 3, h, w];
    const frames: VideoFrames = {
      data: pixels,
      shape,
      layout: o.layout,
      timesSec: meta.timesSec,
      padded: meta.padded,
    };
    return frames;
  };
}

/**
 * Opens a folder of reelset shards (written by `packShards` or `reelset pack`) as a restartable, resumable
 * `Dataset` of samples, like `openDataset`: `url` is a local folder or `file://` URL, an `http(s)://` prefix
 * or `s3://bucket/prefix` (with `@aws-sdk/client-s3` installed; `endpoint` and `forcePathStyle` for
 * S3-compatible stores; credentials from the usual AWS environment variables and files).
 *
 * - Each epoch visits the shards in an order drawn from `(seed, epoch)`, and shuffles each shard's samples
 *   through a buffer of `shuffleBuffer`.
 * - `shard: { rank, worldSize, worker, workers }` (rank and world size default to the launcher's
 *   environment: `RANK`/`WORLD_SIZE`, Slurm, Kubernetes indexed Jobs) takes this reader's part of the
 *   canonical partition: the epoch's samples cut into equal contiguous spans per rank, each cut again per
 *   data worker. Every sample is read once per epoch by exactly one (rank, worker), and a rank's samples
 *   do not depend on its number of workers.
 * - Shards are streamed (`prefetch` of them opened ahead); remote reads resume at the byte reached after a
 *   failure, with backoff. With `cache`, remote shards are downloaded, verified and read locally.
 * - A truncated or corrupt shard, a bad member, or a shard whose size or sha256 differs from the manifest
 *   is a {@link Skip} (`REELSET_E_SHARD`, `where` = `<shard>#<member>`), and the epoch goes on; with
 *   `onError: 'throw'` it is thrown as a `ShardError`.
 * - `state()` / `resume()` continue with exactly the next sample.
 * - With decoding options, samples are decoded as `openDataset` decodes them (covers and clips through
 *   temporary files, removed once decoded); shards packed with pre-decoded frames fill `video` from them
 *   without ffmpeg (`video` options may then only change the pixel format, not the frames or size).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option; `REELSET_E_MISSING_PEER` at the first
 *   pass over `s3://` without `@aws-sdk/client-s3`; `ShardError` when a pass starts and the manifest cannot
 *   be read.
 * @example
 * ```ts
 * const train = openShards('s3://my-bucket/reelset/shards', {
 *   seed: 1, shuffleBuffer: 256, image: true, video: true, text: { vocab },
 * }).batch(32).repeat(10);
 * for await (const batch of train) step(batch);
 * ```
 */
export function openShards(url: string): Dataset<ShardSample>;
export function openShards<const O extends OpenShardsOptions>(
  url: string,
  options: O,
): Dataset<
  [keyof O & ('text' | 'image' | 'video' | 'compat')] extends [never]
    ? ShardSample
    : DecodedSample<O> & ShardFields
>;
export function openShards(url: string, options: OpenShardsOptions = {}): Dataset<Sample> {
  const o = options;
  if (typeof o !== 'object' || o === null) throw invalidArgument('openShards: options must be an object');
  for (const key of Object.keys(o)) {
    if (!OWN_KEYS.has(key)) throw invalidArgument(`openShards: unknown option ${JSON.stringify(key)}`);
  }
  const decoding = wantsDecoding(o);
  const plan = decoding ? planDecoding(o) : undefined;
  const config: ShardsSourceConfig = {
    url,
    seed: checkInteger('seed', o.seed ?? 0),
    shuffleBuffer: checkInteger('shuffleBuffer', o.shuffleBuffer ?? 64, 1),
    partition: resolvePartition(o.shard),
    prefetch: checkInteger('prefetch', o.prefetch ?? 2, 0),
    prefetchBytes: checkInteger('prefetchBytes', o.prefetchBytes ?? 8 << 20, 1),
    keep:
      plan === undefined
        ? ['jpg', 'mp4', 'frames.u8']
        : [...(plan.image ? ['jpg'] : []), ...(plan.video ? ['mp4', 'frames.u8'] : [])],
    verify: checkBoolean('verify', o.verify, true),
    onError: checkOnError(o.onError),
    onSkip: checkFunction('onSkip', o.onSkip),
    store: {},
    s3Client: o.s3Client,
  };
  for (const key of ['endpoint', 'region'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw invalidArgument(`${key} must be a non-empty string`);
    if (v !== undefined) config.store[key] = v;
  }
  if (o.forcePathStyle !== undefined)
    config.store.forcePathStyle = checkBoolean('forcePathStyle', o.forcePathStyle, false);
  if (o.retries !== undefined) config.store.retries = checkInteger('retries', o.retries, 0, 100);
  if (o.retryBaseMs !== undefined) config.store.retryBaseMs = checkInteger('retryBaseMs', o.retryBaseMs, 0);
  if (o.headers !== undefined) config.store.headers = { ...o.headers };
  if (o.signal !== undefined) config.store.signal = o.signal;
  if (o.cache !== undefined) {
    if (typeof o.cache?.dir !== 'string' || o.cache.dir === '')
      throw invalidArgument('cache.dir must be a non-empty path');
    config.cache = { dir: o.cache.dir };
    if (o.cache.maxBytes !== undefined)
      config.cache.maxBytes = checkInteger('cache.maxBytes', o.cache.maxBytes, 1);
  }
  if (o.tmpDir !== undefined && (typeof o.tmpDir !== 'string' || o.tmpDir === '')) {
    throw invalidArgument('tmpDir must be a non-empty path');
  }
  if (plan === undefined) {
    const raw = shardsSource({ ...config, frames: rawFrames });
    return Dataset.fromSource(raw) as Dataset<Sample>;
  }
  return Dataset.fromSource(decodedSource(config, o, plan.label));
}

/** Raw samples keep pre-decoded frames as they are stored: uint8 RGB, channels-last. */
function rawFrames(
  data: Buffer,
  meta: { shape: [number, number, number, number]; timesSec: number[]; padded: number },
): VideoFrames {
  return { data, shape: meta.shape, layout: 'channels-last', timesSec: meta.timesSec, padded: meta.padded };
}

/**
 * The shards source followed by the decode stage, as one resumable source: its pipeline is built when a
 * pass starts, once the manifest says whether frames are pre-decoded; positions are those of that
 * pipeline.
 */
function decodedSource(config: ShardsSourceConfig, o: OpenShardsOptions, label: string): Source<Sample> {
  const files = new MediaFiles(o.tmpDir);
  const userSkip = config.onSkip;
  let pipeline: Promise<Dataset<Sample>> | undefined;
  const build = async (): Promise<Dataset<Sample>> => {
    const probe = shardsSource(config);
    const manifest = await probe.manifest();
    const convert = framesConverter(o.video, manifest);
    const stageOptions: DecodeOptions = { ...o };
    if (convert !== undefined) delete stageOptions.video;
    stageOptions.onSkip = (skip: Skip) => userSkip?.(files.skip(skip));
    const samples = Dataset.fromSource(shardsSource({ ...config, frames: convert }));
    const stagePlan = planDecoding(stageOptions);
    const onDisk = samples.map(
      (s) => files.write(s, { jpg: stagePlan.image !== undefined, mp4: stagePlan.video !== undefined }),
      {
        label: 'Media',
      },
    );
    // A vocabulary built here reads the briefs only: no member is kept in memory for it.
    const briefs = () =>
      Dataset.fromSource(shardsSource({ ...config, keep: [], onSkip: undefined, onError: 'skip' }));
    const decoded = decodeStage(onDisk as Dataset<Sample>, stagePlan, briefs);
    return decoded.map((s) => files.release(s), { label: 'Release' });
  };
  const name = `${shardsSource(config).name} -> ${label}`;
  return {
    name,
    async *open(position: Json | undefined, ctx: PassContext): AsyncGenerator<Positioned<Sample>> {
      pipeline ??= build();
      pipeline.catch(() => {
        pipeline = undefined;
      });
      const inner = await pipeline;
      // The pass runs at the caller's epoch: a repeat of the inner pipeline resumed at that epoch, stopping
      // after it (the inner pipeline is built once, so a vocabulary is built once).
      const epoch = inner.repeat(ctx.epoch + 1);
      const at = position === undefined ? null : position;
      const it = epoch
        .resume({ version: 1, pipeline: epoch.summary(), position: { epoch: ctx.epoch, at } })
        [Symbol.asyncIterator]();
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield { value: r.value, position: (it.state().position as { at: Json }).at };
        }
      } finally {
        await it.return?.();
      }
    },
  };
}
