/**
 * @module image — the cover pipeline: sharp decodes a JPEG (or PNG, WebP, GIF), resizes it to (height,
 * width), drops alpha, expands grey to RGB, then {@link convertPixels} gives the array a model wants.
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';
import { ReelsetError } from '../errors.js';
import { checkPixelFormat, convertPixels, type Normalize, type PixelFormat } from './pixels.js';

/**
 * How the image fills (height, width): `'fill'` stretches it (the original: aspect ratio not kept),
 * `'cover'` keeps the aspect ratio and crops the centre, `'contain'` keeps the aspect ratio and pads
 * with black.
 *
 * @example
 * ```ts
 * const fit: ImageFit = 'cover';
 * ```
 */
export type ImageFit = 'fill' | 'cover' | 'contain';

/**
 * A resampling kernel of sharp (libvips). `'linear'` (the default) is bilinear; when shrinking, libvips
 * widens it over the shrink factor (antialiased), like Pillow's `BILINEAR`.
 *
 * @example
 * ```ts
 * const kernel: ImageKernel = 'lanczos3';
 * ```
 */
export type ImageKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';

/**
 * The formats the cover pipeline decodes, recognized by their first bytes (never by the file name).
 *
 * @example
 * ```ts
 * const format: ImageFormat = 'png'; // a PNG named .jpeg is decoded, and says so
 * ```
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

/**
 * Options of the cover pipeline ({@link decodeImage}, and `image` of `openDataset` / `decodeSamples`).
 *
 * @example
 * ```ts
 * const options: ImageOptions = {
 *   height: 224, width: 224, fit: 'cover', channels: 'rgb', dtype: 'float32',
 *   normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, layout: 'channels-first',
 * };
 * ```
 */
export interface ImageOptions {
  /** Output height in pixels (default 224). */
  height?: number;
  /** Output width in pixels (default 224). */
  width?: number;
  /** How the image fills the output (default `'fill'`, as the original). */
  fit?: ImageFit;
  /** Resampling kernel (default `'linear'`: bilinear). */
  kernel?: ImageKernel;
  /** Channel order (default `'rgb'`). */
  channels?: 'rgb' | 'bgr';
  /** Element type (default `'uint8'`, as the video pipeline's default). */
  dtype?: 'uint8' | 'float32';
  /** Scaling of float32 values (default `'none'`: 0-255; must be `'none'` for uint8). */
  normalize?: Normalize;
  /** `'channels-last'` (HWC, the default) or `'channels-first'` (CHW). */
  layout?: 'channels-last' | 'channels-first';
  /** The most pixels (width x height) an input may have, against decompression bombs (default 50 M). */
  limitInputPixels?: number;
}

/**
 * {@link ImageOptions} with every value filled in and checked.
 *
 * @example
 * ```ts
 * const resolved: ResolvedImageOptions = resolveImageOptions(true);
 * ```
 */
export type ResolvedImageOptions = Readonly<Required<ImageOptions>>;

/**
 * A decoded cover: the pixels, their shape (`[h, w, c]` channels-last, `[c, h, w]` channels-first) and the
 * format the file really held.
 *
 * @example
 * ```ts
 * const image: DecodedImage = await decodeImage('data/Beach/12/12.jpeg');
 * console.log(image.shape, image.format); // [224, 224, 3] 'jpeg'
 * ```
 */
export interface DecodedImage {
  data: Uint8Array | Float32Array;
  shape: [number, number, number];
  format: ImageFormat;
}

/**
 * The default pixel limit: 50 M pixels (a 480x270 cover has 0.13 M).
 *
 * @example
 * ```ts
 * await decodeImage(path, { limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS * 2 });
 * ```
 */
export const DEFAULT_LIMIT_INPUT_PIXELS = 50_000_000;
/** The largest image file read, in bytes. */
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * The defaults of the cover pipeline: 224x224, fill, bilinear, RGB, uint8 0-255, channels-last: the same
 * channels, dtype, normalization and layout as the video pipeline's defaults, so that both inputs of a
 * model look alike (the original mixed RGB [-1, 1] covers with BGR 0-255 frames).
 *
 * @example
 * ```ts
 * console.log(IMAGE_DEFAULTS.height, IMAGE_DEFAULTS.dtype); // 224 'uint8'
 * ```
 */
