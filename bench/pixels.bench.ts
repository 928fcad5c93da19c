/**
 * @module pixels.bench — the pixel conversion: the monomorphic JavaScript loops of convertPixels against the
 * WebAssembly kernel they replaced, alone (covers and video frames) and inside the cover pipeline.
 *
 * The kernel is kept here, byte for byte (KERNEL_WASM_BASE64, compiled from src/loaders/decode/pixels.wat,
 * in git history up to commit bf02056), with the driver pixels.ts had, so the decision can be measured
 * again. For the pipeline a second copy of src/loaders/decode/image.ts is loaded (`image.ts?pixels=kernel`)
 * whose `./pixels.js` a resolve hook points at the kernel: both sides run the same `decodeImage`, and
 * differ only in the conversion. The rule (the project's issue): keep the kernel only if the cover pipeline
 * is at least 1.2 times faster with it.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { register } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { decodeImage, type ImageOptions } from '../src/loaders/decode/image.js';
import { convertPixels, type Normalize, type PixelFormat } from '../src/loaders/decode/pixels.js';
import { COVERS_PER_POOL_THREAD, threadPoolSize } from '../src/loaders/decode/stage.js';
import { coverJpeg } from '../src/synth/cover.js';
import { type BenchResult, median, now, secondsSince } from './harness.js';

/** The kernel pixels.ts instantiated until it was removed (`npm run wasm` compiled it from pixels.wat). */
const KERNEL_WASM_BASE64 =
  'AGFzbQEAAAABFAFgEH9/f39/f39/f398fHx8fHwAAwIBAAUDAQABBxQCBm1lbW9yeQIAB2NvbnZlcnQAAArRAQHOAQEFf0EAQQIgCRshFCAHIBR0IQcgCCAUdCEIIAEhESARIAhqIRIgEiAIaiETIAAgAiADbGohEAJAA0AgACAQTw0BIAkEQCARIAAgBGotAAA6AAAgEiAAIAVqLQAAOgAAIBMgACAGai0AADoAAAUgESANIAogACAEai0AALiioLY4AgAgEiAOIAsgACAFai0AALiioLY4AgAgEyAPIAwgACAGai0AALiioLY4AgALIAAgA2ohACARIAdqIREgEiAHaiESIBMgB2ohEwwACwsL';

/** The instantiated kernel: its memory and its one function. */
interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  convert: (...args: number[]) => void;
}

/** The part of the WebAssembly global used here (the project's type libraries do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

let kernel: Kernel | undefined;

/** The kernel, its memory grown to at least `bytes` (it keeps the largest size asked for, as it did). */
function pixelKernel(bytes: number): Kernel {
  if (kernel === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
    kernel = new wasm.Instance(module, {}).exports as Kernel;
  }
  const missing = bytes - kernel.memory.buffer.byteLength;
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536));
  return kernel;
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
 * convertPixels as it was with the WebAssembly kernel (same signature, same results): copy the source into
 * the kernel's memory, convert each image there, copy the result out.
 *
 * @example
 * ```ts
 * const out = kernelConvertPixels(rgba, 1, 224, 224, { channels: 'rgb', dtype: 'float32', normalize: 'unit', layout: 'channels-last' }, 4);
 * ```
 */
