/**
 * @module video — clip metadata (the MP4's own boxes, else ffprobe) and frame sampling (one ffmpeg process
 * per clip that decodes once, selects T frames, scales them and pipes raw RGB to stdout), then channels,
 * dtype, normalize and layout.
 */
import { stat } from 'node:fs/promises';
import { FfmpegError, ReelsetError } from '../../errors.js';
import {
  checkBoolean,
  checkInteger,
  checkOneOf,
  checkPositive,
  invalidArgument,
} from '../../util/options.js';
import { fnv1a, mulberry32 } from '../../util/random.js';
import { runFfmpeg, runFfprobe } from './ffmpeg.js';
import { type Mp4VideoTrack, readMp4VideoTrack } from './mp4-boxes.js';
import {
  checkPixelFormat,
  convertPixels,
  type Normalize,
  type PixelFormat,
  type PixelLayout,
} from './pixels.js';
import { prunedStream } from './pruned-stream.js';

/**
 * What ffprobe says about a clip's first video stream (attached pictures such as MP3 cover art ignored), or
 * the same values read from an MP4's boxes.
 * `width` and `height` are as displayed, i.e. after `rotation` (ffmpeg autorotates frames when decoding).
 *
 * @example
 * ```ts
 * const info: VideoInfo = await probeVideo('clip.mp4');
 * // { durationSec: 15.39, frameRate: { num: 24000, den: 1001 }, frameCount: 369, width: 640, height: 360,
 * //   rotation: 0, codec: 'h264', variableFrameRate: false }
 * ```
 */
export interface VideoInfo {
  /** Duration in seconds: the stream's, else the container's; 0 when neither is known. */
  durationSec: number;
  /** Average frame rate as a rational (the stream's `r_frame_rate` when no average is known). */
  frameRate: { num: number; den: number };
  /** Frames in the stream when the container says (MP4 does), else null. */
  frameCount: number | null;
  /** Displayed width in pixels (coded width, swapped for a 90/270 degree rotation). */
  width: number;
  /** Displayed height in pixels. */
  height: number;
  /** Clockwise rotation in degrees applied on display: 0, 90, 180 or 270. */
  rotation: number;
  /** ffmpeg's codec name, e.g. `'h264'`. */
  codec: string;
  /** True when the average frame rate differs from the base rate by more than 1% (timestamps vary). */
  variableFrameRate: boolean;
}

/**
 * How T frames are chosen:
 * - `first`: the first T consecutive frames (the original's behaviour);
 * - `uniform`: the centre frame of each of T equal segments of the clip;
 * - `random`: a random frame inside each of T equal segments (TSN), deterministic for `(seed, key)`;
 * - `keyframes`: keyframes only (decoded with `-skip_frame nokey`), T spread evenly over them;
 * - `fps`: T frames `1 / fps` seconds apart from the start.
 *
 * @example
 * ```ts
 * const sampling: FrameSampling = 'uniform';
 * ```
 */
export type FrameSampling = 'first' | 'uniform' | 'random' | 'keyframes' | 'fps';

/**
 * Options of {@link decodeVideo}. Every field is optional; {@link resolveVideoOptions} fills the defaults.
 *
 * @example
 * ```ts
 * const options: VideoOptions = { frames: 16, height: 224, width: 224, sampling: 'random', seed: 7,
 *   dtype: 'float32', normalize: 'unit', layout: 'channels-first' };
 * ```
 */
