/**
 * @module image — the cover pipeline: the header is read and checked (format, size, completeness), then
 * @napi-rs/image (Rust: zune-jpeg, png, libwebp, fast_image_resize) decodes and resizes to (height, width)
 * off the main thread, and {@link convertPixels} gives the array a model wants.
 */
import { close, fstat, open, read } from 'node:fs';
import { promisify } from 'node:util';
import type * as NapiImage from '@napi-rs/image';
import { ReelsetError } from '../../errors.js';
import { checkInteger, checkOneOf, invalidArgument } from '../../util/options.js';
import { type ImageFormat, readImageHeader } from './image-header.js';
import {
  checkPixelFormat,
  convertPixels,
  type Normalize,
  type PixelFormat,
  type PixelLayout,
} from './pixels.js';

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
 * A resampling kernel (a convolution of fast_image_resize, antialiased when shrinking, as in Pillow):
 * `'box'`, `'linear'` (bilinear, the default, like Pillow's `BILINEAR`), `'hamming'`, `'cubic'`
 * (Catmull-Rom), `'mitchell'`, `'lanczos3'`.
 *
 * @example
 * ```ts
 * const kernel: ImageKernel = 'lanczos3';
 * ```
 */
export type ImageKernel = 'box' | 'linear' | 'hamming' | 'cubic' | 'mitchell' | 'lanczos3';

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
  layout?: PixelLayout;
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
 * A decoded cover: the pixels, their shape (`[h, w, c]` channels-last, `[c, h, w]` channels-first), that
 * layout, and the format the file really held.
 *
 * @example
 * ```ts
 * const image: DecodedImage = await decodeImage('data/Beach/12/12.jpeg');
 * console.log(image.shape, image.layout, image.format); // [224, 224, 3] 'channels-last' 'jpeg'
 * ```
 */
export interface DecodedImage {
  data: Uint8Array | Float32Array;
  shape: [number, number, number];
  /** The order of `shape` and `data`: channels-last (`[h, w, c]`) or channels-first (`[c, h, w]`). */
  layout: PixelLayout;
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
/** The fast_image_resize filter of each kernel (a member name of @napi-rs/image's `FastResizeFilter`). */
const FILTERS: Readonly<Record<ImageKernel, keyof typeof NapiImage.FastResizeFilter>> = {
  box: 'Box',
  linear: 'Bilinear',
  hamming: 'Hamming',
  cubic: 'CatmullRom',
  mitchell: 'Mitchell',
  lanczos3: 'Lanczos3',
};
/** @napi-rs/image, loaded at the first decode (importing reelset does not load the native binding). */
let napiImage: typeof NapiImage | undefined;
async function loadNapiImage(): Promise<typeof NapiImage> {
  napiImage ??= await import('@napi-rs/image');
  return napiImage;
}
const KERNELS = Object.keys(FILTERS) as ImageKernel[];
const KEYS = new Set(Object.keys(IMAGE_DEFAULTS));
/** Options objects made by {@link resolveImageOptions}: used as they are, without checking again. */
const RESOLVED = new WeakSet<object>([IMAGE_DEFAULTS, SEED_IMAGE]);

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
    throw invalidArgument('image options must be an object or true');
  }
  for (const key of Object.keys(given)) {
    if (!KEYS.has(key)) throw invalidArgument(`image: unknown option ${JSON.stringify(key)}`);
  }
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const merged = { ...base, ...defined } as Required<ImageOptions>;
  if (given.dtype === 'uint8' && given.normalize === undefined) merged.normalize = 'none';
  checkInteger('image.height', merged.height, 1, 16384);
  checkInteger('image.width', merged.width, 1, 16384);
  checkOneOf('image.fit', merged.fit, FITS);
  checkOneOf('image.kernel', merged.kernel, KERNELS);
  checkInteger('image.limitInputPixels', merged.limitInputPixels, 1);
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

const openFile = promisify(open);
const statFile = promisify(fstat);
const readInto = promisify(read);
const closeFile = promisify(close);

/**
 * The bytes of an image file, its size checked before reading. Callback-style `fs` calls wrapped in
 * promises: a cover is small, and `fs/promises` file handles cost the main thread about twice as much.
 */
async function readBytes(path: string, where: string): Promise<Buffer> {
  let fd: number;
  try {
    fd = await openFile(path, 'r');
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `Cannot read the image ${where}`, { cause: err });
  }
  try {
    const { size } = await statFile(fd);
    if (size > MAX_IMAGE_BYTES) {
      throw new ReelsetError(
        'REELSET_E_IMAGE_TOO_LARGE',
        `The image ${where} has ${size} bytes, more than ${MAX_IMAGE_BYTES}`,
      );
    }
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await readInto(fd, bytes, filled, size - filled, filled);
      if (bytesRead === 0) break; // the file shrank while being read: the header check sees the cut
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await closeFile(fd);
  }
}

/**
 * Where the resized image goes in the (height, width) output: the size to resize to, then the window
 * kept (`'cover'` crops the centre) and where it lands (`'contain'` centres it on black).
 */
interface Placement {
  resizeWidth: number;
  resizeHeight: number;
  cropLeft: number;
  cropTop: number;
  /** The size of the resized (and cropped) image. */
  width: number;
  height: number;
  padLeft: number;
  padTop: number;
}

