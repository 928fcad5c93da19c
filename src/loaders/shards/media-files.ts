/**
 * @module shards/media-files — members handed to the decoders as files: the decode stage reads covers and
 * clips by path (ffprobe and ffmpeg need a seekable input: an MP4 whose index sits at its end cannot be
 * piped), so a member in memory is written to a private temporary folder for its decoding and removed
 * after it, decoded or skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sample, Skip } from '../sample.js';
import type { ShardSample } from './shards-source.js';

/**
 * Temporary files of the members being decoded, in one folder per opened dataset (removed at exit).
 *
 * @example
 * ```ts
 * const files = new MediaFiles(os.tmpdir());
 * const onDisk = await files.write(sample, { jpg: true, mp4: true });
 * // ... decode onDisk.source.jpeg, onDisk.source.mp4 ...
 * await files.release(decoded);
 * ```
 */
export class MediaFiles {
  readonly #parent: string;
  #dir: string | undefined;
  #count = 0;
  /** Temporary path → the member's location (`<shard>#<member>`). */
  readonly #where = new Map<string, string>();

  /** @param parent where the private folder is made (default the OS's temporary folder) */
  constructor(parent = tmpdir()) {
    this.#parent = parent;
  }

  #folder(): string {
    if (this.#dir === undefined) {
      const dir = mkdtempSync(path.join(this.#parent, 'reelset-shards-'));
      this.#dir = dir;
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    return this.#dir;
  }

  /**
   * Writes the members a decoding needs (`jpg` for the cover, `mp4` for the clip) and returns the sample
   * with those `source` entries pointing at the files and without its in-memory `media`.
   */
  async write(sample: ShardSample, need: { jpg: boolean; mp4: boolean }): Promise<ShardSample> {
    const { media, ...rest } = sample;
    const out: ShardSample = { ...rest, source: { ...sample.source } };
    const n = this.#count++;
    const put = async (ext: 'jpg' | 'mp4', kind: 'jpeg' | 'mp4'): Promise<void> => {
      const data = media?.[ext];
      if (data === undefined) return;
      // Named by a counter only: a key comes from the shard and is never part of a path.
      const file = path.join(this.#folder(), `${n}.${ext}`);
      await writeFile(file, data);
      this.#where.set(file, sample.source[kind] ?? file);
      out.source[kind] = file;
    };
    if (need.jpg) await put('jpg', 'jpeg');
    if (need.mp4) await put('mp4', 'mp4');
    return out;
  }

  /** Removes a decoded sample's files and gives its `source` back its member locations. */
  async release<T extends Sample>(sample: T): Promise<T> {
    const source = { ...sample.source };
    for (const kind of ['jpeg', 'mp4'] as const) {
      const file = source[kind];
      const where = file === undefined ? undefined : this.#where.get(file);
      if (file === undefined || where === undefined) continue;
      this.#where.delete(file);
      source[kind] = where;
      await unlink(file).catch(() => undefined);
    }
    return { ...sample, source };
  }

  /**
   * A skip of the decode stage with its member's location instead of the temporary path; the files of the
   * skipped sample (named by the same counter) are removed.
   */
  skip(skip: Skip): Skip {
    const where = this.#where.get(skip.where);
    if (where === undefined) return skip;
    const prefix = path.basename(skip.where).split('-')[0];
    for (const file of [...this.#where.keys()]) {
      if (path.dirname(file) === path.dirname(skip.where) && path.basename(file).split('-')[0] === prefix) {
        this.#where.delete(file);
        unlink(file).catch(() => undefined);
      }
    }
    const reason = skip.reason.split(path.basename(skip.where)).join(where.slice(where.lastIndexOf('#') + 1));
    return { ...skip, where, reason };
  }
}
