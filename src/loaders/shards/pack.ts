/**
 * @module shards/pack — writes a data set in the on-disk layout as WebDataset tar shards: items in a seeded
 * order cut into shards of about `shardSize` bytes, each shard written by one rank to `.part` and renamed,
 * then its JSON index; `mergeShards` writes the one manifest once every rank is done.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { reelsetVersion } from '../../baseline/version.js';
import { ReelsetError } from '../../errors.js';
import { forEachLimit } from '../../util/concurrency.js';
import { writeFileAtomic } from '../../util/files.js';
import { checkFunction, checkInteger, invalidArgument } from '../../util/options.js';
import { hash53 } from '../../util/random.js';
import { Dataset } from '../dataset/dataset.js';
import { decodeVideo, type FrameSampling, resolveVideoOptions } from '../decode/video.js';
import { layoutSource } from '../layout/layout-source.js';
import type { Sample, Skip } from '../sample.js';
import { ShardError } from './errors.js';
import {
  buildManifest,
  countLabels,
  emptyIndex,
  indexName,
  MANIFEST_NAME,
  type MemberExt,
  manifestEntry,
  type Preprocessing,
  parseIndex,
  type SampleMeta,
  type ShardIndex,
  type ShardManifest,
  sampleKey,
  shardName,
} from './format.js';
import { resolvePartition } from './partition.js';
import { TAR_BLOCK, tarEnd, tarHeader, tarPadding } from './tar.js';

/**
 * Pre-decoded frames for {@link PackOptions.decoded}: `frames` frames of `size x size` (uint8 RGB), chosen by
 * `sampling`.
 *
 * @example
 * ```ts
 * const decoded: PackDecoded = { frames: 8, size: 112, sampling: 'uniform' };
 * ```
 */
export interface PackDecoded {
  /** Frames per clip (default 8). */
  frames?: number;
  /** Frame height and width in pixels (default 112). */
  size?: number;
  /** How frames are chosen (default `'uniform'`). */
  sampling?: FrameSampling;
}

/**
 * Progress of {@link packShards}: shards of this rank done (written or found complete) out of its total.
 *
 * @example
 * ```ts
 * const p: PackProgress = { shard: 'shard-000003.tar', done: 2, total: 5, samples: 1280, written: true };
 * ```
 */
export interface PackProgress {
  shard: string;
  done: number;
  total: number;
  /** Samples written by this rank so far. */
  samples: number;
  /** False when the shard was complete from an earlier run. */
  written: boolean;
}

/**
 * Options of {@link packShards}.
 *
 * @example
 * ```ts
 * const options: PackOptions = { out: 'shards', shardSize: 1e9, decoded: { frames: 8, size: 112 }, seed: 0 };
 * ```
 */
export interface PackOptions {
  /** The output folder (created when missing). */
  out: string;
  /** About how many bytes a shard holds (default 1 GB; a shard holds at least one sample). */
  shardSize?: number;
  /** Store pre-decoded frames (`<key>.frames.u8`) instead of the MP4 (`true`: the defaults). */
  decoded?: PackDecoded | true;
  /** This packer's rank (default: the launcher's environment, else 0). */
  rank?: number;
  /** How many packers share the work (default: the launcher's environment, else 1). */
  worldSize?: number;
  /** Seed of the order of samples across shards (default 0). */
  seed?: number;
  /** Only these labels (default all). */
  labels?: readonly string[];
  /** Items read (and clips decoded) at once (default 4). */
  concurrency?: number;
  /** Called with each item left out (missing media, unreadable `.txt`, undecodable clip). */
  onSkip?: (skip: Skip) => void;
  onProgress?: (progress: PackProgress) => void;
}

/**
 * What {@link packShards} did.
 *
 * @example
 * ```ts
 * const report: PackReport = await packShards('data', { out: 'shards' });
 * console.log(report.written.length, report.manifest);
 * ```
 */
export interface PackReport {
  out: string;
  /** Shards of the whole set. */
  shardCount: number;
  /** Shards this rank wrote now. */
  written: string[];
  /** Shards of this rank found complete (an earlier, interrupted run). */
  kept: string[];
  /** Samples written by this rank now. */
  samples: number;
  skips: Skip[];
  /** The manifest's path, when this run wrote it (one packer, or after {@link mergeShards}). */
  manifest?: string;
}

