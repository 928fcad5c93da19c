/**
 * @module shards/format — what a folder of shards holds: shard and index names, sample keys and member
 * names (the WebDataset convention), the per-shard index and the manifest, and their checks on read.
 */
import { isLabel, labelId } from '../layout/labels.js';
import { ShardError } from './errors.js';

/**
 * The manifest's file name at the root of a shard folder or prefix.
 *
 * @example
 * ```ts
 * const url = new URL(MANIFEST_NAME, 'https://host/shards/');
 * ```
 */
export const MANIFEST_NAME = 'manifest.json';

/** Format tags written in every manifest and index, checked on read. */
const MANIFEST_FORMAT = 'reelset-shards';
const INDEX_FORMAT = 'reelset-shard-index';

/**
 * The member extensions of a sample: `json` (metadata), `jpg` (the cover as stored), `mp4` (the clip as
 * stored) and `frames.u8` (pre-decoded frames, uint8 RGB channels-last, shape in the json).
 *
 * @example
 * ```ts
 * const ext: MemberExt = 'frames.u8';
 * ```
 */
export type MemberExt = 'json' | 'jpg' | 'mp4' | 'frames.u8';

/**
 * The name of shard number `index`: `shard-000042.tar`.
 *
 * @example
 * ```ts
 * shardName(42); // 'shard-000042.tar'
 * ```
 */
export function shardName(index: number): string {
  return `shard-${String(index).padStart(6, '0')}.tar`;
}

/**
 * The index file of a shard: `shard-000042.json` beside `shard-000042.tar`.
 *
 * @example
 * ```ts
 * indexName('shard-000042.tar'); // 'shard-000042.json'
 * ```
 */
export function indexName(shard: string): string {
  return shard.replace(/\.tar$/, '.json');
}

/**
 * The WebDataset key of a sample: label id (2 digits), `_`, mp4_id. Unique even for a clip listed under
 * several labels, and free of dots (WebDataset groups members by the file name up to its first dot).
 *
 * @example
 * ```ts
 * sampleKey({ labelId: 7, id: '1042' }); // '07_1042'
 * ```
 */
export function sampleKey(sample: { labelId: number; id: string }): string {
  return `${String(sample.labelId).padStart(2, '0')}_${sample.id}`;
}

/**
 * Splits a member name by WebDataset's rule: the key is the name up to the first dot of its last path
 * component (the folder, if any, included), the extension is the rest.
 *
 * @example
 * ```ts
 * splitMemberName('07_1042.frames.u8'); // { key: '07_1042', ext: 'frames.u8' }
 * ```
 */
export function splitMemberName(name: string): { key: string; ext: string } {
  const slash = name.lastIndexOf('/') + 1;
  const dot = name.indexOf('.', slash);
  return dot < 0 ? { key: name, ext: '' } : { key: name.slice(0, dot), ext: name.slice(dot + 1) };
}

/**
 * The `<key>.json` member: the sample's metadata, and the shape of pre-decoded frames when there are some.
 *
 * @example
 * ```ts
 * const meta: SampleMeta = { id: '1042', label: 'Beach', labelId: 3, brief: ' sunset', durationSec: 12 };
 * ```
 */
export interface SampleMeta {
  id: string;
  label: string;
  labelId: number;
  brief: string;
  durationSec: number | null;
  /** With `<key>.frames.u8`: its shape `[t, h, w, 3]` (uint8 RGB channels-last) and each frame's time. */
  frames?: { shape: [number, number, number, number]; timesSec: number[]; padded: number };
}

/**
 * Where one member lies in its shard: header offset, data offset, size in bytes.
 *
 * @example
 * ```ts
 * const at: MemberRange = [0, 512, 180];
 * ```
 */
export type MemberRange = [header: number, data: number, size: number];

/**
 * One sample in a shard index.
 *
 * @example
 * ```ts
 * const entry: IndexEntry = { key: '03_1042', id: '1042', label: 'Beach', members: { json: [0, 512, 180] } };
 * ```
 */
export interface IndexEntry {
  key: string;
  id: string;
  label: string;
  members: Partial<Record<MemberExt, MemberRange>>;
}

/**
 * The JSON index written beside each shard: its size, sha256, and every sample with its members' byte
 * offsets (for random access by `Range`, and to name the member at an offset).
 *
 * @example
 * ```ts
 * const index: ShardIndex = JSON.parse(await readFile('shards/shard-000000.json', 'utf8'));
 * ```
 */
export interface ShardIndex {
  format: typeof INDEX_FORMAT;
  version: 1;
  shard: string;
  bytes: number;
  sha256: string;
  labels: Record<string, number>;
  samples: IndexEntry[];
}

/**
 * A shard as the manifest lists it.
 *
 * @example
 * ```ts
 * const entry: ManifestShard = { name: 'shard-000000.tar', bytes: 1048576, sha256: 'ab12...', samples: 640,
 *   labels: { Beach: 20 } };
 * ```
 */
export interface ManifestShard {
  name: string;
  bytes: number;
  sha256: string;
  samples: number;
  labels: Record<string, number>;
}

/**
 * How the samples were prepared: `decoded: false` keeps the cover and clip as stored; `decoded: true` holds
 * `frames` frames of `height x width` (uint8 RGB, channels-last) chosen by `sampling`.
 *
 * @example
 * ```ts
 * const p: Preprocessing = { decoded: true, video: { frames: 8, height: 112, width: 112, sampling: 'uniform' } };
 * ```
 */
export type Preprocessing =
  | { decoded: false }
  | { decoded: true; video: { frames: number; height: number; width: number; sampling: string } };

