/**
 * @module pixels — turns interleaved RGB (or RGBA) bytes (one image or a stack of frames) into the array a model wants:
 * RGB or BGR, uint8 or float32, normalized, channels last or first. Shared by the cover and video pipelines.
 */
import { ReelsetError } from '../../errors.js';
import { checkOneOf, invalidArgument } from '../../util/options.js';

/**
 * How float pixels are scaled: `'none'` keeps 0-255, `'unit'` gives [0, 1], `'symmetric'` gives [-1, 1]
 * (x / 127.5 - 1, the original's cover), `{ mean, std }` gives (x / 255 - mean[c]) / std[c] per channel
 * (in the output channel order).
 *
 * @example
 * ```ts
 * const imagenet: Normalize = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
 * ```
 */
export type Normalize = 'none' | 'unit' | 'symmetric' | { mean: readonly number[]; std: readonly number[] };

/**
 * Where the channels are: `channels-last` (HWC, THWC; TensorFlow's default) or `channels-first` (CHW,
 * TCHW; PyTorch's and ONNX's).
 *
 * @example
 * ```ts
 * const layout: PixelLayout = 'channels-first';
 * ```
 */
export type PixelLayout = 'channels-last' | 'channels-first';

/**
 * What {@link convertPixels} produces.
 *
 * @example
 * ```ts
 * const format: PixelFormat = { channels: 'bgr', dtype: 'float32', normalize: 'none', layout: 'channels-last' };
 * ```
 */
export interface PixelFormat {
  /** Channel order. */
  channels: 'rgb' | 'bgr';
  /** `uint8` keeps bytes (normalize must be `'none'`); `float32` applies `normalize`. */
  dtype: 'uint8' | 'float32';
  /** How float32 values are scaled. */
  normalize: Normalize;
  /** `channels-last` (HWC, NHWC, THWC) or `channels-first` (CHW, TCHW). */
  layout: PixelLayout;
}

function scaleAndShift(normalize: Normalize, channel: number): [number, number] {
  if (normalize === 'none') return [1, 0];
  if (normalize === 'unit') return [1 / 255, 0];
  if (normalize === 'symmetric') return [1 / 127.5, -1];
  const mean = normalize.mean[channel] ?? 0;
  const std = normalize.std[channel] ?? 1;
  return [1 / (255 * std), -mean / std];
}

/**
 * Checks a {@link PixelFormat}: uint8 cannot be normalized; mean and std need 3 finite values, std non-zero.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * checkPixelFormat({ channels: 'rgb', dtype: 'uint8', normalize: 'unit', layout: 'channels-last' }); // throws
 * ```
 */
export function checkPixelFormat(format: PixelFormat): void {
  const fail = (why: string) => {
    throw invalidArgument(why);
  };
  checkOneOf('channels', format.channels, ['rgb', 'bgr'] as const);
  checkOneOf('dtype', format.dtype, ['uint8', 'float32'] as const);
  checkOneOf('layout', format.layout, ['channels-last', 'channels-first'] as const);
  const { normalize } = format;
  if (format.dtype === 'uint8' && normalize !== 'none') fail(`dtype 'uint8' needs normalize 'none'`);
  if (typeof normalize === 'object') {
    const ok = (values: readonly number[]) => values.length === 3 && values.every(Number.isFinite);
    if (!ok(normalize.mean) || !ok(normalize.std) || normalize.std.includes(0)) {
      fail('normalize.mean and normalize.std need 3 finite numbers each, std non-zero');
    }
  } else if (!['none', 'unit', 'symmetric'].includes(normalize)) {
    fail(`normalize must be 'none', 'unit', 'symmetric' or { mean, std }`);
  }
}