/** What a rank leaves when it is done: the plan every rank shares (checked by the merge). */
interface RankMarker {
  rank: number;
  worldSize: number;
  shardCount: number;
  seed: number;
  shardSize: number;
  preprocessing: Preprocessing;
}

interface Planned {
  sample: Sample;
  key: string;
  bytes: number;
}

const markerName = (rank: number, worldSize: number) => `pack-rank-${rank}-of-${worldSize}.json`;

/** Tar bytes of a member of `size` bytes. */
const memberBytes = (size: number) => TAR_BLOCK + size + tarPadding(size);

function metaOf(sample: Sample): SampleMeta {
  return {
    id: sample.id,
    label: sample.label,
    labelId: sample.labelId,
    brief: sample.brief,
    durationSec: sample.durationSec,
  };
}

/** A shard is complete when its tar and its index both exist and agree on the size. */
async function completeIndex(out: string, name: string): Promise<ShardIndex | undefined> {
  try {
    const index = parseIndex(await readFile(path.join(out, indexName(name)), 'utf8'), indexName(name));
    return (await stat(path.join(out, name))).size === index.bytes ? index : undefined;
  } catch {
    return undefined;
  }
}

/** The members of one item, read (and decoded) ahead of writing. */
type Prepared = { key: string; sample: Sample; members: [MemberExt, Buffer][] } | { skip: Skip };