export interface VideoOptions {
  /** T, the frames returned (1-1024). Default 8. */
  frames?: number;
  /** Output height in pixels (1-8192). Default 112. */
  height?: number;
  /** Output width in pixels (1-8192). Default 112. */
  width?: number;
  /** How frames are chosen. Default `'uniform'`. */
  sampling?: FrameSampling;
  /** Frames a second for `sampling: 'fps'` (> 0). Default 1. */
  fps?: number;
  /** Channel order. Default `'rgb'`. */
  channels?: 'rgb' | 'bgr';
  /** Element type. Default `'uint8'`. */
  dtype?: 'uint8' | 'float32';
  /** Scaling of float32 values (see `Normalize`). Default `'none'`. */
  normalize?: Normalize;
  /** `channels-last` gives [t, h, w, c], `channels-first` gives [t, c, h, w]. Default `'channels-last'`. */
  layout?: PixelLayout;
  /** Seed of `sampling: 'random'` (a safe integer). Default 0. */
  seed?: number;
  /**
   * A clip with fewer than T frames (under the sampling): `'pad'` repeats its last frame (and says so in
   * `padded`), `'skip'` throws `REELSET_E_SHORT_CLIP`. Default `'pad'`.
   */
  short?: 'pad' | 'skip';
  /** Time limit for the whole clip (probe and decode) in milliseconds. Default 60000. */
  timeoutMs?: number;
  /** Decode with `-skip_loop_filter all`: faster, slightly blockier frames. Default false. */
  skipLoopFilter?: boolean;
  /**
   * `'exact'` (default): the frames the sampling chooses, bit for bit. `'nearest-reference'` (opt in): no
   * frame that other frames do not refer to is decoded, and each chosen frame becomes the first frame at or
   * after it that others refer to, so a frame can move by a frame or two (`timesSec` says where each came
   * from); two choices can meet on the same frame, which is then repeated. Exact frames of an H.264 MP4
   * already skip the unreferenced frames that are not chosen, so this saves little there; it helps most
   * on clips that route does not take (rotated clips, other containers), where it is `-skip_frame noref`.
   */
  accuracy?: 'exact' | 'nearest-reference';
  /** ffmpeg decoder threads per clip (0 = ffmpeg's choice). Default 1: best throughput with a pool. */
  threads?: number;
}

/**
 * {@link VideoOptions} with every default filled in.
 *
 * @example
 * ```ts
 * const resolved: ResolvedVideoOptions = resolveVideoOptions({ frames: 4 });
 * ```
 */
export type ResolvedVideoOptions = Required<VideoOptions>;

/**
 * Frames returned by {@link decodeVideo}.
 *
 * @example
 * ```ts
 * const { data, shape, timesSec, padded } = await decodeVideo('clip.mp4');
 * // shape [8, 112, 112, 3]; timesSec [0.959, 2.878, ...]; padded 0
 * ```
 */
export interface VideoFrames {
  /** The frames, one after another, in `shape` order. */
  data: Uint8Array | Float32Array;
  /** `[t, h, w, c]` (channels-last) or `[t, c, h, w]` (channels-first). */
  shape: [number, number, number, number];
  /** The order of `shape` and `data`. */
  layout: PixelLayout;
  /** Presentation time in seconds (from the clip's start) of each returned frame. */
  timesSec: number[];
  /** Frames at the end that repeat the last real frame because the clip was short. */
  padded: number;
}

/**
 * The video options that reproduce the original project: the first 3 frames at 360x640, BGR, float32 0-255.
 * Short clips are skipped (the original dropped them silently; reelset records the skip).
 *
 * @example
 * ```ts
 * const frames = await decodeVideo('clip.mp4', SEED_VIDEO_OPTIONS); // shape [3, 360, 640, 3]
 * ```
 */
export const SEED_VIDEO_OPTIONS: Readonly<VideoOptions> = Object.freeze({
  frames: 3,
  height: 360,
  width: 640,
  sampling: 'first',
  channels: 'bgr',
  dtype: 'float32',
  normalize: 'none',
  layout: 'channels-last',
  short: 'skip',
} satisfies VideoOptions);

const DEFAULTS: ResolvedVideoOptions = {
  frames: 8,
  height: 112,
  width: 112,
  sampling: 'uniform',
  fps: 1,
  channels: 'rgb',
  dtype: 'uint8',
  normalize: 'none',
  layout: 'channels-last',
  seed: 0,
  short: 'pad',
  timeoutMs: 60_000,
  skipLoopFilter: false,
  accuracy: 'exact',
  threads: 1,
};

