/**
 * @module pixels — turns interleaved RGB (or RGBA) bytes (one image or a stack of frames) into the array a model wants:
 * RGB or BGR, uint8 or float32, normalized, channels last or first. Shared by the cover and video pipelines.
 */
import { ReelsetError } from '../../errors.js';
import { PIXELS_WASM_BASE64 } from './pixels-wasm.js';

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
 * Converts `count` images of `height x width` interleaved RGB bytes (or RGBA with `sourceChannels` 4: the
 * alpha byte is skipped) into `format`. The result holds the images one after another, each HWC
 * (channels-last) or CHW (channels-first). With RGB input, uint8, channels-last and RGB, the input is
 * returned as is (no copy). Otherwise a small WebAssembly kernel (pixels.wat) does the work, about 2.5 times
 * faster than a JavaScript loop; its memory keeps the size of the largest conversion done.
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
  const [r, g, b] = channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const [scale0, shift0] = scaleAndShift(normalize, 0);
  const [scale1, shift1] = scaleAndShift(normalize, 1);
  const [scale2, shift2] = scaleAndShift(normalize, 2);
  // Output channel c of pixel p: at p * 3 + c (channels-last) or c * pixels + p (channels-first), per image.
  const pixelStep = layout === 'channels-last' ? 3 : 1;
  const planeStep = layout === 'channels-last' ? 1 : pixels;
  // The kernel's memory: the source bytes, then the output (16-byte aligned).
  const bytes = dtype === 'uint8' ? 1 : 0;
  const elementSize = bytes ? 1 : 4;
  const at = Math.ceil(source.length / 16) * 16;
  if (at + size * elementSize > MAX_KERNEL_BYTES) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `Cannot convert ${count}x${height}x${width} pixels at once: more than ${MAX_KERNEL_BYTES} bytes`,
    );
  }
  const { memory, convert } = pixelKernel(at + size * elementSize);
  new Uint8Array(memory.buffer).set(source, 0);
  for (let image = 0; image < count; image++) {
    convert(
      image * pixels * sourceChannels,
      at + image * pixels * 3 * elementSize,
      pixels,
      sourceChannels,
      r,
      g,
      b,
      pixelStep,
      planeStep,
      bytes,
      scale0,
      scale1,
      scale2,
      shift0,
      shift1,
      shift2,
    );
  }
  return bytes
    ? new Uint8Array(memory.buffer, at, size).slice()
    : new Float32Array(memory.buffer, at, size).slice();
}

/** The instantiated kernel of pixels.wat. */
interface PixelKernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  convert: (...args: number[]) => void;
}

/** The part of the WebAssembly global used here (the project's type libraries do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

let kernel: PixelKernel | undefined;
/** The most memory the kernel may use: WebAssembly's 32-bit addresses reach 4 GiB, less one page. */
const MAX_KERNEL_BYTES = 2 ** 32 - 65536;

/** The kernel, its memory grown to at least `bytes` (it keeps the largest size asked for). */
function pixelKernel(bytes: number): PixelKernel {
  if (kernel === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(PIXELS_WASM_BASE64, 'base64'));
    kernel = new wasm.Instance(module, {}).exports as PixelKernel;
  }
  const missing = bytes - kernel.memory.buffer.byteLength;
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536));
  return kernel;
}
