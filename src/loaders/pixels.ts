/**
 * @module pixels — turns interleaved RGB bytes (one image or a stack of frames) into the array a model wants:
 * RGB or BGR, uint8 or float32, normalized, channels last or first. Shared by the cover and video pipelines.
 */
import { ReelsetError } from '../errors.js';

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
  layout: 'channels-last' | 'channels-first';
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
    throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', why);
  };
  if (format.channels !== 'rgb' && format.channels !== 'bgr') fail(`channels must be 'rgb' or 'bgr'`);
  if (format.dtype !== 'uint8' && format.dtype !== 'float32') fail(`dtype must be 'uint8' or 'float32'`);
  if (format.layout !== 'channels-last' && format.layout !== 'channels-first') {
    fail(`layout must be 'channels-last' or 'channels-first'`);
  }
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
 * Converts `count` images of `height x width` interleaved RGB bytes into `format`. The result holds the
 * images one after another, each HWC (channels-last) or CHW (channels-first). With uint8, channels-last
 * and RGB, the input is returned as is (no copy).
 *
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
  rgb: Uint8Array,
  count: number,
  height: number,
  width: number,
  format: PixelFormat,
): Uint8Array | Float32Array {
  const pixels = height * width;
  if (rgb.length !== count * pixels * 3) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `Expected ${count}x${height}x${width}x3 bytes, got ${rgb.length}`,
    );
  }
  const { channels, dtype, normalize, layout } = format;
  if (dtype === 'uint8' && channels === 'rgb' && layout === 'channels-last') return rgb;
  const out = dtype === 'uint8' ? new Uint8Array(rgb.length) : new Float32Array(rgb.length);
  const order = channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const from = order[c] as number;
    const [scale, shift] = scaleAndShift(normalize, c);
    // channels-last: element (p, c) at p * 3 + c; channels-first: at c * pixels + p, per image.
    const stride = layout === 'channels-last' ? 3 : 1;
    for (let image = 0; image < count; image++) {
      const base = image * pixels * 3;
      let target = layout === 'channels-last' ? base + c : base + c * pixels;
      for (let source = base + from, end = base + pixels * 3; source < end; source += 3, target += stride) {
        out[target] = (rgb[source] as number) * scale + shift;
      }
    }
  }
  return out;
}