const SAMPLINGS: readonly FrameSampling[] = ['first', 'uniform', 'random', 'keyframes', 'fps'];

/**
 * Fills the defaults of {@link VideoOptions} (`true` means all defaults) and checks every value.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an unknown key or a bad value.
 * @example
 * ```ts
 * resolveVideoOptions(true).frames; // 8
 * resolveVideoOptions({ sampling: 'fps', fps: 2 }).sampling; // 'fps'
 * ```
 */
export function resolveVideoOptions(options?: VideoOptions | true): ResolvedVideoOptions {
  if (options === undefined || options === true) return { ...DEFAULTS };
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('video options must be an object or true');
  }
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) throw invalidArgument(`video: unknown option ${JSON.stringify(key)}`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: ResolvedVideoOptions = { ...DEFAULTS, ...defined };
  checkInteger('video.frames', o.frames, 1, 1024);
  checkInteger('video.height', o.height, 1, 8192);
  checkInteger('video.width', o.width, 1, 8192);
  checkInteger('video.threads', o.threads, 0, 64);
  checkOneOf('video.sampling', o.sampling, SAMPLINGS);
  checkPositive('video.fps', o.fps, 1000);
  checkInteger('video.seed', o.seed);
  checkOneOf('video.short', o.short, ['pad', 'skip'] as const);
  checkPositive('video.timeoutMs', o.timeoutMs);
  checkBoolean('video.skipLoopFilter', o.skipLoopFilter, false);
  checkOneOf('video.accuracy', o.accuracy, ['exact', 'nearest-reference'] as const);
  checkPixelFormat(o);
  return o;
}

interface ProbeJson {
  streams?: Array<{
    codec_name?: string;
    width?: number;
    height?: number;
    r_frame_rate?: string;
    avg_frame_rate?: string;
    nb_frames?: string;
    duration?: string;
    tags?: { rotate?: string };
    side_data_list?: Array<{ rotation?: number }>;
  }>;
  format?: { duration?: string };
}

function parseRate(text: string | undefined): { num: number; den: number } | null {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (!match) return null;
  const num = Number(match[1]);
  const den = Number(match[2]);
  return num > 0 && den > 0 ? { num, den } : null;
}

function positive(text: string | undefined): number | null {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : null;
}

async function checkFile(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `No such file: ${path}`, { cause: err });
  }
  if (size === 0) throw new ReelsetError('REELSET_E_BAD_MEDIA', `Empty file: ${path}`);
}

/** ffmpeg / ffprobe failures on a file that exists: the file is bad, unless it was a timeout. */
function mediaError(err: unknown, path: string): unknown {
  if (err instanceof FfmpegError && err.exitCode !== null) {
    const line = err.stderr.trim().split('\n').pop() ?? err.message;
    // ffmpeg starts its line with the input path: name the path once.
    const why = line.startsWith(`${path}: `) ? line.slice(path.length + 2) : line;
    return new ReelsetError('REELSET_E_BAD_MEDIA', `Cannot read ${path}: ${why}`, { cause: err });
  }
  return err;
}

/** The fields of a {@link VideoInfo} as ffprobe names them, before rotation is applied to the size. */
interface StreamFields {
  durationSec: number;
  base: { num: number; den: number } | null;
  avg: { num: number; den: number } | null;
  frameCount: number | null;
  codedWidth: number;
  codedHeight: number;
  /** Clockwise degrees, any multiple of 90 (normalized here). */
  clockwise: number;
  codec: string;
}