export function kernelConvertPixels(
  source: Uint8Array,
  count: number,
  height: number,
  width: number,
  format: PixelFormat,
  sourceChannels: 3 | 4 = 3,
): Uint8Array | Float32Array {
  const pixels = height * width;
  if (source.length !== count * pixels * sourceChannels) throw new Error('size mismatch');
  const { channels, dtype, normalize, layout } = format;
  if (sourceChannels === 3 && dtype === 'uint8' && channels === 'rgb' && layout === 'channels-last') {
    return source;
  }
  const size = count * pixels * 3;
  const [r, g, b] = channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const [scale0, shift0] = scaleAndShift(normalize, 0);
  const [scale1, shift1] = scaleAndShift(normalize, 1);
  const [scale2, shift2] = scaleAndShift(normalize, 2);
  const pixelStep = layout === 'channels-last' ? 3 : 1;
  const planeStep = layout === 'channels-last' ? 1 : pixels;
  const bytes = dtype === 'uint8' ? 1 : 0;
  const elementSize = bytes ? 1 : 4;
  const at = Math.ceil(source.length / 16) * 16;
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

/**
 * The JavaScript loop the kernel replaced (git history of src/loaders/pixels.ts, with the source step made
 * `sourceChannels`): one loop for every format, its one store site writing `Uint8Array | Float32Array`, so
 * V8 cannot specialise it. Only a reference in the notes.
 */
function polymorphicConvertPixels(
  rgb: Uint8Array,
  count: number,
  height: number,
  width: number,
  format: PixelFormat,
  sourceChannels: 3 | 4 = 3,
): Uint8Array | Float32Array {
  const pixels = height * width;
  const { channels, dtype, normalize, layout } = format;
  const out = dtype === 'uint8' ? new Uint8Array(count * pixels * 3) : new Float32Array(count * pixels * 3);
  const order = channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const from = order[c] as number;
    const [scale, shift] = scaleAndShift(normalize, c);
    const stride = layout === 'channels-last' ? 3 : 1;
    for (let image = 0; image < count; image++) {
      const base = image * pixels * sourceChannels;
      let target = layout === 'channels-last' ? image * pixels * 3 + c : image * pixels * 3 + c * pixels;
      const end = base + pixels * sourceChannels;
      for (let source = base + from; source < end; source += sourceChannels, target += stride) {
        out[target] = (rgb[source] as number) * scale + shift;
      }
    }
  }
  return out;
}

/** One conversion measured: what the decode stage hands convertPixels. */
interface ConversionCase {
  name: string;
  count: number;
  height: number;
  width: number;
  sourceChannels: 3 | 4;
  format: PixelFormat;
}

const IMAGENET: Normalize = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const CASES: ConversionCase[] = [
  {
    name: 'cover 224x224 RGBA -> uint8 RGB HWC (the default)',
    count: 1,
    height: 224,
    width: 224,
    sourceChannels: 4,
    format: { channels: 'rgb', dtype: 'uint8', normalize: 'none', layout: 'channels-last' },
  },
  {
    name: 'cover 224x224 RGBA -> uint8 RGB CHW',
    count: 1,
    height: 224,
    width: 224,
    sourceChannels: 4,
    format: { channels: 'rgb', dtype: 'uint8', normalize: 'none', layout: 'channels-first' },
  },
  {
    name: 'cover 224x224 RGBA -> float32 unit HWC',
    count: 1,
    height: 224,
    width: 224,
    sourceChannels: 4,
    format: { channels: 'rgb', dtype: 'float32', normalize: 'unit', layout: 'channels-last' },
  },
  {
    name: 'cover 224x224 RGBA -> float32 ImageNet CHW',
    count: 1,
    height: 224,
    width: 224,
    sourceChannels: 4,
    format: { channels: 'rgb', dtype: 'float32', normalize: IMAGENET, layout: 'channels-first' },
  },
  {
    name: 'video 8x112x112 RGB -> float32 unit CHW',
    count: 8,
    height: 112,
    width: 112,
    sourceChannels: 3,
    format: { channels: 'rgb', dtype: 'float32', normalize: 'unit', layout: 'channels-first' },
  },
  {
    name: 'video 3x360x640 RGB -> float32 BGR 0-255 HWC (seed)',
    count: 3,
    height: 360,
    width: 640,
    sourceChannels: 3,
    format: { channels: 'bgr', dtype: 'float32', normalize: 'none', layout: 'channels-last' },
  },
];

/** Samples of each side per conversion case, alternating; each sample times enough calls for about 20 ms. */
const SAMPLES = 21;
const COVERS = 200;
/** Passes each way over the covers, alternating, after a warm-up pass each. */
const PASSES = 9;
/** Keep the kernel only if the pipeline is at least this many times faster with it (the issue's rule). */
const KEEP_IF = 1.2;

type Convert = typeof convertPixels;

