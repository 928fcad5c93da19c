/**
 * @module view/thumbs — cover thumbnails, made once (the cover pipeline's safe decoder, then sharp's JPEG
 * encoder) and cached in a folder outside the root, keyed by the file's path, mtime and size.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { decodeImage } from '../loaders/decode/image.js';
import { Limiter } from '../util/concurrency.js';

/**
 * The size of a thumbnail (16:9, as the data set's 480x270 covers; cropped to fill).
 *
 * @example
 * ```ts
 * console.log(THUMB_SIZE.width, THUMB_SIZE.height); // 240 135
 * ```
 */
export const THUMB_SIZE = Object.freeze({ width: 240, height: 135 });

/**
 * The default thumbnail cache: `$XDG_CACHE_HOME/reelset/thumbs`, else `~/.cache/reelset/thumbs`, else (no
 * home) the OS temporary folder.
 *
 * @example
 * ```ts
 * defaultThumbDir(); // '/home/me/.cache/reelset/thumbs'
 * ```
 */
export function defaultThumbDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg) return path.join(xdg, 'reelset', 'thumbs');
  let home = '';
  try {
    home = homedir();
  } catch {}
  return home ? path.join(home, '.cache', 'reelset', 'thumbs') : path.join(tmpdir(), 'reelset-thumbs');
}

type SharpModule = typeof import('sharp');
let sharpModule: Promise<SharpModule> | undefined;

/** sharp, loaded at the first thumbnail (it costs about 0.4 s). */
function loadSharp(): Promise<SharpModule> {
  sharpModule ??= import('sharp').then((m) => {
    const sharp = (m as unknown as { default: SharpModule }).default ?? m;
    sharp.cache(false);
    return sharp;
  });
  return sharpModule;
}

/**
 * Makes and caches thumbnails: at most `concurrency` made at once, one make a key however many requests ask
 * for it at the same moment.
 *
 * @example
 * ```ts
 * const thumbs = new ThumbCache('/tmp/thumbs');
 * const jpeg = await thumbs.get('/data/Beach/12/12.jpeg'); // a Buffer of JPEG bytes
 * ```
 */
export class ThumbCache {
  readonly dir: string;
  readonly #limiter: Limiter;
  readonly #inFlight = new Map<string, Promise<Buffer>>();
  made = 0;
  hits = 0;

  /** @param dir the cache folder (created when first needed). */
  constructor(dir: string, concurrency = 2) {
    this.dir = path.resolve(dir);
    this.#limiter = new Limiter(concurrency);
  }

  /**
   * The thumbnail of the cover at `file` (a path already checked to lie inside the root): from the cache
   * when the file's path, mtime and size match, else made and stored.
   *
   * @throws ReelsetError what `decodeImage` throws for a bad cover (`REELSET_E_BAD_IMAGE`, ...).
   * @example
   * ```ts
   * const bytes = await thumbs.get(item.files.jpeg.openPath);
   * ```
   */
  async get(file: string): Promise<Buffer> {
    const info = await stat(file);
    const key = createHash('sha256')
      .update(
        `${path.resolve(file)}\0${info.mtimeMs}\0${info.size}\0${THUMB_SIZE.width}x${THUMB_SIZE.height}`,
      )
      .digest('hex');
    const cached = path.join(this.dir, key.slice(0, 2), `${key}.jpg`);
    try {
      const bytes = await readFile(cached);
      this.hits++;
      return bytes;
    } catch {}
    let job = this.#inFlight.get(key);
    if (job === undefined) {
      job = this.#limiter.run(() => this.#make(file, cached)).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, job);
    }
    return job;
  }

  async #make(file: string, cached: string): Promise<Buffer> {
    const image = await decodeImage(file, { ...THUMB_SIZE, fit: 'cover' });
    const sharp = await loadSharp();
    const data = image.data as Uint8Array;
    const bytes = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      raw: { width: THUMB_SIZE.width, height: THUMB_SIZE.height, channels: 3 },
    })
      .jpeg({ quality: 78 })
      .toBuffer();
    this.made++;
    const temp = `${cached}.${process.pid}.part`;
    try {
      await mkdir(path.dirname(cached), { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, cached);
    } catch {
      await rm(temp, { force: true });
    }
    return bytes;
  }
}

/**
 * Encodes raw RGB frames (as `decodeVideo` returns them, channels-last uint8) as JPEG, one a frame.
 *
 * @example
 * ```ts
 * const jpegs = await framesToJpeg(clip.data as Uint8Array, clip.shape);
 * ```
 */
export async function framesToJpeg(
  data: Uint8Array,
  shape: readonly [number, number, number, number],
): Promise<Buffer[]> {
  const sharp = await loadSharp();
  const [t, height, width] = shape;
  const size = height * width * 3;
  const out: Buffer[] = [];
  for (let k = 0; k < t; k++) {
    const frame = data.subarray(k * size, (k + 1) * size);
    out.push(
      await sharp(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), {
        raw: { width, height, channels: 3 },
      })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  return out;
}