/**
 * Converts `count` images of `height x width` interleaved RGB bytes (or RGBA with `sourceChannels` 4: the
 * alpha byte is skipped) into `format`. The result holds the images one after another, each HWC
 * (channels-last) or CHW (channels-first), in an array of its own. With RGB input, uint8, channels-last and
 * RGB, the input is returned as is (no copy).
 *
 * The work is done by monomorphic JavaScript loops, one per output type and layout, each with its own store
 * site (uint8 channels-last from RGBA, every cover, moves 32-bit words). Float values are `x * scale +
 * shift` computed in float64 and rounded to float32 once. Nothing is kept between calls. (A WebAssembly
 * kernel did this before; the cover pipeline was at most 8% faster with it, short of the 1.2x that would
 * have kept it, and its memory kept the size of the largest conversion ever done: see docs/benchmarks.md.)
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when `source` does not hold `count x height x width x
 *   sourceChannels` bytes, or the result is too large for one array.
 * @example
 * ```ts
 * const rgb = new Uint8Array([255, 0, 0, 0, 0, 255]); // 1 x 2 pixels: red, blue
 * const out = convertPixels(rgb, 1, 1, 2, {
 *   channels: 'bgr', dtype: 'float32', normalize: 'unit', layout: 'channels-first',
 * });
 * // out = Float32Array [0, 1, 0, 0, 1, 0]: the B plane, then G, then R
 * ```
 */
export function convertPixels(
  source: Uint8Array,
  count: number,
  height: number,
  width: number,
  format: PixelFormat,
  sourceChannels: 3 | 4 = 3,
): Uint8Array | Float32Array {
  const pixels = height * width;
  if (source.length !== count * pixels * sourceChannels) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `Expected ${count}x${height}x${width}x${sourceChannels} bytes, got ${source.length}`,
    );
  }
  const { channels, dtype, normalize, layout } = format;
  if (sourceChannels === 3 && dtype === 'uint8' && channels === 'rgb' && layout === 'channels-last') {
    return source;
  }
  const size = count * pixels * 3;
  // Output channel c reads the source byte at offset (r, g, b)[c] of its pixel.
  const r = channels === 'rgb' ? 0 : 2;
  const b = 2 - r;
  if (dtype === 'uint8') {
    const out = allocate((n) => new Uint8Array(n), size, count, height, width);
    if (layout === 'channels-last' && sourceChannels === 4) {
      bytesLastFromRgba(source, out, count * pixels, r, b);
    } else if (layout === 'channels-last') {
      bytesLast(source, out, count * pixels, sourceChannels, r, b);
    } else {
      for (let image = 0; image < count; image++) {
        bytesFirst(
          source,
          out,
          image * pixels * sourceChannels,
          image * pixels * 3,
          pixels,
          sourceChannels,
          r,
          b,
        );
      }
    }
    return out;
  }
  const [scale0, shift0] = scaleAndShift(normalize, 0);
  const [scale1, shift1] = scaleAndShift(normalize, 1);
  const [scale2, shift2] = scaleAndShift(normalize, 2);
  const out = allocate((n) => new Float32Array(n), size, count, height, width);
  if (layout === 'channels-last') {
    floatsLast(
      source,
      out,
      count * pixels,
      sourceChannels,
      r,
      b,
      scale0,
      scale1,
      scale2,
      shift0,
      shift1,
      shift2,
    );
  } else {
    for (let image = 0; image < count; image++) {
      floatsFirst(
        source,
        out,
        image * pixels * sourceChannels,
        image * pixels * 3,
        pixels,
        sourceChannels,
        r,
        b,
        scale0,
        scale1,
        scale2,
        shift0,
        shift1,
        shift2,
      );
    }
  }
  return out;
}

/** A new `Uint8Array` or `Float32Array` of `size` elements, or a ReelsetError when it cannot be made. */
function allocate<T>(
  make: (size: number) => T,
  size: number,
  count: number,
  height: number,
  width: number,
): T {
  try {
    return make(size);
  } catch (err) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `Cannot convert ${count}x${height}x${width} pixels at once: ${size} values do not fit in one array`,
      { cause: err },
    );
  }
}

// The loops. Each is its own function so that V8 specialises its store site for one array type: the single
// loop writing `Uint8Array | Float32Array` that this replaced was 1.2-1.5 times slower (bench/pixels.bench.ts).
// Output channel 1 always reads offset 1 (green); channels 0 and 2 read `r` and `b` (0 and 2, or 2 and 0).

/** uint8, HWC: `n` pixels of `step` source bytes, the whole run of images at once. */
function bytesLast(source: Uint8Array, out: Uint8Array, n: number, step: number, r: number, b: number): void {
  for (let p = 0, s = 0, o = 0; p < n; p++, s += step, o += 3) {
    out[o] = source[s + r] as number;
    out[o + 1] = source[s + 1] as number;
    out[o + 2] = source[s + b] as number;
  }
}

