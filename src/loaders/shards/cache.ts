/**
 * @module shards/cache — a local cache of remote shards with a size limit: a shard is stored under its
 * sha256 once its bytes are verified (written to `.part`, renamed), and the least recently used shards not in
 * use are removed when the cache grows past its limit.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { ShardError } from './errors.js';

/**
 * Options of the local shard cache.
 *
 * @example
 * ```ts
 * const cache: ShardCacheOptions = { dir: '/nvme/reelset-cache', maxBytes: 200e9 };
 * ```
 */
export interface ShardCacheOptions {
  /** The cache folder (created when missing). Shards are stored as `<sha256>.tar`. */
  dir: string;
  /** The size the cache keeps under, in bytes (default: no limit). Shards in use are never removed. */
  maxBytes?: number;
}

/**
 * The cache of one pass (several passes may share a folder: files are renamed into place atomically).
 *
 * @example
 * ```ts
 * const cache = new ShardCache({ dir: '.cache/shards', maxBytes: 50e9 });
 * const file = await cache.ensure(entry, () => store.stream(entry.name));
 * cache.release(entry.sha256);
 * ```
 */
export class ShardCache {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #pending = new Map<string, Promise<string>>();
  readonly #inUse = new Map<string, number>();

  constructor(options: ShardCacheOptions) {
    this.#dir = path.resolve(options.dir);
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The local path of a shard, downloading and verifying it first when it is not cached; the shard counts
   * as in use until {@link ShardCache.release}.
   *
   * @throws ShardError `REELSET_E_SHARD` when the bytes do not match `bytes` and `sha256`.
   */
  ensure(
    entry: { name: string; bytes: number; sha256: string },
    bytes: () => AsyncIterable<Buffer>,
  ): Promise<string> {
    this.#inUse.set(entry.sha256, (this.#inUse.get(entry.sha256) ?? 0) + 1);
    let pending = this.#pending.get(entry.sha256);
    if (pending === undefined) {
      pending = this.#fetch(entry, bytes);
      this.#pending.set(entry.sha256, pending);
      pending.then(
        () => this.#pending.delete(entry.sha256),
        () => this.#pending.delete(entry.sha256),
      );
    }
    return pending;
  }

  /** Marks one use of a shard as over. */
  release(sha256: string): void {
    const n = (this.#inUse.get(sha256) ?? 1) - 1;
    if (n <= 0) this.#inUse.delete(sha256);
    else this.#inUse.set(sha256, n);
  }

  async #fetch(
    entry: { name: string; bytes: number; sha256: string },
    bytes: () => AsyncIterable<Buffer>,
  ): Promise<string> {
    const file = path.join(this.#dir, `${entry.sha256}.tar`);
    try {
      const st = await stat(file);
      if (st.size === entry.bytes) {
        const now = new Date();
        await utimes(file, now, now); // recently used
        return file;
      }
    } catch {
      // not cached
    }
    await mkdir(this.#dir, { recursive: true });
    const part = `${file}.${process.pid}.part`;
    const out = createWriteStream(part);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of bytes()) {
        hash.update(chunk);
        size += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      out.end();
      await finished(out);
    } catch (err) {
      out.destroy();
      await unlink(part).catch(() => undefined);
      throw err;
    }
    const sha = hash.digest('hex');
    if (size !== entry.bytes || sha !== entry.sha256) {
      await unlink(part).catch(() => undefined);
      throw new ShardError(
        `${entry.name}: downloaded ${size} bytes with sha256 ${sha}; the manifest says ${entry.bytes} bytes, sha256 ${entry.sha256}`,
        { shard: entry.name },
      );
    }
    await rename(part, file);
    await this.#evict();
    return file;
  }

  /** Removes the least recently used shards not in use until the cache is under its limit. */
  async #evict(): Promise<void> {
    if (!Number.isFinite(this.#maxBytes)) return;
    const files: { file: string; sha: string; size: number; used: number }[] = [];
    for (const name of await readdir(this.#dir)) {
      if (!/^[0-9a-f]{64}\.tar$/.test(name)) continue;
      const file = path.join(this.#dir, name);
      const st = await stat(file).catch(() => undefined);
      if (st !== undefined) files.push({ file, sha: name.slice(0, 64), size: st.size, used: st.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (total <= this.#maxBytes) break;
      if (this.#inUse.has(f.sha)) continue;
      await unlink(f.file).catch(() => undefined);
      total -= f.size;
    }
  }
}