function sameBytes(a: Uint8Array | Float32Array, b: Uint8Array | Float32Array): boolean {
  return (
    a.constructor === b.constructor &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

/** Milliseconds a call of each converter, median of {@link SAMPLES} alternating samples. */
function measureConversion(c: ConversionCase): { js: number; kernel: number; polymorphic: number } {
  const source = Uint8Array.from(
    { length: c.count * c.height * c.width * c.sourceChannels },
    (_, i) => (i * 97 + 13 + (i >> 9)) % 256,
  );
  const run = (convert: Convert) => convert(source, c.count, c.height, c.width, c.format, c.sourceChannels);
  const js = run(convertPixels);
  if (!sameBytes(js, run(kernelConvertPixels)) || !sameBytes(js, run(polymorphicConvertPixels))) {
    throw new Error(`${c.name}: the converters disagree`);
  }
  const sides: Convert[] = [convertPixels, kernelConvertPixels, polymorphicConvertPixels];
  for (const side of sides) for (let i = 0; i < 30; i++) run(side);
  const start = now();
  run(convertPixels);
  const calls = Math.max(1, Math.round(0.02 / Math.max(secondsSince(start), 1e-5)));
  const samples = sides.map(() => [] as number[]);
  for (let s = 0; s < SAMPLES; s++) {
    sides.forEach((side, k) => {
      const t = now();
      for (let i = 0; i < calls; i++) run(side);
      samples[k]?.push((secondsSince(t) * 1000) / calls);
    });
  }
  const [js1, kernel1, poly1] = samples.map(median) as [number, number, number];
  return { js: js1, kernel: kernel1, polymorphic: poly1 };
}

type DecodeImage = typeof decodeImage;

/**
 * A copy of src/loaders/decode/image.ts whose `./pixels.js` is this file's kernel: a resolve hook sends that
 * one import of `image.ts?pixels=kernel` to a module re-exporting {@link kernelConvertPixels} as
 * `convertPixels` (everything else is pixels.ts's). Every other import is shared with the real one.
 */
async function kernelDecodeImage(): Promise<DecodeImage> {
  const image = new URL('../src/loaders/decode/image.ts', import.meta.url).href;
  const pixels = new URL('../src/loaders/decode/pixels.ts', import.meta.url).href;
  const replacement = `data:text/javascript,${encodeURIComponent(
    `export * from ${JSON.stringify(pixels)};\n` +
      `export { kernelConvertPixels as convertPixels } from ${JSON.stringify(import.meta.url)};\n`,
  )}`;
  const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === './pixels.js' && context.parentURL === ${JSON.stringify(`${image}?pixels=kernel`)}) {
    return { url: ${JSON.stringify(replacement)}, shortCircuit: true };
  }
  return next(specifier, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const copy = (await import(`${image}?pixels=kernel`)) as { decodeImage: DecodeImage };
  return copy.decodeImage;
}

/** One pass of `decode` over the paths, `concurrency` at a time: seconds, and the process's CPU seconds. */
async function pipelinePass(
  decode: DecodeImage,
  paths: string[],
  options: ImageOptions,
  concurrency: number,
): Promise<{ seconds: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = now();
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) total += (await decode(paths[next++] as string, options)).data[0] as number;
    }),
  );
  const seconds = secondsSince(start);
  if (Number.isNaN(total)) throw new Error('decoded NaN');
  const used = process.cpuUsage(cpu);
  return { seconds, cpu: (used.user + used.system) / 1e6 };
}

const ms = (x: number) => x.toFixed(3);

/** A pipeline row: met while the kernel is less than {@link KEEP_IF} times faster (the JS loops stay). */
function pipelineRow(row: Omit<BenchResult, 'goal' | 'met'>): BenchResult {
  const limit = 1 / KEEP_IF;
  return { ...row, goal: `> ${limit.toFixed(3)}`, met: Number.isFinite(row.ratio) && row.ratio > limit };
}