/** Whether a 32-bit word keeps its low byte first here (true wherever Node ships prebuilt binaries). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * uint8, HWC, from RGBA (every cover): 4 pixels at a time, 4 words read and 3 written (about 3 times faster
 * than {@link bytesLast}), the last 1-3 pixels byte by byte. Byte by byte throughout where words cannot be
 * used (a source not 4-byte aligned, a big-endian machine).
 */
function bytesLastFromRgba(source: Uint8Array, out: Uint8Array, n: number, r: number, b: number): void {
  const quads = n >> 2;
  if (!LITTLE_ENDIAN || source.byteOffset % 4 !== 0 || out.byteOffset % 4 !== 0) {
    bytesLast(source, out, n, 4, r, b);
    return;
  }
  words(
    new Uint32Array(source.buffer, source.byteOffset, quads * 4),
    new Uint32Array(out.buffer, out.byteOffset, quads * 3),
    quads,
    r !== 0,
  );
  bytesLast(source.subarray(quads * 16), out.subarray(quads * 12), n - quads * 4, 4, r, b);
}

/**
 * `quads` groups of 4 RGBA words (little-endian: 0xAABBGGRR) into 3 words of RGB bytes, R and B swapped
 * first with `bgr`.
 */
function words(source: Uint32Array, out: Uint32Array, quads: number, bgr: boolean): void {
  for (let q = 0, s = 0, o = 0; q < quads; q++, s += 4, o += 3) {
    let w0 = source[s] as number;
    let w1 = source[s + 1] as number;
    let w2 = source[s + 2] as number;
    let w3 = source[s + 3] as number;
    if (bgr) {
      w0 = (w0 & 0xff00ff00) | ((w0 >>> 16) & 0xff) | ((w0 & 0xff) << 16);
      w1 = (w1 & 0xff00ff00) | ((w1 >>> 16) & 0xff) | ((w1 & 0xff) << 16);
      w2 = (w2 & 0xff00ff00) | ((w2 >>> 16) & 0xff) | ((w2 & 0xff) << 16);
      w3 = (w3 & 0xff00ff00) | ((w3 >>> 16) & 0xff) | ((w3 & 0xff) << 16);
    }
    // Bytes R0 G0 B0 R1 | G1 B1 R2 G2 | B2 R3 G3 B3.
    out[o] = (w0 & 0xffffff) | (w1 << 24);
    out[o + 1] = ((w1 >>> 8) & 0xffff) | (w2 << 16);
    out[o + 2] = ((w2 >>> 16) & 0xff) | (w3 << 8);
  }
}

/** uint8, CHW: one image of `n` pixels from byte `from` into the three planes starting at element `to`. */
function bytesFirst(
  source: Uint8Array,
  out: Uint8Array,
  from: number,
  to: number,
  n: number,
  step: number,
  r: number,
  b: number,
): void {
  for (let p = 0, s = from, o = to; p < n; p++, s += step, o++) {
    out[o] = source[s + r] as number;
    out[o + n] = source[s + 1] as number;
    out[o + 2 * n] = source[s + b] as number;
  }
}

/** float32, HWC: `x * scale_c + shift_c` for `n` pixels, the whole run of images at once. */
function floatsLast(
  source: Uint8Array,
  out: Float32Array,
  n: number,
  step: number,
  r: number,
  b: number,
  scale0: number,
  scale1: number,
  scale2: number,
  shift0: number,
  shift1: number,
  shift2: number,
): void {
  for (let p = 0, s = 0, o = 0; p < n; p++, s += step, o += 3) {
    out[o] = shift0 + scale0 * (source[s + r] as number);
    out[o + 1] = shift1 + scale1 * (source[s + 1] as number);
    out[o + 2] = shift2 + scale2 * (source[s + b] as number);
  }
}

/** float32, CHW: one image of `n` pixels from byte `from` into the three planes starting at element `to`. */
function floatsFirst(
  source: Uint8Array,
  out: Float32Array,
  from: number,
  to: number,
  n: number,
  step: number,
  r: number,
  b: number,
  scale0: number,
  scale1: number,
  scale2: number,
  shift0: number,
  shift1: number,
  shift2: number,
): void {
  for (let p = 0, s = from, o = to; p < n; p++, s += step, o++) {
    out[o] = shift0 + scale0 * (source[s + r] as number);
    out[o + n] = shift1 + scale1 * (source[s + 1] as number);
    out[o + 2 * n] = shift2 + scale2 * (source[s + b] as number);
  }
}
