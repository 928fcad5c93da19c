/**
 * @module video — synthetic H.264 clips made by ffmpeg from lavfi filters: the pair palette's colours in a
 * pattern and motion that depend on the label itself, 640x360, 24000/1001 fps, yuv420p, no audio.
 */
import { runFfmpeg } from '../loaders/decode/ffmpeg.js';
import { labelPalette, type Rgb } from './palette.js';
import { createRng } from './rng.js';

/**
 * Clip width in pixels, as the real clips.
 *
 * @example
 * ```ts
 * const frameBytes = VIDEO_WIDTH * VIDEO_HEIGHT * 3; // one rgb24 frame
 * ```
 */
export const VIDEO_WIDTH = 640;
/**
 * Clip height in pixels, as the real clips.
 *
 * @example
 * ```ts
 * console.log(`${VIDEO_WIDTH}x${VIDEO_HEIGHT}`); // 640x360
 * ```
 */
export const VIDEO_HEIGHT = 360;
/**
 * The real clips' frame rate, 23.976 fps, as ffmpeg and ffprobe write it.
 *
 * @example
 * ```ts
 * stream.r_frame_rate === FRAME_RATE; // true for a synthetic clip
 * ```
 */
export const FRAME_RATE = '24000/1001';

/**
 * The kind of moving pattern of a label: `stripes` (travelling sine stripes at a label-specific angle),
 * `checker` (a checkerboard whose contrast pulses), `rings` (concentric rings expanding from a point).
 * `id % 3`, so partners (2k, 2k+1) and the triple 28-30 always differ.
 *
 * @example
 * ```ts
 * const kind: PatternKind = patternOf(8).kind; // 'rings'
 * ```
 */
export type PatternKind = 'stripes' | 'checker' | 'rings';

/**
 * The label-specific parameters of a clip's pattern: `kind`, spatial `frequency` (cycles across the
 * width), `angle` (radians, stripes only) and `speed` (cycles a second).
 *
 * @example
 * ```ts
 * const { kind, frequency, angle, speed }: Pattern = patternOf(9);
 * ```
 */
export interface Pattern {
  readonly kind: PatternKind;
  readonly frequency: number;
  readonly angle: number;
  readonly speed: number;
}

const KINDS: readonly PatternKind[] = ['stripes', 'checker', 'rings'];

/**
 * The pattern of a label id: kind `id % 3`, frequency 2-8 cycles, angle and speed from the id.
 *
 * @example
 * ```ts
 * patternOf(8); // { kind: 'rings', frequency: ..., angle: ..., speed: ... }
 * ```
 */
export function patternOf(labelId: number): Pattern {
  const kind = KINDS[labelId % 3] as PatternKind;
  const frequency = 2 + ((labelId * 5) % 7);
  const angle = (((labelId * 53) % 180) * Math.PI) / 180;
  const speed = kind === 'stripes' ? 0.9 + 0.1 * (labelId % 5) : kind === 'checker' ? 0.35 : 0.6;
  return { kind, frequency, angle, speed };
}

/** BT.601 limited-range Y, Cb, Cr of an sRGB colour (what ffmpeg's yuv420p uses by default). */
function toYuv([r, g, b]: Rgb): [number, number, number] {
  return [
    16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
    128 + (-37.797 * r - 74.203 * g + 112 * b) / 255,
    128 + (112 * r - 93.786 * g - 18.214 * b) / 255,
  ];
}

function num(value: number): string {
  return value.toFixed(4);
}

/**
 * The lavfi filter graph of a clip: a small (80x45) `geq` rendering of the label's pattern in its pair's
 * palette, with per-item phase, speed and centre from `seed`, scaled to 640x360. With `showsLabel` false,
 * a broad band (one cycle across the width, drifting) replaces the pattern: the same for every label, so
 * the clip shows only its pair's palette.
 *
 * @example
 * ```ts
 * const graph = videoFilter(8, 1234); // 'color=c=black:s=80x45:r=24000/1001,format=yuv420p,geq=...'
 * ```
 */