export const IMAGE_DEFAULTS: ResolvedImageOptions = Object.freeze({
  height: 224,
  width: 224,
  fit: 'fill',
  kernel: 'linear',
  channels: 'rgb',
  dtype: 'uint8',
  normalize: 'none',
  layout: 'channels-last',
  limitInputPixels: DEFAULT_LIMIT_INPUT_PIXELS,
});

/**
 * The original's cover preprocessing (`compat: 'seed'`): 270x480 (height x width), fill, bilinear, RGB,
 * float32 scaled to [-1, 1] (x / 127.5 - 1), channels-last.
 *
 * @example
 * ```ts
 * const image = await decodeImage(path, SEED_IMAGE); // Float32Array of 270 * 480 * 3
 * ```
 */
export const SEED_IMAGE: ResolvedImageOptions = Object.freeze({
  ...IMAGE_DEFAULTS,
  height: 270,
  width: 480,
  dtype: 'float32',
  normalize: 'symmetric',
});

const FITS: readonly ImageFit[] = ['fill', 'cover', 'contain'];
const KERNELS: readonly ImageKernel[] = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'];
const KEYS = new Set(Object.keys(IMAGE_DEFAULTS));
/** Options objects made by {@link resolveImageOptions}: used as they are, without checking again. */
const RESOLVED = new WeakSet<object>([IMAGE_DEFAULTS, SEED_IMAGE]);

function invalid(message: string): ReelsetError {
  return new ReelsetError('REELSET_E_INVALID_ARGUMENT', message);
}

function size(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 16384) {
    throw invalid(`image: ${name} must be an integer from 1 to 16384, got ${String(value)}`);
  }
  return value;
}

/**
 * Fills in and checks image options: `true` or `{}` give {@link IMAGE_DEFAULTS}; values given override
 * `base` (default {@link IMAGE_DEFAULTS}; `compat: 'seed'` passes {@link SEED_IMAGE}). With `dtype:
 * 'uint8'` and no `normalize`, normalize is `'none'`; with `dtype: 'float32'` and no `normalize`, the
 * base's (0-255 by default).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an unknown key or a bad value.
 * @example
 * ```ts
 * resolveImageOptions({ height: 112, width: 112, dtype: 'uint8' }).normalize; // 'none'
 * ```
 */
export function resolveImageOptions(
  options: ImageOptions | true = {},
  base: ResolvedImageOptions = IMAGE_DEFAULTS,
): ResolvedImageOptions {
  const given: ImageOptions = options === true ? {} : options;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw invalid('image options must be an object or true');
  }
  for (const key of Object.keys(given)) {
    if (!KEYS.has(key)) throw invalid(`image: unknown option ${JSON.stringify(key)}`);
  }
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const merged = { ...base, ...defined } as Required<ImageOptions>;
  if (given.dtype === 'uint8' && given.normalize === undefined) merged.normalize = 'none';
  size('height', merged.height);
  size('width', merged.width);
  if (!FITS.includes(merged.fit)) throw invalid(`image: fit must be one of ${FITS.join(', ')}`);
  if (!KERNELS.includes(merged.kernel)) throw invalid(`image: kernel must be one of ${KERNELS.join(', ')}`);
  const limit = merged.limitInputPixels;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw invalid(`image: limitInputPixels must be a positive integer, got ${String(limit)}`);
  }
  const format: PixelFormat = {
    channels: merged.channels,
    dtype: merged.dtype,
    normalize: merged.normalize,
    layout: merged.layout,
  };
  checkPixelFormat(format);
  const resolved = Object.freeze(merged);
  RESOLVED.add(resolved);
  return resolved;
}

