/**
 * @module shards/reader — one shard's bytes to its samples: the tar members grouped by WebDataset's rule
 * (consecutive members with the same key), the size and sha256 of the bytes checked against the manifest,
 * and every problem named by shard and member.
 */
import { createHash } from 'node:crypto';
import { ShardError } from './errors.js';
import { type SampleMeta, splitMemberName } from './format.js';
import { readTar } from './tar.js';

/**
 * The members of one sample as read from a shard, and its parsed `<key>.json`.
 *
 * @example
 * ```ts
 * const record: ShardRecord = { key: '03_1042', meta, members: new Map([['jpg', bytes]]) };
 * ```
 */
export interface ShardRecord {
  key: string;
  meta: SampleMeta;
  /** The members kept (see `want` of {@link ShardReading}), by extension. */
  members: Map<string, Buffer>;
}

/** A chunk stream that hashes and counts what passes, and is closed only by its owner. */
class Tap implements AsyncIterable<Uint8Array> {
  readonly #it: AsyncIterator<Buffer>;
  readonly hash = createHash('sha256');
  bytes = 0;
  #done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#done) return { done: true, value: undefined };
    const r = await this.#it.next();
    if (r.done) {
      this.#done = true;
      return { done: true, value: undefined };
    }
    this.hash.update(r.value);
    this.bytes += r.value.length;
    return r;
  }

  /** The tar reader stops here without closing: {@link Tap.drain} or {@link Tap.close} does. */
  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  /** Reads what is left (hashing it). */
  async drain(): Promise<void> {
    while (!(await this.next()).done) {
      // hashed as it passes
    }
  }

  async close(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      await this.#it.return?.();
    }
  }
}

function parseMeta(data: Buffer, shard: string, member: string): SampleMeta {
  let meta: unknown;
  try {
    meta = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ShardError(`${shard}: member ${member} is not JSON`, { shard, member, cause: err });
  }
  const m = meta as Partial<SampleMeta> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.id !== 'string' ||
    typeof m.label !== 'string' ||
    typeof m.labelId !== 'number' ||
    typeof m.brief !== 'string'
  ) {
    throw new ShardError(`${shard}: member ${member} lacks id, label, labelId or brief`, { shard, member });
  }
  return m as SampleMeta;
}

/**
 * Reads one shard: {@link ShardReading.records} yields its samples (or, for a sample whose members are
 * bad, a `ShardError` naming the member, and goes on); a truncated or corrupt archive ends the records with a
 * `ShardError` naming the member (the failing header's member from `memberAt`, the shard index, when the
 * header itself is unreadable). {@link ShardReading.verify} then reads what is left and compares the size
 * and sha256 with the manifest's.
 *
 * @example
 * ```ts
 * const reading = new ShardReading(store.stream(name), name, (ext) => ext !== 'mp4');
 * for await (const r of reading.records()) if (!(r instanceof ShardError)) use(r);
 * const mismatch = await reading.verify({ bytes, sha256 });
 * await reading.close();
 * ```
 */
export class ShardReading {
  readonly #tap: Tap;
  readonly #name: string;
  readonly #want: (ext: string) => boolean;

  /**
   * @param source the shard's bytes
   * @param name the shard's name, in messages
   * @param want which member extensions to keep in memory (others are read past)
   */
  constructor(source: AsyncIterable<Buffer>, name: string, want: (ext: string) => boolean) {
    this.#tap = new Tap(source);
    this.#name = name;
    this.#want = want;
  }

  /** The samples, in archive order; a bad sample is a `ShardError` in the stream; a broken archive throws. */
  async *records(): AsyncGenerator<ShardRecord | ShardError> {
    const shard = this.#name;
    let key: string | undefined;
    let members = new Map<string, Buffer>();
    let names: string[] = [];
    const group = (): ShardRecord | ShardError | undefined => {
      if (key === undefined) return undefined;
      const json = members.get('json');
      if (json === undefined) {
        return new ShardError(`${shard}: sample ${key} has no ${key}.json (members ${names.join(', ')})`, {
          shard,
          member: names[0],
        });
      }
      try {
        return { key, meta: parseMeta(json, shard, `${key}.json`), members };
      } catch (err) {
        return err as ShardError;
      }
    };
    const want = (name: string): boolean => {
      const { ext } = splitMemberName(name);
      return ext === 'json' || this.#want(ext);
    };
    for await (const member of readTar(this.#tap, shard, want)) {
      const split = splitMemberName(member.name);
      if (split.key !== key) {
        const done = group();
        if (done !== undefined) yield done;
        key = split.key;
        members = new Map();
        names = [];
      }
      names.push(member.name);
      if (want(member.name)) members.set(split.ext, member.data);
    }
    const last = group();
    if (last !== undefined) yield last;
  }

  /**
   * Reads the rest of the shard and compares its size and sha256 with `expected`; the mismatch as a
   * `ShardError`, or undefined when they match.
   */
  async verify(expected: { bytes: number; sha256: string }): Promise<ShardError | undefined> {
    await this.#tap.drain();
    const shard = this.#name;
    if (this.#tap.bytes !== expected.bytes) {
      return new ShardError(
        `${shard}: ${this.#tap.bytes} bytes, the manifest says ${expected.bytes} (truncated or replaced)`,
        {
          shard,
        },
      );
    }
    const sha = this.#tap.hash.digest('hex');
    if (sha !== expected.sha256) {
      return new ShardError(`${shard}: sha256 ${sha} does not match the manifest's ${expected.sha256}`, {
        shard,
      });
    }
    return undefined;
  }

  /** Closes the shard's stream (its file or connection). */
  close(): Promise<void> {
    return this.#tap.close();
  }
}
