/**
 * @module dataset/cache — `Dataset.cache`: keeps the elements of the first complete pass in memory, or in
 * chunk files on disk, and serves later passes from there.
 *
 * Disk format (folder `dir`):
 * - `chunk-<build>-<000000>.bin`: records `[uint32 LE byte length][node:v8 serialize(element)]`, about
 *   `chunkBytes` per file (a chunk is read whole, so reading memory stays flat at one or two chunks);
 * - `manifest.json`: `{ format: 'reelset-cache', version: 1, pipeline, count, chunks: [{ file, count }] }`,
 *   written last (temp file + rename), so a folder without one holds no usable cache. `pipeline` is the
 *   upstream's `summary()`; a manifest with another pipeline is a `REELSET_E_CACHE` error (the cache is never
 *   rebuilt silently: delete the folder, or use another one).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { ReelsetError } from '../../errors.js';
import { countAt, type Open } from './ops.js';

/**
 * The manifest of a disk cache.
 *
 * @example
 * ```ts
 * const manifest: CacheManifest = {
 *   format: 'reelset-cache', version: 1, pipeline: 'Array(3)', count: 3,
 *   chunks: [{ file: 'chunk-ab12-000000.bin', count: 3 }],
 * };
 * ```
 */
export interface CacheManifest {
  format: 'reelset-cache';
  version: 1;
  /** The `summary()` of the pipeline the elements came from. */
  pipeline: string;
  /** How many elements the cache holds. */
  count: number;
  /** The chunk files in order, with the number of elements in each. */
  chunks: { file: string; count: number }[];
}

/** The manifest's file name inside the cache folder. */
const MANIFEST = 'manifest.json';

/**
 * Default size of a chunk file of a disk cache (16 MiB).
 *
 * @example
 * ```ts
 * dataset.cache({ dir: 'cache', chunkBytes: DEFAULT_CHUNK_BYTES / 4 });
 * ```
 */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

function cacheError(message: string, cause?: unknown): ReelsetError {
  return new ReelsetError('REELSET_E_CACHE', message, cause === undefined ? undefined : { cause });
}

function isManifest(m: unknown): m is CacheManifest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return (
    r.format === 'reelset-cache' &&
    r.version === 1 &&
    typeof r.pipeline === 'string' &&
    Number.isSafeInteger(r.count) &&
    Array.isArray(r.chunks) &&
    r.chunks.every(
      (c: unknown) =>
        typeof c === 'object' &&
        c !== null &&
        typeof (c as Record<string, unknown>).file === 'string' &&
        !String((c as Record<string, unknown>).file).includes('/') &&
        Number.isSafeInteger((c as Record<string, unknown>).count),
    ) &&
    r.chunks.reduce((sum: number, c: { count: number }) => sum + c.count, 0) === r.count
  );
}

/**
 * Reads the manifest of the cache in `dir`: undefined when there is none (yet); `REELSET_E_CACHE` when it is
 * unreadable, malformed, or was written by another pipeline than `pipeline`.
 *
 * @example
 * ```ts
 * const manifest = await readManifest('/tmp/cache', 'Layout -> Map(concurrency=4)');
 * ```
 */
export async function readManifest(dir: string, pipeline: string): Promise<CacheManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cacheError(`Cannot read the cache manifest in ${dir}`, err);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (err) {
    throw cacheError(`The cache manifest in ${dir} is not JSON`, err);
  }
  if (!isManifest(manifest)) throw cacheError(`The cache manifest in ${dir} is malformed`);
  if (manifest.pipeline !== pipeline) {
    throw cacheError(
      `The cache in ${dir} was written by the pipeline "${manifest.pipeline}", not "${pipeline}"; ` +
        'delete the folder or use another one',
    );
  }
  return manifest;
}

async function loadChunk(dir: string, file: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, file));
  } catch (err) {
    throw cacheError(`Cannot read the cache chunk ${join(dir, file)}`, err);
  }
}

/**
 * Streams the elements of a disk cache from index `from` on, one chunk in memory at a time (the next chunk
 * is read while the current one is consumed).
 *
 * @example
 * ```ts
 * for await (const value of readCache(dir, manifest, 0)) console.log(value);
 * ```
 */
export async function* readCache(
  dir: string,
  manifest: CacheManifest,
  from: number,
): AsyncGenerator<unknown> {
  const { chunks } = manifest;
  let c = 0;
  let skip = from;
  while (c < chunks.length && skip >= (chunks[c]?.count ?? 0)) {
    skip -= chunks[c]?.count ?? 0;
    c++;
  }
  let next = c < chunks.length ? loadChunk(dir, chunks[c]?.file ?? '') : undefined;
  for (; c < chunks.length && next !== undefined; c++) {
    const buf = await next;
    next = c + 1 < chunks.length ? loadChunk(dir, chunks[c + 1]?.file ?? '') : undefined;
    next?.catch(() => {});
    const count = chunks[c]?.count ?? 0;
    let offset = 0;
    for (let r = 0; r < count; r++) {
      if (offset + 4 > buf.length) throw cacheError(`The cache chunk ${chunks[c]?.file} is truncated`);
      const length = buf.readUInt32LE(offset);
      offset += 4;
      if (offset + length > buf.length) throw cacheError(`The cache chunk ${chunks[c]?.file} is truncated`);
      if (r >= skip) yield deserialize(buf.subarray(offset, offset + length));
      offset += length;
    }
    skip = 0;
  }
}