/**
 * The {@link Placement} of a `sourceWidth x sourceHeight` image in a `width x height` output with `fit`.
 *
 * @example
 * ```ts
 * placeImage(480, 270, 100, 100, 'cover'); // resize to 178x100, keep 100x100 from x = 39
 * ```
 */
export function placeImage(
  sourceWidth: number,
  sourceHeight: number,
  width: number,
  height: number,
  fit: ImageFit,
): Placement {
  const none = { cropLeft: 0, cropTop: 0, padLeft: 0, padTop: 0 };
  if (fit === 'fill') {
    return { ...none, resizeWidth: width, resizeHeight: height, width, height };
  }
  const pick = fit === 'cover' ? Math.max : Math.min;
  const scale = pick(width / sourceWidth, height / sourceHeight);
  const scaled = (side: number, limit: number) => {
    const value = Math.max(1, Math.round(side * scale));
    return fit === 'cover' ? Math.max(value, limit) : Math.min(value, limit);
  };
  const resizeWidth = scaled(sourceWidth, width);
  const resizeHeight = scaled(sourceHeight, height);
  if (fit === 'cover') {
    const cropLeft = Math.floor((resizeWidth - width) / 2);
    const cropTop = Math.floor((resizeHeight - height) / 2);
    return { ...none, resizeWidth, resizeHeight, cropLeft, cropTop, width, height };
  }
  const padLeft = Math.floor((width - resizeWidth) / 2);
  const padTop = Math.floor((height - resizeHeight) / 2);
  return { ...none, resizeWidth, resizeHeight, width: resizeWidth, height: resizeHeight, padLeft, padTop };
}

/** Copies `rgba` (`placement.width x placement.height`) onto a black `width x height` RGBA canvas. */
function padRgba(rgba: Uint8Array, placement: Placement, width: number, height: number): Uint8Array {
  const canvas = new Uint8Array(width * height * 4);
  const row = placement.width * 4;
  for (let y = 0; y < placement.height; y++) {
    const to = ((placement.padTop + y) * width + placement.padLeft) * 4;
    canvas.set(rgba.subarray(y * row, (y + 1) * row), to);
  }
  return canvas;
}

/**
 * Decodes one cover: bytes (or a file) -> header checked ({@link readImageHeader}: format, declared size
 * against `limitInputPixels`, complete file) -> decode and resize with `fit` and `kernel` by @napi-rs/image
 * on libuv's thread pool -> 8-bit RGB (alpha dropped, grey expanded, 16-bit reduced) ->
 * {@link convertPixels}.
 *
 * The content decides the format, not the name: a PNG or WebP named `.jpeg` is decoded like a JPEG (the
 * result's `format` says what it was). Anything else (GIF, text, SVG, TIFF, an empty file) is refused
 * before a decoder sees it. EXIF orientation is ignored, as in the original. Several covers decode at once
 * on the thread pool (`UV_THREADPOOL_SIZE`, 4 by default); the decode stage keeps several in flight.
 *
 * @throws ReelsetError `REELSET_E_BAD_IMAGE` for an unsupported format, a truncated or corrupt image;
 *   `REELSET_E_IMAGE_TOO_LARGE` for more than `limitInputPixels` pixels or a file over 64 MiB;
 *   `REELSET_E_NOT_FOUND` when the file cannot be read; `REELSET_E_INVALID_ARGUMENT` for bad options.
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
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('decodeImage takes a path or a Uint8Array');
  const header = readImageHeader(bytes, where);
  if (header.width * header.height > o.limitInputPixels) {
    throw new ReelsetError(
      'REELSET_E_IMAGE_TOO_LARGE',
      `The image ${where} has ${header.width}x${header.height} pixels, more than ${o.limitInputPixels} (limitInputPixels)`,
    );
  }
  const place = placeImage(header.width, header.height, o.width, o.height, o.fit);
  let rgba: Uint8Array;
  const { FastResizeFilter, ResizeFit, Transformer } = napiImage ?? (await loadNapiImage());
  try {
    let transform = new Transformer(bytes).fastResize({
      width: place.resizeWidth,
      height: place.resizeHeight,
      filter: FastResizeFilter[FILTERS[o.kernel]],
      fit: ResizeFit.Fill,
    });
    if (o.fit === 'cover') transform = transform.crop(place.cropLeft, place.cropTop, o.width, o.height);
    rgba = await transform.rawPixels();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ReelsetError('REELSET_E_BAD_IMAGE', `Cannot decode the image ${where}: ${message}`, {
      cause: err,
    });
  }
  if (rgba.length !== place.width * place.height * 4) {
    throw new ReelsetError(
      'REELSET_E_BAD_IMAGE',
      `The image ${where} decoded to ${rgba.length} bytes, not ${place.width}x${place.height} RGBA`,
    );
  }
  const canvas = o.fit === 'contain' ? padRgba(rgba, place, o.width, o.height) : rgba;
  const data = convertPixels(canvas, 1, o.height, o.width, o, 4);
  const shape: [number, number, number] =
    o.layout === 'channels-last' ? [o.height, o.width, 3] : [3, o.height, o.width];
  return { data, shape, layout: o.layout, format: header.format };
}