/**
 * The manifest of a shard folder (`manifest.json`): the shards in order with their sizes, sha256 and counts,
 * the counts per label, the packing seed and preprocessing, and the reelset version that wrote them.
 *
 * @example
 * ```ts
 * const manifest: ShardManifest = JSON.parse(await readFile('shards/manifest.json', 'utf8'));
 * console.log(manifest.samples, manifest.labels.Beach);
 * ```
 */
export interface ShardManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  reelset: string;
  created: string;
  seed: number;
  shardSize: number;
  preprocessing: Preprocessing;
  samples: number;
  labels: Record<string, number>;
  shards: ManifestShard[];
}

/**
 * Builds a manifest from the shards' entries (counts per label summed).
 *
 * @example
 * ```ts
 * const manifest = buildManifest(shards, { seed: 0, shardSize: 2 ** 30, preprocessing: { decoded: false }, reelset: '0.1.0' });
 * ```
 */
export function buildManifest(
  shards: ManifestShard[],
  meta: { seed: number; shardSize: number; preprocessing: Preprocessing; reelset: string },
): ShardManifest {
  const labels: Record<string, number> = {};
  let samples = 0;
  for (const shard of shards) {
    samples += shard.samples;
    for (const [label, n] of Object.entries(shard.labels)) labels[label] = (labels[label] ?? 0) + n;
  }
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => labelId(a) - labelId(b)));
  return {
    format: MANIFEST_FORMAT,
    version: 1,
    reelset: meta.reelset,
    created: new Date().toISOString(),
    seed: meta.seed,
    shardSize: meta.shardSize,
    preprocessing: meta.preprocessing,
    samples,
    labels: sorted,
    shards,
  };
}

/**
 * The shard entry of an index (what the manifest lists about it).
 *
 * @example
 * ```ts
 * const entry = manifestEntry(index);
 * ```
 */
export function manifestEntry(index: ShardIndex): ManifestShard {
  return {
    name: index.shard,
    bytes: index.bytes,
    sha256: index.sha256,
    samples: index.samples.length,
    labels: index.labels,
  };
}

/**
 * Counts per label, in label id order.
 *
 * @example
 * ```ts
 * countLabels(['Sea', 'Beach', 'Sea']); // { Beach: 1, Sea: 2 }
 * ```
 */
export function countLabels(labels: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => labelId(a) - labelId(b)));
}

/**
 * A fresh shard index (the writer fills `samples`, `bytes`, `sha256`, `labels`).
 *
 * @example
 * ```ts
 * const index = emptyIndex('shard-000000.tar');
 * ```
 */
export function emptyIndex(shard: string): ShardIndex {
  return { format: INDEX_FORMAT, version: 1, shard, bytes: 0, sha256: '', labels: {}, samples: [] };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ShardError(`${where} is not JSON`, { shard: where, cause: err });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const SHARD_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.tar$/;

/**
 * Parses and checks an index file's text.
 *
 * @throws ShardError `REELSET_E_SHARD` when it is not a reelset shard index.
 * @example
 * ```ts
 * const index = parseIndex(await readFile('shards/shard-000000.json', 'utf8'), 'shard-000000.json');
 * ```
 */
export function parseIndex(text: string, where: string): ShardIndex {
  const value = parseJson(text, where);
  if (
    !isObject(value) ||
    value.format !== INDEX_FORMAT ||
    value.version !== 1 ||
    !Array.isArray(value.samples)
  ) {
    throw new ShardError(`${where} is not a reelset shard index (format ${INDEX_FORMAT}, version 1)`, {
      shard: where,
    });
  }
  return value as unknown as ShardIndex;
}

/**
 * Parses and checks a manifest's text: format and version, shard names (plain names, no folders), sizes,
 * sha256 and counts.
 *
 * @throws ShardError `REELSET_E_SHARD` for anything that is not a valid reelset manifest.
 * @example
 * ```ts
 * const manifest = parseManifest(await readFile('shards/manifest.json', 'utf8'), 'shards/manifest.json');
 * ```
 */
export function parseManifest(text: string, where: string): ShardManifest {
  const value = parseJson(text, where);
  const bad = (why: string): never => {
    throw new ShardError(`${where} is not a valid reelset manifest: ${why}`, { shard: where });
  };
  if (!isObject(value)) return bad('not an object');
  if (value.format !== MANIFEST_FORMAT || value.version !== 1)
    bad(`format must be ${MANIFEST_FORMAT} version 1`);
  if (!Array.isArray(value.shards)) return bad('no shards array');
  const names = new Set<string>();
  for (const [i, shard] of (value.shards as unknown[]).entries()) {
    if (!isObject(shard)) return bad(`shards[${i}] is not an object`);
    if (typeof shard.name !== 'string' || !SHARD_NAME.test(shard.name) || names.has(shard.name)) {
      bad(`shards[${i}].name must be a unique plain *.tar name`);
    }
    names.add(shard.name as string);
    if (!isCount(shard.bytes) || !isCount(shard.samples)) bad(`shards[${i}] needs bytes and samples counts`);
    if (typeof shard.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(shard.sha256)) bad(`shards[${i}].sha256`);
    if (!isObject(shard.labels) || !Object.keys(shard.labels).every(isLabel)) bad(`shards[${i}].labels`);
  }
  const pre = value.preprocessing;
  if (!isObject(pre) || typeof pre.decoded !== 'boolean') bad('preprocessing.decoded must be a boolean');
  if ((pre as { decoded?: unknown }).decoded === true) {
    const video = (pre as { video?: unknown }).video;
    if (!isObject(video) || ![video.frames, video.height, video.width].every((n) => isCount(n) && n > 0)) {
      bad('preprocessing.video needs frames, height and width');
    }
  }
  return value as unknown as ShardManifest;
}