/**
 * Writes the elements of one pass into chunk files; `commit` writes the manifest (atomically), `abort`
 * removes the chunks written so far.
 *
 * @example
 * ```ts
 * const writer = await CacheWriter.create('/tmp/cache', DEFAULT_CHUNK_BYTES);
 * await writer.add({ id: '1' });
 * await writer.commit('Array(1)');
 * ```
 */
export class CacheWriter {
  readonly #dir: string;
  readonly #chunkBytes: number;
  readonly #build = randomBytes(6).toString('hex');
  readonly #chunks: { file: string; count: number }[] = [];
  #parts: Buffer[] = [];
  #bytes = 0;
  #count = 0;
  #total = 0;

  private constructor(dir: string, chunkBytes: number) {
    this.#dir = dir;
    this.#chunkBytes = chunkBytes;
  }

  /** Creates the folder (if needed) and a writer into it. */
  static async create(dir: string, chunkBytes: number): Promise<CacheWriter> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw cacheError(`Cannot create the cache folder ${dir}`, err);
    }
    return new CacheWriter(dir, chunkBytes);
  }

  /** Appends one element (serialized with `node:v8`). */
  async add(value: unknown): Promise<void> {
    let body: Buffer;
    try {
      body = serialize(value);
    } catch (err) {
      throw cacheError('An element cannot be serialized into the disk cache', err);
    }
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    this.#parts.push(head, body);
    this.#bytes += 4 + body.length;
    this.#count++;
    if (this.#bytes >= this.#chunkBytes) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#count === 0) return;
    const file = `chunk-${this.#build}-${String(this.#chunks.length).padStart(6, '0')}.bin`;
    const data = Buffer.concat(this.#parts, this.#bytes);
    this.#parts = [];
    this.#bytes = 0;
    this.#chunks.push({ file, count: this.#count });
    this.#total += this.#count;
    this.#count = 0;
    try {
      await writeFile(join(this.#dir, file), data);
    } catch (err) {
      throw cacheError(`Cannot write the cache chunk ${join(this.#dir, file)}`, err);
    }
  }

  /** Writes the last chunk, then the manifest (temp file + rename), and returns the manifest. */
  async commit(pipeline: string): Promise<CacheManifest> {
    await this.#flush();
    const manifest: CacheManifest = {
      format: 'reelset-cache',
      version: 1,
      pipeline,
      count: this.#total,
      chunks: this.#chunks,
    };
    const temp = join(this.#dir, `manifest-${this.#build}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(manifest)}\n`);
      await rename(temp, join(this.#dir, MANIFEST));
    } catch (err) {
      throw cacheError(`Cannot write the cache manifest in ${this.#dir}`, err);
    }
    return manifest;
  }

  /** Removes the chunks written so far (an interrupted pass leaves nothing that looks like a cache). */
  async abort(): Promise<void> {
    this.#parts = [];
    await Promise.all(this.#chunks.map((c) => rm(join(this.#dir, c.file), { force: true }).catch(() => {})));
  }
}

/**
 * `cache`: position `{ n: elements so far, at: upstream position, or null when read from the cache }`. When
 * the cache is complete, a pass reads it from index `n`. Otherwise the pass reads the upstream (opened at
 * `at`; a position taken from the cache, `at: null`, replays the upstream from the start and discards `n`),
 * and a pass that started at the beginning records what it reads: only a pass that runs to its end
 * completes the cache (one recording pass at a time per cached Dataset).
 *
 * @example
 * ```ts
 * const cached = cacheOp(open, 'Array(3)', {});
 * ```
 */
export function cacheOp<T>(
  up: Open<T>,
  upstreamPipeline: string,
  options: { dir?: string; chunkBytes?: number },
): Open<T> {
  const { dir } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let values: T[] | undefined;
  let manifest: CacheManifest | undefined;
  let recording = false;
  return async function* (position, ctx) {
    const { n, at } = countAt(position, 'Cache');
    if (dir !== undefined && manifest === undefined) manifest = await readManifest(dir, upstreamPipeline);
    if (values !== undefined) {
      for (let i = n; i < values.length; i++)
        yield { value: values[i] as T, position: { n: i + 1, at: null } };
      return;
    }
    if (dir !== undefined && manifest !== undefined) {
      let i = n;
      for await (const value of readCache(dir, manifest, n)) {
        i++;
        yield { value: value as T, position: { n: i, at: null } };
      }
      return;
    }
    const record = position === undefined && !recording;
    const discard = at === undefined ? n : 0;
    let i = at === undefined ? 0 : n;
    const memory: T[] | undefined = record && dir === undefined ? [] : undefined;
    let writer: CacheWriter | undefined;
    if (record) {
      recording = true;
      if (dir !== undefined) {
        try {
          writer = await CacheWriter.create(dir, chunkBytes);
        } catch (err) {
          recording = false;
          throw err;
        }
      }
    }
    let complete = false;
    try {
      for await (const item of up(at, ctx)) {
        if (memory !== undefined) memory.push(item.value);
        else if (writer !== undefined) await writer.add(item.value);
        i++;
        if (i > discard) yield { value: item.value, position: { n: i, at: item.position } };
      }
      complete = true;
    } finally {
      if (record) {
        try {
          if (!complete) await writer?.abort();
          else if (memory !== undefined) values ??= memory;
          else if (writer !== undefined) manifest = await writer.commit(upstreamPipeline);
        } finally {
          recording = false;
        }
      }
    }
  };
}