/**
 * The format of image bytes by their signature, or undefined when it is none of {@link ImageFormat}.
 *
 * @example
 * ```ts
 * sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // 'jpeg'
 * ```
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const at = (i: number) => bytes[i];
  const ascii = (from: number, text: string) =>
    bytes.length >= from + text.length && [...text].every((c, i) => at(from + i) === c.charCodeAt(0));
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if (at(0) === 0x89 && ascii(1, 'PNG\r\n\x1a\n')) return 'png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  return undefined;
}

async function readBytes(path: string, where: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `Cannot read the image ${where}`, { cause: err });
  }
  try {
    const { size: bytes } = await handle.stat();
    if (bytes > MAX_IMAGE_BYTES) {
      throw new ReelsetError(
        'REELSET_E_IMAGE_TOO_LARGE',
        `The image ${where} has ${bytes} bytes, more than ${MAX_IMAGE_BYTES}`,
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Decodes one cover: bytes (or a file) -> sharp decode -> resize to (height, width) with `fit` and
 * `kernel` -> 8-bit RGB (alpha dropped, grey expanded, 16-bit reduced) -> {@link convertPixels}.
 *
 * The content decides the format, not the name: a PNG, WebP or GIF named `.jpeg` is decoded like a JPEG
 * (the result's `format` says what it was; only the first frame of an animation). Anything else
 * (text, SVG, TIFF, HEIF, an empty file) is refused, so that no other decoder of libvips ever sees
 * downloaded bytes. EXIF orientation is ignored, as in the original. sharp's own threads (`sharp.concurrency`)
 * are left as they are: each image is small, and the decode stage runs several at once.
 *
 * @throws ReelsetError `REELSET_E_BAD_IMAGE` for an unsupported format, a truncated or corrupt image
 *   (sharp `failOn: 'error'`); `REELSET_E_IMAGE_TOO_LARGE` for more than `limitInputPixels` pixels or a
 *   file over 64 MiB; `REELSET_E_NOT_FOUND` when the file cannot be read; `REELSET_E_INVALID_ARGUMENT` for
 *   bad options.
 * @example
 * ```ts
 * const cover = await decodeImage('data/Beach/12/12.jpeg', { height: 224, width: 224, normalize: 'symmetric' });
 * console.log(cover.shape, cover.data.length); // [224, 224, 3] 150528
 * ```
 */
export async function decodeImage(
  input: string | Uint8Array,
  options: ImageOptions | ResolvedImageOptions | true = {},
  context: { key?: string } = {},
): Promise<DecodedImage> {
  const o = RESOLVED.has(options as object)
    ? (options as ResolvedImageOptions)
    : resolveImageOptions(options);
  const where = context.key ?? (typeof input === 'string' ? input : 'in memory');
  const bytes = typeof input === 'string' ? await readBytes(input, where) : input;
  if (!(bytes instanceof Uint8Array)) throw invalid('decodeImage takes a path or a Uint8Array');
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new ReelsetError(
      'REELSET_E_BAD_IMAGE',
      bytes.length === 0
        ? `The image ${where} is empty`
        : `The image ${where} is not a JPEG, PNG, WebP or GIF (first bytes ${Buffer.from(bytes.subarray(0, 8)).toString('hex')})`,
    );
  }
  let raw: Buffer;
  try {
    raw = await sharp(bytes, {
      failOn: 'error',
      limitInputPixels: o.limitInputPixels,
      sequentialRead: true,
    })
      .resize(o.width, o.height, {
        fit: o.fit,
        kernel: o.kernel,
        position: 'centre',
        background: { r: 0, g: 0, b: 0, alpha: 1 },
        fastShrinkOnLoad: false,
      })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new ReelsetError(
        'REELSET_E_IMAGE_TOO_LARGE',
        `The image ${where} has more than ${o.limitInputPixels} pixels (limitInputPixels)`,
        { cause: err },
      );
    }
    throw new ReelsetError('REELSET_E_BAD_IMAGE', `Cannot decode the image ${where}: ${message}`, {
      cause: err,
    });
  }
  const rgb = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  const data = convertPixels(rgb, 1, o.height, o.width, o);
  const shape: [number, number, number] =
    o.layout === 'channels-last' ? [o.height, o.width, 3] : [3, o.height, o.width];
  return { data, shape, format };
}