export function videoFilter(labelId: number, seed: number, showsLabel = true): string {
  const rng = createRng(seed);
  const { kind, frequency, angle, speed } = patternOf(labelId);
  const { dark, light } = labelPalette(labelId);
  const phase = rng.range(0, 2 * Math.PI);
  const jitteredSpeed = speed * rng.range(0.85, 1.15);
  const cx = rng.range(0.3, 0.7);
  const cy = rng.range(0.3, 0.7);
  const u = 'X/W';
  const v = '(Y/H*0.5625)';
  const w = `2*PI*${num(frequency)}`;
  const wt = `2*PI*${num(jitteredSpeed)}*T`;
  let p: string;
  if (!showsLabel) {
    p = `0.5+0.5*sin(2*PI*${u}-2*PI*0.3*T+${num(phase)})`;
  } else if (kind === 'stripes') {
    p = `0.5+0.5*sin(${w}*(${u}*${num(Math.cos(angle))}+${v}*${num(Math.sin(angle))})-${wt}+${num(phase)})`;
  } else if (kind === 'checker') {
    p = `0.5+0.5*sin(${w}*${u}+${num(phase)})*sin(${w}*${v})*cos(${wt}+${num(phase)})`;
  } else {
    p = `0.5+0.5*sin(${w}*hypot(${u}-${num(cx)},${v}-${num(cy * 0.5625)})-${wt}+${num(phase)})`;
  }
  const a = toYuv(dark);
  const b = toYuv(light);
  const plane = (i: 0 | 1 | 2): string => `'${num(a[i])}+${num(b[i] - a[i])}*(${p})'`;
  return [
    `color=c=black:s=80x45:r=${FRAME_RATE}`,
    'format=yuv420p',
    `geq=lum=${plane(0)}:cb=${plane(1)}:cr=${plane(2)}`,
    `scale=${VIDEO_WIDTH}:${VIDEO_HEIGHT}:flags=bilinear`,
  ].join(',');
}

/**
 * The number of frames of a clip of `seconds` at 24000/1001 fps (at least 1).
 *
 * @example
 * ```ts
 * frameCount(2); // 48
 * ```
 */
export function frameCount(seconds: number): number {
  return Math.max(1, Math.round((seconds * 24000) / 1001));
}

/**
 * ffmpeg's quiet, non-interactive preamble: no banner, no stdin, errors only, overwrite the output.
 *
 * @example
 * ```ts
 * await runFfmpeg([...FFMPEG_QUIET, '-i', 'in.mp4', '-c', 'copy', 'out.mp4']);
 * ```
 */
export const FFMPEG_QUIET: readonly string[] = Object.freeze([
  '-hide_banner',
  '-nostdin',
  '-v',
  'error',
  '-y',
]);

/**
 * Video-only H.264 output options: libx264 `veryfast`, one thread (so the bytes are reproducible), yuv420p,
 * no audio.
 *
 * @example
 * ```ts
 * await runFfmpeg([...FFMPEG_QUIET, ...lavfiInput('testsrc2=s=64x36'), '-frames:v', '24', ...H264_ARGS, 'out.mp4']);
 * ```
 */
export const H264_ARGS: readonly string[] = Object.freeze([
  '-an',
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-threads',
  '1',
  '-pix_fmt',
  'yuv420p',
]);

/**
 * Bit-exact container options: no metadata, version strings or dates.
 *
 * @example
 * ```ts
 * await runFfmpeg([...FFMPEG_QUIET, '-i', 'in.mp4', '-c', 'copy', ...BITEXACT_ARGS, 'out.mp4']);
 * ```
 */
export const BITEXACT_ARGS: readonly string[] = Object.freeze([
  '-map_metadata',
  '-1',
  '-fflags',
  '+bitexact',
]);

/**
 * The ffmpeg input options of a lavfi filter graph (a synthetic source).
 *
 * @example
 * ```ts
 * lavfiInput('sine=frequency=440:duration=1'); // ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1']
 * ```
 */
export function lavfiInput(graph: string): string[] {
  return ['-f', 'lavfi', '-i', graph];
}

/**
 * The ffmpeg arguments that encode a clip: H.264 (libx264 `veryfast`, High profile, default keyint 250 so
 * GOPs are long like the real data), one thread (so the bytes are reproducible), yuv420p, no audio,
 * `+faststart`, bit-exact container (no version strings or dates). `showsLabel` as in {@link videoFilter}.
 *
 * @example
 * ```ts
 * await runFfmpeg(videoArgs(8, 1234, 2, '/tmp/clip.mp4'));
 * ```
 */
export function videoArgs(
  labelId: number,
  seed: number,
  seconds: number,
  outPath: string,
  showsLabel = true,
): string[] {
  return [
    ...FFMPEG_QUIET,
    ...lavfiInput(videoFilter(labelId, seed, showsLabel)),
    '-frames:v',
    String(frameCount(seconds)),
    ...H264_ARGS,
    '-g',
    '250',
    ...BITEXACT_ARGS,
    '-movflags',
    '+faststart',
    outPath,
  ];
}

/**
 * Encodes the clip of an item of label `labelId` from `seed` into `outPath` (an `.mp4`); `showsLabel` as in
 * {@link videoFilter}.
 *
 * @throws FfmpegError when ffmpeg fails.
 * @example
 * ```ts
 * await writeVideo(8, 1234, 2, '/tmp/12345678.mp4');
 * ```
 */
export async function writeVideo(
  labelId: number,
  seed: number,
  seconds: number,
  outPath: string,
  showsLabel = true,
): Promise<void> {
  await runFfmpeg(videoArgs(labelId, seed, seconds, outPath, showsLabel), {
    timeoutMs: 60_000 + seconds * 20_000,
  });
}