/** Runs the pixel benchmarks. */
export default async function pixelsBench(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const c of CASES) {
    const m = measureConversion(c);
    rows.push({
      name: `pixels: ${c.name}, JS loops vs WebAssembly kernel`,
      reelset: m.js,
      peer: m.kernel,
      ratio: m.kernel / m.js,
      goal: 'report',
      met: true,
      unit: 'ms',
      notes: `ratio = kernel ms / JS ms a call (the kernel's copies in and out of its memory included; results checked bit-identical); median of ${SAMPLES} alternating samples. The JS loop the kernel replaced (one polymorphic store site): ${ms(m.polymorphic)} ms, ${(m.polymorphic / m.js).toFixed(2)}x the monomorphic loops' time. Reported only: the decision is the cover pipeline's (rows below)`,
    });
  }
  const retained = kernel?.memory.buffer.byteLength ?? 0;

  const dir = await mkdtemp(join(os.tmpdir(), 'reelset-bench-pixels-'));
  try {
    const paths: string[] = [];
    for (let i = 0; i < COVERS; i++) {
      const path = join(dir, `${i + 1}.jpeg`);
      await writeFile(path, await coverJpeg(i % 31, 1000 + i));
      paths.push(path);
    }
    const withKernel = await kernelDecodeImage();
    const concurrency = COVERS_PER_POOL_THREAD * threadPoolSize();
    const configs: { name: string; options: ImageOptions }[] = [
      { name: 'uint8 HWC (the default)', options: { height: 224, width: 224 } },
      {
        name: 'float32 unit HWC (bench/image)',
        options: { height: 224, width: 224, dtype: 'float32', normalize: 'unit' },
      },
      {
        name: 'float32 ImageNet CHW',
        options: { height: 224, width: 224, dtype: 'float32', normalize: IMAGENET, layout: 'channels-first' },
      },
    ];
    for (const { name, options } of configs) {
      const a = await decodeImage(paths[0] as string, options);
      const b = await withKernel(paths[0] as string, options);
      if (!sameBytes(a.data, b.data)) throw new Error(`pipeline ${name}: the two sides disagree`);
      await pipelinePass(decodeImage, paths, options, concurrency);
      await pipelinePass(withKernel, paths, options, concurrency);
      const js: { seconds: number; cpu: number }[] = [];
      const wasm: { seconds: number; cpu: number }[] = [];
      for (let i = 0; i < PASSES; i++) {
        js.push(await pipelinePass(decodeImage, paths, options, concurrency));
        wasm.push(await pipelinePass(withKernel, paths, options, concurrency));
      }
      const jsSec = median(js.map((x) => x.seconds));
      const wasmSec = median(wasm.map((x) => x.seconds));
      const jsCpu = median(js.map((x) => x.cpu));
      const wasmCpu = median(wasm.map((x) => x.cpu));
      rows.push(
        pipelineRow({
          name: `pixels: cover pipeline ${COVERS} x decodeImage 224² ${name}, JS loops vs kernel`,
          reelset: COVERS / jsSec,
          peer: COVERS / wasmSec,
          ratio: wasmSec / jsSec,
          unit: 'covers/s',
          notes: `ratio = kernel s / JS s; keep the kernel only if the pipeline is >= ${KEEP_IF}x faster with it, i.e. ratio <= ${(1 / KEEP_IF).toFixed(3)} (goal met: the JS loops stay). ${COVERS} synthesized 480x270 covers, ${concurrency} in flight on ${os.availableParallelism()} cores, median of ${PASSES} alternating passes after a warm-up. Per cover: JS ${ms((jsSec / COVERS) * 1000)} ms, kernel ${ms((wasmSec / COVERS) * 1000)} ms; CPU a cover (process.cpuUsage: main thread and libuv's pool): JS ${ms((jsCpu / COVERS) * 1000)} ms, kernel ${ms((wasmCpu / COVERS) * 1000)} ms. Passes JS [${js.map((x) => x.seconds.toFixed(3)).join(', ')}] s, kernel [${wasm.map((x) => x.seconds.toFixed(3)).join(', ')}] s. The kernel's memory after the conversions above: ${(retained / 2 ** 20).toFixed(1)} MiB, kept for the process's life`,
        }),
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