/** One derivation of a {@link VideoInfo} for both sources (ffprobe's JSON and the MP4's boxes). */
function videoInfo(f: StreamFields): VideoInfo {
  const rotation = (((Math.round(f.clockwise / 90) * 90) % 360) + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const { base, avg } = f;
  const variableFrameRate =
    base !== null && avg !== null && Math.abs(avg.num / avg.den / (base.num / base.den) - 1) > 0.01;
  return {
    durationSec: f.durationSec,
    frameRate: avg ?? base ?? { num: 0, den: 1 },
    frameCount: f.frameCount,
    width: swap ? f.codedHeight : f.codedWidth,
    height: swap ? f.codedWidth : f.codedHeight,
    rotation,
    codec: f.codec,
    variableFrameRate,
  };
}

async function ffprobeInfo(path: string, timeoutMs: number): Promise<VideoInfo> {
  let json: ProbeJson;
  try {
    const { stdout } = await runFfprobe(
      [
        '-v',
        'error',
        '-select_streams',
        'V:0',
        '-show_entries',
        'stream=codec_name,width,height,r_frame_rate,avg_frame_rate,nb_frames,duration:' +
          'stream_tags=rotate:stream_side_data=rotation:format=duration',
        '-of',
        'json',
        '-i',
        path,
      ],
      { timeoutMs, timeoutCode: 'REELSET_E_TIMEOUT' },
    );
    json = JSON.parse(stdout.toString('utf8')) as ProbeJson;
  } catch (err) {
    throw mediaError(err, path);
  }
  const stream = json.streams?.[0];
  if (!stream) throw new ReelsetError('REELSET_E_NO_VIDEO', `No video stream in ${path}`);
  const coded = { width: stream.width ?? 0, height: stream.height ?? 0 };
  if (!(coded.width > 0 && coded.height > 0)) {
    throw new ReelsetError('REELSET_E_BAD_MEDIA', `The video stream of ${path} has no frame size`);
  }
  // The tag is clockwise; ffprobe's side-data `rotation` is counter-clockwise (av_display_rotation_get).
  const tag = Number(stream.tags?.rotate);
  const side = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const nb = positive(stream.nb_frames);
  return videoInfo({
    durationSec: positive(stream.duration) ?? positive(json.format?.duration) ?? 0,
    base: parseRate(stream.r_frame_rate),
    avg: parseRate(stream.avg_frame_rate),
    frameCount: nb === null ? null : Math.round(nb),
    codedWidth: coded.width,
    codedHeight: coded.height,
    clockwise: Number.isFinite(tag) && tag !== 0 ? tag : side !== undefined ? -side : 0,
    codec: stream.codec_name ?? 'unknown',
  });
}

/**
 * Reads a clip's metadata: duration, frame rate (rational), frame count, displayed size, rotation (from the
 * display matrix side data or the `rotate` tag), codec, variable frame rate. An MP4 is read from its own
 * `moov` box ({@link readMp4VideoTrack}: no process, a few reads); anything that reader is not certain of
 * (another container, a fragmented or truncated MP4, another codec, varying frame durations, ...) goes to
 * ffprobe, which gives the same values.
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` (no file), `REELSET_E_BAD_MEDIA` (empty or not media),
 *   `REELSET_E_NO_VIDEO` (no video stream), `REELSET_E_TIMEOUT` (past `timeoutMs`, default 30000).
 * @example
 * ```ts
 * const { durationSec, frameRate, frameCount } = await probeVideo('clip.mp4');
 * console.log(durationSec, frameRate.num / frameRate.den, frameCount); // 15.39 23.976 369
 * ```
 */
export async function probeVideo(path: string, options: { timeoutMs?: number } = {}): Promise<VideoInfo> {
  return (await probeClip(path, options.timeoutMs ?? 30_000)).info;
}

/** {@link probeVideo}, with the MP4 track when the boxes were read (its frames can then be read directly). */
async function probeClip(
  path: string,
  timeoutMs: number,
): Promise<{ info: VideoInfo; track?: Mp4VideoTrack }> {
  await checkFile(path);
  const track = await readMp4VideoTrack(path);
  if (!track) return { info: await ffprobeInfo(path, timeoutMs) };
  const info = videoInfo({
    durationSec: track.durationSec,
    base: track.baseFrameRate,
    avg: track.averageFrameRate,
    frameCount: track.frameCount,
    codedWidth: track.width,
    codedHeight: track.height,
    clockwise: track.rotation,
    codec: track.codec,
  });
  return { info, track };
}

/**
 * {@link probeVideo} that always runs ffprobe (never reads the MP4's boxes itself): the reference the box
 * reader is tested and benchmarked against. Internal: not exported by the package.
 *
 * @throws ReelsetError as {@link probeVideo}.
 * @example
 * ```ts
 * const info = await probeVideoWithFfprobe('clip.mp4'); // deep-equals await probeVideo('clip.mp4')
 * ```
 */
export async function probeVideoWithFfprobe(
  path: string,
  options: { timeoutMs?: number } = {},
): Promise<VideoInfo> {
  await checkFile(path);
  return ffprobeInfo(path, options.timeoutMs ?? 30_000);
}

/** FNV-1a over a string, then mulberry32: a small deterministic PRNG for `sampling: 'random'`. */
function seededRandom(seed: number, key: string): () => number {
  return mulberry32(fnv1a(`${seed}:${key}`));
}

/**
 * The frames to keep, planned before decoding:
 * - `all`: every decoded frame (then `pick` chooses T of them in JS, or they are padded);
 * - `indices`: frame numbers (0-based, presentation order), selected with `select=eq(n,i)+...`;
 * - `times`: target times; for each, the first frame whose time is >= the target (select on `t`, `prev_t`);
 *   `nearestReference` holds the frame numbers behind the times of `accuracy: 'nearest-reference'`.
 */
type Plan =
  | { kind: 'all'; limit: number | null; pick: 'even' | 'first' }
  | { kind: 'indices'; indices: number[] }
  | { kind: 'times'; times: number[]; nearestReference?: number[] };

/** Segment k of n frames into t parts: [floor(k n / t), floor((k + 1) n / t)); non-empty when n >= t. */
function segmentIndices(n: number, t: number, choose: (lo: number, size: number) => number): number[] {
  const out: number[] = [];
  for (let k = 0; k < t; k++) {
    const lo = Math.floor((k * n) / t);
    const hi = Math.floor(((k + 1) * n) / t);
    out.push(lo + choose(lo, hi - lo));
  }
  return out;
}

function plan(info: VideoInfo, o: ResolvedVideoOptions, key: string): Plan {
  const t = o.frames;
  if (o.sampling === 'first') return { kind: 'all', limit: t, pick: 'first' };
  if (o.sampling === 'keyframes') return { kind: 'all', limit: null, pick: 'even' };
  const rate = info.frameRate.num / info.frameRate.den;
  if (o.sampling === 'fps') {
    return { kind: 'times', times: Array.from({ length: t }, (_, k) => k / o.fps) };
  }
  const random = o.sampling === 'random' ? seededRandom(o.seed, key) : null;
  const choose = (_lo: number, size: number): number =>
    random ? Math.floor(random() * size) : Math.floor(size / 2);
  const estimated = info.durationSec > 0 && rate > 0 ? Math.round(info.durationSec * rate) : null;
  const count = info.frameCount ?? estimated;
  if (count === null) return { kind: 'all', limit: null, pick: 'even' };
  if (count <= t) return { kind: 'all', limit: t, pick: 'first' };
  if (!info.variableFrameRate && info.frameCount !== null) {
    const indices = segmentIndices(count, t, choose);
    if (o.accuracy === 'exact') return { kind: 'indices', indices };
    // Frame numbers count decoded frames only once some are skipped: select by time instead, from half a
    // frame before each chosen frame (so the frame itself when it is decoded, else the next one).
    return {
      kind: 'times',
      times: indices.map((i) => Math.max(0, (i - 0.5) / rate)),
      nearestReference: indices,
    };
  }
  // Variable frame rate (or no frame count): segments of time, not of frame numbers.
  const d = info.durationSec;
  return {
    kind: 'times',
    times: Array.from({ length: t }, (_, k) => {
      const lo = (k * d) / t;
      const size = d / t;
      return lo + (random ? random() * size : size / 2);
    }),
  };
}

function selectExpression(p: Plan): string | null {
  if (p.kind === 'indices') return p.indices.map((i) => `eq(n\\,${i})`).join('+');
  if (p.kind === 'times') {
    // The first frame at or after each target: t >= target and the previous frame (if any) before it.
    const targets = [...new Set(p.times.map((x) => Math.max(0, x).toFixed(6)))];
    return targets.map((x) => `gte(t\\,${x})*not(gte(prev_t\\,${x}))`).join('+');
  }
  return null;
}

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(-?[\d.e+-]+)/;

/**
 * The ffmpeg arguments of one decode: input options, the filter chain, raw RGB on stdout. The clip is read
 * from the file (with `showinfo` for each frame's time) or as an H.264 stream on standard input
 * ({@link prunedStream}; the times are then known from the boxes).
 */
function decodeArgs(path: string, input: 'file' | 'h264-stdin', o: ResolvedVideoOptions, p: Plan): string[] {
  const showinfo = input === 'file';
  const args = ['-hide_banner', '-nostats', '-v', showinfo ? 'info' : 'error', '-threads', String(o.threads)];
  if (o.skipLoopFilter) args.push('-skip_loop_filter', 'all');
  if (input === 'file') {
    if (o.sampling === 'keyframes') args.push('-skip_frame', 'nokey');
    else if (o.accuracy === 'nearest-reference') args.push('-skip_frame', 'noref');
    args.push('-nostdin', '-i', path);
  } else {
    args.push('-f', 'h264', '-i', 'pipe:0');
  }
  args.push('-map', '0:V:0', '-an', '-sn', '-dn');
  const select = selectExpression(p);
  const filters = [
    ...(select ? [`select=${select}`] : []),
    `scale=${o.width}:${o.height}:flags=bilinear`,
    ...(showinfo ? ['showinfo'] : []),
  ];
  args.push('-vf', filters.join(','), '-vsync', '0');
  const limit =
    p.kind === 'all'
      ? p.limit
      : p.kind === 'indices'
        ? p.indices.length
        : new Set(p.times.map((x) => Math.max(0, x).toFixed(6))).size;
  if (limit !== null) args.push('-frames:v', String(limit));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return args;
}

/** A frame's time as ffmpeg's `showinfo` prints it (`%.6g` of ticks times the time base). */
function showinfoSeconds(ticks: number, timescale: number): number {
  return Number((ticks * (1 / timescale)).toPrecision(6));
}

/**
 * Runs the decode: for frame numbers of an MP4 whose boxes were read (exact, or the nearest references),
 * the stream without the frames nothing refers to ({@link prunedStream}: the same frames for less
 * decoding), with the times from the boxes; otherwise the file itself, with the times from `showinfo`.
 * Resolves with raw RGB and the time of each frame ffmpeg gave.
 */
async function runDecode(
  path: string,
  o: ResolvedVideoOptions,
  p: Plan,
  track: Mp4VideoTrack | undefined,
  timeoutMs: number,
): Promise<{ stdout: Buffer; times: number[] }> {
  const run = { timeoutMs, timeoutCode: 'REELSET_E_TIMEOUT' } as const;
  const wanted = p.kind === 'indices' ? p.indices : p.kind === 'times' ? p.nearestReference : undefined;
  const nearestReference = p.kind === 'times';
  const pruned = wanted && track ? await prunedStream(path, track, wanted, { nearestReference }) : undefined;
  try {
    if (pruned && track) {
      const selected: Plan = { kind: 'indices', indices: pruned.outputIndices };
      const args = decodeArgs(path, 'h264-stdin', o, selected);
      const { stdout } = await runFfmpeg(args, { ...run, input: pruned.stream });
      const ticks = track.presentationTicks;
      return {
        stdout,
        times: pruned.frames.map((f) => showinfoSeconds(ticks[f] as number, track.timescale)),
      };
    }
    const times: number[] = [];
    const { stdout } = await runFfmpeg(decodeArgs(path, 'file', o, p), {
      ...run,
      onStderrLine: (line) => {
        if (!line.includes('showinfo')) return;
        const match = SHOWINFO.exec(line);
        if (match) times.push(Number(match[3]));
      },
    });
    return { stdout, times };
  } catch (err) {
    throw mediaError(err, path);
  }
}

function shortClip(path: string, got: number, wanted: number, sampling: FrameSampling): never {
  throw new ReelsetError(
    'REELSET_E_SHORT_CLIP',
    `${path} gives ${got} frame${got === 1 ? '' : 's'} with sampling '${sampling}', fewer than ${wanted}`,
  );
}

/**
 * Decodes T frames of a clip in one ffmpeg process: probe ({@link probeVideo}), then decode once, select
 * the frames (`select` by frame number, or by time for variable-frame-rate clips and `fps`; `-skip_frame
 * nokey` for keyframes), scale to `height x width` (bilinear), and read raw RGB from stdout; then convert
 * channels, dtype, normalization and layout. A short clip is padded by repeating its last frame (`padded`)
 * or throws `REELSET_E_SHORT_CLIP` with `short: 'skip'`.
 *
 * Frames chosen by number from an H.264 MP4 (`uniform` and `random`, the usual case) are decoded from the
 * clip's own frames without those nothing refers to unless chosen ({@link prunedStream}): the same frames,
 * bit for bit, for about a third less decoding on an x264 clip with B-frames. Anything that route is not sure
 * of goes through ffmpeg's demuxer as before.
 *
 * @param context `key` (e.g. the sample id) is mixed into the seed of `sampling: 'random'`.
 * @throws ReelsetError `REELSET_E_NOT_FOUND`, `REELSET_E_BAD_MEDIA` (empty, not media, truncated),
 *   `REELSET_E_NO_VIDEO`, `REELSET_E_SHORT_CLIP`, `REELSET_E_TIMEOUT`, `REELSET_E_INVALID_ARGUMENT`;
 *   `FfmpegError` when ffmpeg itself fails.
 * @example
 * ```ts
 * const clip = await decodeVideo('clip.mp4', { frames: 8, sampling: 'random', seed: 1 }, { key: '99945958' });
 * console.log(clip.shape, clip.timesSec); // [8, 112, 112, 3] [0.54, 2.46, ...]
 * ```
 */
export function decodeVideo(
  path: string,
  options?: VideoOptions,
  context: { key?: string } = {},
): Promise<VideoFrames> {
  return decodeProbed(probeClip, path, options, context);
}

/**
 * {@link decodeVideo} with the metadata read by `probe` ({@link probeVideo}, or
 * {@link probeVideoWithFfprobe} to compare the two) and the file always demuxed by ffmpeg (no
 * {@link prunedStream}): the same options, errors and frames, the reference that the faster routes are
 * tested and benchmarked against. Internal: not exported by the package.
 *
 * @example
 * ```ts
 * const clip = await decodeVideoWithProbe(probeVideoWithFfprobe, 'clip.mp4', { frames: 8 });
 * ```
 */
export function decodeVideoWithProbe(
  probe: (path: string, options: { timeoutMs?: number }) => Promise<VideoInfo>,
  path: string,
  options?: VideoOptions,
  context: { key?: string } = {},
): Promise<VideoFrames> {
  return decodeProbed(
    async (p, timeoutMs) => ({ info: await probe(p, { timeoutMs }) }),
    path,
    options,
    context,
  );
}

/**
 * Probes (`probe` gives the MP4 track too when its frames may be read directly), plans, decodes and
 * assembles the frames of a clip.
 */
async function decodeProbed(
  probe: (path: string, timeoutMs: number) => Promise<{ info: VideoInfo; track?: Mp4VideoTrack }>,
  path: string,
  options: VideoOptions | undefined,
  context: { key?: string },
): Promise<VideoFrames> {
  const o = resolveVideoOptions(options);
  const deadline = Date.now() + o.timeoutMs;
  const { info, track } = await probe(path, o.timeoutMs);
  const p = plan(info, o, context.key ?? path);
  const t = o.frames;
  if (o.short === 'skip' && p.kind === 'all' && p.pick === 'first' && info.frameCount !== null) {
    if (info.frameCount < t) shortClip(path, info.frameCount, t, o.sampling);
  }
  const { stdout, times } = await runDecode(path, o, p, track, Math.max(1, deadline - Date.now()));
  const frameBytes = o.height * o.width * 3;
  const got = Math.floor(stdout.length / frameBytes);
  if (got === 0) {
    throw new ReelsetError('REELSET_E_BAD_MEDIA', `No frame of ${path} could be decoded`);
  }
  while (times.length < got) times.push(Number.NaN);
  // Which decoded frame goes to each output slot; slots past the real frames repeat the last one.
  let slots: number[];
  let padded = 0;
  if (p.kind === 'indices') {
    // Fewer frames than selected: the file is truncated or corrupt, unless only the very last selected
    // frame is missing and it was within two frames of the end (container frame counts can be off by one).
    const missing = p.indices.length - got;
    const lastIndex = p.indices.at(-1) ?? 0;
    if (missing > 1 || (missing === 1 && lastIndex < (info.frameCount ?? 0) - 2)) {
      throw new ReelsetError(
        'REELSET_E_BAD_MEDIA',
        `${path} is truncated or corrupt: ${got} of the ${p.indices.length} selected frames were decoded`,
      );
    }
    slots = Array.from({ length: t }, (_, k) => Math.min(k, got - 1));
    padded = t - got;
  } else if (p.kind === 'times') {
    let unmatched = 0;
    slots = p.times.map((target) => {
      const at = times.findIndex((x, i) => i < got && x >= target - 1e-6);
      if (at >= 0) return at;
      unmatched++;
      return got - 1;
    });
    // A target after the start of the last frame has no frame at or after it: it repeats the last frame
    // returned. For `fps` that is the clip running out (padding); for time segments, the final frame.
    padded = o.sampling === 'fps' ? unmatched : 0;
  } else if (got >= t) {
    slots = Array.from({ length: t }, (_, k) => (p.pick === 'first' ? k : Math.floor(((k + 0.5) * got) / t)));
  } else {
    slots = Array.from({ length: t }, (_, k) => Math.min(k, got - 1));
    padded = t - got;
  }
  if (padded > 0 && o.short === 'skip') shortClip(path, t - padded, t, o.sampling);
  let rgb: Uint8Array = new Uint8Array(stdout.buffer, stdout.byteOffset, got * frameBytes);
  const identity = got === t && slots.every((s, k) => s === k);
  if (!identity) {
    const gathered = new Uint8Array(t * frameBytes);
    slots.forEach((s, k) => {
      gathered.set(rgb.subarray(s * frameBytes, (s + 1) * frameBytes), k * frameBytes);
    });
    rgb = gathered;
  }
  const format: PixelFormat = o;
  const data = convertPixels(rgb, t, o.height, o.width, format);
  const shape: [number, number, number, number] =
    o.layout === 'channels-last' ? [t, o.height, o.width, 3] : [t, 3, o.height, o.width];
  return { data, shape, layout: o.layout, timesSec: slots.map((s) => times[s] as number), padded };
}