async function writeShard(
  out: string,
  name: string,
  items: Planned[],
  prepare: (p: Planned) => Promise<Prepared>,
  concurrency: number,
  onSkip: (skip: Skip) => void,
): Promise<ShardIndex> {
  const part = path.join(out, `${name}.${process.pid}.part`);
  const fh = await open(part, 'w');
  const hash = createHash('sha256');
  const index = emptyIndex(name);
  let offset = 0;
  const write = async (data: Buffer): Promise<void> => {
    await fh.write(data);
    hash.update(data);
    offset += data.length;
  };
  try {
    const ready = Dataset.from(items).map(prepare, { concurrency, readAhead: concurrency });
    for await (const p of ready) {
      if ('skip' in p) {
        onSkip(p.skip);
        continue;
      }
      const members: ShardIndex['samples'][number]['members'] = {};
      for (const [ext, data] of p.members) {
        const at = offset;
        await write(tarHeader(`${p.key}.${ext}`, data.length));
        members[ext] = [at, offset, data.length];
        await write(data);
        await write(Buffer.alloc(tarPadding(data.length)));
      }
      index.samples.push({ key: p.key, id: p.sample.id, label: p.sample.label, members });
    }
    await write(tarEnd());
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(part).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(part, path.join(out, name));
  index.bytes = offset;
  index.sha256 = hash.digest('hex');
  index.labels = countLabels(index.samples.map((s) => s.label));
  await writeFileAtomic(path.join(out, indexName(name)), JSON.stringify(index));
  return index;
}

/**
 * Packs a data set in the on-disk layout into WebDataset tar shards in `out`: `shard-NNNNNN.tar` (per
 * sample `<key>.json` with id, label, brief and duration, `<key>.jpg`, and `<key>.mp4` or, with `decoded`,
 * `<key>.frames.u8` with the frames' shape in the json), `shard-NNNNNN.json` (the index: each member's byte
 * offsets, the size and sha256), and `manifest.json` (counts per label, seed, preprocessing, reelset
 * version, sha256 per shard).
 *
 * Items (with a `.txt`, cover and clip) are ordered by a seeded hash of their key, so that each shard holds
 * a mix of labels, and cut into shards of about `shardSize` bytes. Every packer computes the same cut;
 * with `worldSize > 1` (or the launcher's environment) rank r writes shards r, r + worldSize, ... and
 * leaves a `pack-rank-R-of-W.json`; {@link mergeShards} then writes the manifest (one packer writes it at
 * once). A shard appears by atomic rename of its `.part` and is complete once its index exists: a rerun
 * after an interruption keeps complete shards and writes the others.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option; `REELSET_E_NOT_FOUND` when the root
 *   is not a folder.
 * @example
 * ```ts
 * const report = await packShards('data', { out: 'shards', shardSize: 1e9, decoded: { frames: 8, size: 112 } });
 * console.log(`${report.written.length} shards, manifest ${report.manifest}`);
 * ```
 */
export async function packShards(root: string, options: PackOptions): Promise<PackReport> {
  if (typeof options?.out !== 'string' || options.out === '')
    throw invalidArgument('pack: out must be a non-empty path');
  const out = path.resolve(options.out);
  const shardSize = checkInteger('pack: shardSize', options.shardSize ?? 1e9, 1);
  const seed = checkInteger('pack: seed', options.seed ?? 0);
  const concurrency = checkInteger('pack: concurrency', options.concurrency ?? 4, 1);
  const onSkipUser = checkFunction('pack: onSkip', options.onSkip);
  const onProgress = checkFunction('pack: onProgress', options.onProgress);
  const part = resolvePartition({
    ...(options.rank === undefined ? {} : { rank: options.rank }),
    ...(options.worldSize === undefined ? {} : { worldSize: options.worldSize }),
  });
  let preprocessing: Preprocessing = { decoded: false };
  let video: ReturnType<typeof resolveVideoOptions> | undefined;
  if (options.decoded !== undefined) {
    const d = options.decoded === true ? {} : options.decoded;
    if (typeof d !== 'object' || d === null) throw invalidArgument('pack: decoded must be an object or true');
    const size = checkInteger('pack: decoded.size', d.size ?? 112, 1, 8192);
    video = resolveVideoOptions({
      frames: d.frames ?? 8,
      height: size,
      width: size,
      sampling: d.sampling ?? 'uniform',
    });
    preprocessing = {
      decoded: true,
      video: { frames: video.frames, height: size, width: size, sampling: video.sampling },
    };
  }
  const skips: Skip[] = [];
  const onSkip = (skip: Skip): void => {
    skips.push(skip);
    onSkipUser?.(skip);
  };
  const layout = layoutSource(root, {
    require: ['txt', 'jpeg', 'mp4'],
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    onSkip,
  });
  const samples = await Dataset.fromSource(layout).toArray();
  // Sizes decide the cut: every packer must see the same, so they come from the files, not from decoding.
  const planned: Planned[] = [];
  const frameBytes = video === undefined ? 0 : video.frames * video.height * video.width * 3;
  await forEachLimit(samples, 16, async (sample) => {
    const jpeg = await stat(sample.source.jpeg as string);
    const mp4 = video === undefined ? (await stat(sample.source.mp4 as string)).size : frameBytes;
    const json =
      Buffer.byteLength(JSON.stringify(metaOf(sample))) + (video === undefined ? 0 : 64 + 8 * video.frames);
    planned.push({
      sample,
      key: sampleKey(sample),
      bytes: memberBytes(json) + memberBytes(jpeg.size) + memberBytes(mp4),
    });
  });
  const rankOf = new Map(planned.map((p) => [p.key, hash53(`${seed}\0${p.key}`)]));
  planned.sort(
    (a, b) =>
      (rankOf.get(a.key) as number) - (rankOf.get(b.key) as number) ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const shards: Planned[][] = [];
  let current: Planned[] = [];
  let bytes = 0;
  for (const p of planned) {
    if (current.length > 0 && bytes + p.bytes > shardSize) {
      shards.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += p.bytes;
  }
  if (current.length > 0) shards.push(current);

  const prepare = async (p: Planned): Promise<Prepared> => {
    const { sample, key } = p;
    try {
      const meta = metaOf(sample);
      const jpg = await readFile(sample.source.jpeg as string);
      let clip: [MemberExt, Buffer];
      if (video === undefined) {
        clip = ['mp4', await readFile(sample.source.mp4 as string)];
      } else {
        const frames = await decodeVideo(sample.source.mp4 as string, video, { key: sample.id });
        meta.frames = { shape: frames.shape, timesSec: frames.timesSec, padded: frames.padded };
        clip = ['frames.u8', Buffer.from(frames.data.buffer, frames.data.byteOffset, frames.data.byteLength)];
      }
      return { key, sample, members: [['json', Buffer.from(JSON.stringify(meta))], ['jpg', jpg], clip] };
    } catch (err) {
      if (!(err instanceof ReelsetError)) throw err;
      return {
        skip: { where: sample.source.mp4 ?? sample.id, id: sample.id, reason: err.message, code: err.code },
      };
    }
  };

  await mkdir(out, { recursive: true });
  const report: PackReport = { out, shardCount: shards.length, written: [], kept: [], samples: 0, skips };
  const mine = shards
    .map((items, i) => ({ items, name: shardName(i) }))
    .filter((_, i) => i % part.worldSize === part.rank);
  for (const [done, { items, name }] of mine.entries()) {
    const existing = await completeIndex(out, name);
    const keys = new Set(items.map((p) => p.key));
    // Complete from an earlier run when it holds planned keys only (a sample that failed then is not retried).
    if (existing?.samples.every((s) => keys.has(s.key))) {
      report.kept.push(name);
    } else {
      const index = await writeShard(out, name, items, prepare, concurrency, onSkip);
      report.written.push(name);
      report.samples += index.samples.length;
    }
    onProgress?.({
      shard: name,
      done: done + 1,
      total: mine.length,
      samples: report.samples,
      written: report.written.includes(name),
    });
  }
  const marker: RankMarker = {
    rank: part.rank,
    worldSize: part.worldSize,
    shardCount: shards.length,
    seed,
    shardSize,
    preprocessing,
  };
  await writeFileAtomic(path.join(out, markerName(part.rank, part.worldSize)), JSON.stringify(marker));
  if (part.worldSize === 1) report.manifest = (await mergeShards(out)).path;
  return report;
}

/**
 * Writes `manifest.json` of a shard folder packed by several ranks, once every rank has finished (each
 * left its `pack-rank-R-of-W.json`): the shards in order with size, sha256 and counts from their indexes.
 *
 * @throws ShardError `REELSET_E_SHARD` when a rank has not finished, the ranks disagree on the plan, or a
 *   shard or its index is missing.
 * @example
 * ```ts
 * const { manifest, path } = await mergeShards('shards');
 * console.log(manifest.samples, manifest.labels);
 * ```
 */
export async function mergeShards(out: string): Promise<{ manifest: ShardManifest; path: string }> {
  if (typeof out !== 'string' || out === '') throw invalidArgument('merge: out must be a non-empty path');
  const dir = path.resolve(out);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `No shard folder at ${dir}`, { cause: err });
  }
  const markers: RankMarker[] = [];
  for (const name of names.filter((n) => /^pack-rank-\d+-of-\d+\.json$/.test(n))) {
    markers.push(JSON.parse(await readFile(path.join(dir, name), 'utf8')) as RankMarker);
  }
  const first = markers[0];
  if (first === undefined)
    throw new ShardError(`${dir}: no rank has finished packing (no pack-rank-*.json)`, { shard: dir });
  const plan = (m: RankMarker) =>
    JSON.stringify([m.worldSize, m.shardCount, m.seed, m.shardSize, m.preprocessing]);
  const same = markers.filter((m) => plan(m) === plan(first));
  const ranks = new Set(same.map((m) => m.rank));
  const missing = Array.from({ length: first.worldSize }, (_, r) => r).filter((r) => !ranks.has(r));
  if (same.length !== markers.length)
    throw new ShardError(`${dir}: the ranks' markers disagree on the plan (another packing?)`, {
      shard: dir,
    });
  if (missing.length > 0)
    throw new ShardError(`${dir}: ranks ${missing.join(', ')} of ${first.worldSize} have not finished`, {
      shard: dir,
    });
  const entries = [];
  for (let i = 0; i < first.shardCount; i++) {
    const index = await completeIndex(dir, shardName(i));
    if (index === undefined)
      throw new ShardError(`${dir}: ${shardName(i)} or its index is missing or incomplete`, {
        shard: shardName(i),
      });
    entries.push(manifestEntry(index));
  }
  const manifest = buildManifest(entries, {
    seed: first.seed,
    shardSize: first.shardSize,
    preprocessing: first.preprocessing,
    reelset: reelsetVersion(),
  });
  const file = path.join(dir, MANIFEST_NAME);
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 1)}\n`);
  return { manifest, path: file };
}
