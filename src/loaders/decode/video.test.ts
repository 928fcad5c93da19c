import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { writeBadMedia } from '../../synth/bad-media.js';
import { H264_ARGS, FFMPEG_QUIET as QUIET, writeVideo } from '../../synth/video.js';
import { runFfmpeg } from './ffmpeg.js';
import {
  decodeVideo,
  probeVideo,
  resolveVideoOptions,
  SEED_VIDEO_OPTIONS,
  type VideoFrames,
  type VideoOptions,
} from './video.js';

const PERIOD = 1001 / 24000;
/** Frame N has luma 16 + 2N, flat: its index can be read back from any pixel. */
const COUNTER = "color=c=black:s=32x32:r=24000/1001,format=yuv420p,geq=lum='16+2*N':cb=128:cr=128";
/** The synthesizer's H.264 options, lossless. */
const LOSSLESS = [...H264_ARGS, '-qp', '0'];

let dir = '';
const clip = (name: string): string => join(dir, name);

/** The RGB24 bytes of every frame of a clip through the filter `vf`, decoded by a plain ffmpeg command. */
async function plainRgb(path: string, vf: string): Promise<Buffer> {
  const args = ['-i', path, '-vf', vf, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return (await runFfmpeg([...QUIET, ...args])).stdout;
}

/** The red value of each frame of counter.mp4 at a size, decoded by a plain ffmpeg command. */
const reds = new Map<string, number[]>();

/** The source frame index of each returned frame, from its red value (uint8, RGB, channels-last). */
async function indices(frames: VideoFrames): Promise<number[]> {
  const [t, h, w] = frames.shape;
  let table = reds.get(`${h}x${w}`);
  if (!table) {
    const stdout = await plainRgb(clip('counter.mp4'), `scale=${w}:${h}:flags=bilinear`);
    table = Array.from({ length: 96 }, (_, n) => stdout[n * h * w * 3] as number);
    expect(new Set(table).size).toBe(96);
    reds.set(`${h}x${w}`, table);
  }
  const ref = table;
  return Array.from({ length: t }, (_, k) => ref.indexOf(frames.data[k * h * w * 3] as number));
}

async function counterClip(path: string, frames: number, extra: string[] = []): Promise<void> {
  await runFfmpeg([
    ...QUIET,
    '-f',
    'lavfi',
    '-i',
    COUNTER,
    '-frames:v',
    String(frames),
    ...LOSSLESS,
    '-g',
    '24',
    '-sc_threshold',
    '0',
    ...extra,
    path,
  ]);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  return isReelsetError(err) ? err.code : String(err);
}

/** Ids of the processes whose parent is this process (from /proc). */
function childPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-video-'));
  await Promise.all([
    counterClip(clip('counter.mp4'), 96, ['-movflags', '+faststart']),
    counterClip(clip('long.mp4'), 96 * 4, ['-movflags', '+faststart']),
    // Frame N at (N + 2 floor(N / 3)) / 24 s: gaps of 1, 1 and 3 periods of 1/24 s.
    runFfmpeg([
      ...QUIET,
      '-f',
      'lavfi',
      '-i',
      "color=c=black:s=32x32:r=24,format=yuv420p,geq=lum='16+2*N':cb=128:cr=128",
      '-vf',
      "setpts='(N+2*floor(N/3))/24/TB'",
      '-vsync',
      'vfr',
      '-frames:v',
      '48',
      ...LOSSLESS,
      clip('vfr.mp4'),
    ]),
    // Left half white, right half black, 64x32, then a 90-degree rotation tag.
    runFfmpeg([
      ...QUIET,
      '-f',
      'lavfi',
      '-i',
      "color=c=black:s=64x32:r=24,format=yuv420p,geq=lum='if(lt(X,W/2),235,16)':cb=128:cr=128",
      '-frames:v',
      '12',
      ...LOSSLESS,
      clip('plain.mp4'),
    ]).then(() =>
      runFfmpeg([
        ...QUIET,
        '-i',
        clip('plain.mp4'),
        '-c',
        'copy',
        '-metadata:s:v:0',
        'rotate=90',
        clip('rotated.mp4'),
      ]),
    ),
    counterClip(clip('one.mp4'), 1),
    runFfmpeg([...QUIET, '-f', 'lavfi', '-i', 'sine=d=0.5', '-c:a', 'aac', clip('audio.mp4')]),
    writeFile(clip('text.mp4'), 'not a video\n'),
    writeFile(clip('empty.mp4'), ''),
    writeVideo(8, 1, 0.5, clip('synth.mp4')),
  ]);
  const long = await readFile(clip('long.mp4'));
  await writeFile(clip('truncated.mp4'), long.subarray(0, Math.floor(long.length * 0.4)));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveVideoOptions', () => {
  it('fills the defaults', () => {
    expect(resolveVideoOptions()).toEqual(resolveVideoOptions(true));
    expect(resolveVideoOptions({ frames: 4, seed: undefined })).toMatchObject({
      frames: 4,
      height: 112,
      width: 112,
      sampling: 'uniform',
      channels: 'rgb',
      dtype: 'uint8',
      normalize: 'none',
      layout: 'channels-last',
      seed: 0,
      short: 'pad',
      skipLoopFilter: false,
      accuracy: 'exact',
      threads: 1,
    });
  });

  it.each<[string, unknown]>([
    ['frames 0', { frames: 0 }],
    ['frames 2.5', { frames: 2.5 }],
    ['height -1', { height: -1 }],
    ['unknown sampling', { sampling: 'middle' }],
    ['fps 0', { sampling: 'fps', fps: 0 }],
    ['seed 0.5', { seed: 0.5 }],
    ['short drop', { short: 'drop' }],
    ['timeoutMs 0', { timeoutMs: 0 }],
    ['uint8 normalized', { normalize: 'unit' }],
    ['unknown key', { frame: 8 }],
    ['accuracy fast', { accuracy: 'fast' }],
  ])('refuses %s', (_name, options) => {
    expect(() => resolveVideoOptions(options as VideoOptions)).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
  });

  it("expresses compat 'seed': first 3 frames, 360x640, BGR, float32 0-255", () => {
    expect(resolveVideoOptions(SEED_VIDEO_OPTIONS)).toMatchObject({
      frames: 3,
      height: 360,
      width: 640,
      sampling: 'first',
      channels: 'bgr',
      dtype: 'float32',
      normalize: 'none',
    });
  });
});

describe('probeVideo', () => {
  it('reads duration, rational frame rate, frame count, size, codec', async () => {
    const info = await probeVideo(clip('counter.mp4'));
    expect(info).toEqual({
      durationSec: expect.closeTo(96 * PERIOD, 3),
      frameRate: { num: 24000, den: 1001 },
      frameCount: 96,
      width: 32,
      height: 32,
      rotation: 0,
      codec: 'h264',
      variableFrameRate: false,
    });
  });

  it('reports rotated clips with displayed (swapped) dimensions', async () => {
    const info = await probeVideo(clip('rotated.mp4'));
    expect([90, 270]).toContain(info.rotation);
    expect([info.width, info.height]).toEqual([32, 64]);
  });

  it('flags variable frame rate', async () => {
    const info = await probeVideo(clip('vfr.mp4'));
    expect(info.variableFrameRate).toBe(true);
    expect(info.frameCount).toBe(48);
  });

  it.each([
    ['audio.mp4', 'REELSET_E_NO_VIDEO'],
    ['text.mp4', 'REELSET_E_BAD_MEDIA'],
    ['empty.mp4', 'REELSET_E_BAD_MEDIA'],
    ['missing.mp4', 'REELSET_E_NOT_FOUND'],
  ])('%s: %s', async (name, code) => {
    expect(await codeOf(probeVideo(clip(name)))).toBe(code);
  });
});

describe('decodeVideo sampling', () => {
  const small = { height: 16, width: 16 } as const;

  it('first: the first T consecutive frames, with their times', async () => {
    const frames = await decodeVideo(clip('counter.mp4'), { ...small, sampling: 'first', frames: 5 });
    expect(frames.shape).toEqual([5, 16, 16, 3]);
    expect(await indices(frames)).toEqual([0, 1, 2, 3, 4]);
    frames.timesSec.forEach((t, k) => {
      expect(t).toBeCloseTo(k * PERIOD, 3);
    });
    expect(frames.padded).toBe(0);
  });

  it('uniform: the centre frame of each of T equal segments', async () => {
    const frames = await decodeVideo(clip('counter.mp4'), small);
    const expected = [6, 18, 30, 42, 54, 66, 78, 90];
    expect(await indices(frames)).toEqual(expected);
    expect(frames.timesSec.map((t) => Math.round(t / PERIOD))).toEqual(expected);
    frames.timesSec.forEach((t, k) => {
      expect(t).toBeCloseTo((expected[k] as number) * PERIOD, 3);
    });
  });

  it("accuracy 'nearest-reference': non-reference frames are not decoded, each choice moves to the next decoded frame", async () => {
    // The counter clip, lossy, with three non-reference B-frames between references.
    const path = clip('counter-b.mp4');
    const counter = COUNTER.replace("lum='16+2*N'", "lum='40+2*N'"); // away from black, which x264 may clip
    await runFfmpeg([
      ...QUIET,
      '-f',
      'lavfi',
      '-i',
      counter,
      '-frames:v',
      '96',
      ...H264_ARGS,
      '-crf',
      '12',
      '-g',
      '24',
      '-bf',
      '3',
      '-x264-params',
      'b-adapt=0:b-pyramid=none:scenecut=0', // three B-frames in every gap, none of them a reference
      path,
    ]);
    // A flat frame N has luma 40 + 2N: its red grows by 2 * 255 / 219 a frame, from frame 0's.
    const reds = async (input: string[]): Promise<number[]> => {
      const { stdout } = await runFfmpeg([
        ...QUIET,
        ...input,
        '-i',
        path,
        '-vf',
        'scale=8:8',
        '-vsync',
        '0',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ]);
      return Array.from({ length: stdout.length / 192 }, (_, k) => stdout[k * 192] as number);
    };
    const base = (await reds([]))[0] as number;
    const frameOf = (red: number): number => Math.round(((red - base) * 219) / 510);
    const rgb = async (input: string[]): Promise<number[]> => (await reds(input)).map(frameOf);
    expect(await rgb([])).toEqual(Array.from({ length: 96 }, (_, n) => n));
    const decoded = await rgb(['-skip_frame', 'noref']);
    expect(decoded.length).toBeLessThan(96); // some frames are not references
    const exact = [6, 18, 30, 42, 54, 66, 78, 90];
    const nearest = exact.map((i) => decoded.find((d) => d >= i));
    expect(nearest).not.toEqual(exact); // some chosen frames are skipped: the case is not trivial
    const frames = await decodeVideo(path, { height: 8, width: 8, accuracy: 'nearest-reference' });
    const got = Array.from({ length: 8 }, (_, k) => frameOf(frames.data[k * 192] as number));
    expect(got).toEqual(nearest);
    expect(frames.timesSec.map((t) => Math.round(t / PERIOD))).toEqual(nearest);
    const exactFrames = await decodeVideo(path, { height: 8, width: 8 });
    expect(Array.from({ length: 8 }, (_, k) => frameOf(exactFrames.data[k * 192] as number))).toEqual(exact);
  });

  it('uniform frames are pixel-identical to decoding that frame alone', async () => {
    const frames = await decodeVideo(clip('synth.mp4'), { frames: 4 });
    const stdout = await plainRgb(
      clip('synth.mp4'),
      String.raw`select=eq(n\,7),scale=112:112:flags=bilinear`,
    );
    // 12 frames, 4 segments of 3: centres 1, 4, 7, 10.
    expect(frames.timesSec[2]).toBeCloseTo(7 * PERIOD, 3);
    const size = 112 * 112 * 3;
    expect(Buffer.from(frames.data.subarray(2 * size, 3 * size))).toEqual(stdout);
  });

  it('random: one frame inside each segment, deterministic for (seed, key)', async () => {
    const path = clip('counter.mp4');
    const a = await decodeVideo(path, { ...small, sampling: 'random', seed: 3 }, { key: 'id-1' });
    const again = await decodeVideo(path, { ...small, sampling: 'random', seed: 3 }, { key: 'id-1' });
    const otherKey = await decodeVideo(path, { ...small, sampling: 'random', seed: 3 }, { key: 'id-2' });
    const otherSeed = await decodeVideo(path, { ...small, sampling: 'random', seed: 4 }, { key: 'id-1' });
    const got = await indices(a);
    got.forEach((i, k) => {
      expect(i).toBeGreaterThanOrEqual(12 * k);
      expect(i).toBeLessThan(12 * (k + 1));
    });
    expect(await indices(again)).toEqual(got);
    expect(await indices(otherKey)).not.toEqual(got);
    expect(await indices(otherSeed)).not.toEqual(got);
    expect(a.timesSec.map((t) => Math.round(t / PERIOD))).toEqual(got);
  });

  it('keyframes: only keyframes, spread over T, padded when fewer', async () => {
    const two = await decodeVideo(clip('counter.mp4'), { ...small, sampling: 'keyframes', frames: 2 });
    expect(await indices(two)).toEqual([24, 72]); // keyframes 0, 24, 48, 72
    const eight = await decodeVideo(clip('counter.mp4'), { ...small, sampling: 'keyframes' });
    expect(await indices(eight)).toEqual([0, 24, 48, 72, 72, 72, 72, 72]);
    expect(eight.padded).toBe(4);
    expect(eight.timesSec[1]).toBeCloseTo(24 * PERIOD, 3);
    const skip = decodeVideo(clip('counter.mp4'), { ...small, sampling: 'keyframes', short: 'skip' });
    expect(await codeOf(skip)).toBe('REELSET_E_SHORT_CLIP');
  });

  it('fps: T frames 1/fps apart from the start; past the end is padding', async () => {
    const frames = await decodeVideo(clip('counter.mp4'), { ...small, sampling: 'fps', fps: 2, frames: 4 });
    expect(await indices(frames)).toEqual([0, 12, 24, 36]); // first frame at or after 0, 0.5, 1, 1.5 s
    expect(frames.timesSec[1]).toBeCloseTo(12 * PERIOD, 3);
    const long = await decodeVideo(clip('counter.mp4'), { ...small, sampling: 'fps', fps: 1, frames: 6 });
    // No frame starts at or after 4 s or 5 s (the last starts at 3.96 s): those repeat the last returned.
    expect(await indices(long)).toEqual([0, 24, 48, 72, 72, 72]);
    expect(long.padded).toBe(2);
  });

  it('variable frame rate: segments of time, the first frame at or after each target', async () => {
    const info = await probeVideo(clip('vfr.mp4'));
    const times = Array.from({ length: 48 }, (_, n) => (n + 2 * Math.floor(n / 3)) / 24);
    const frames = await decodeVideo(clip('vfr.mp4'), { ...small, frames: 4 });
    const expected = [0, 1, 2, 3].map((k) => {
      const target = ((k + 0.5) * info.durationSec) / 4;
      return times.findIndex((t) => t >= target - 1e-6);
    });
    expect(await indices(frames)).toEqual(expected);
    frames.timesSec.forEach((t, k) => {
      expect(t).toBeCloseTo(times[expected[k] as number] as number, 3);
    });
  });
});

describe('decodeVideo formats', () => {
  it('channels, dtype, normalize and layout go through convertPixels', async () => {
    const base = { frames: 2, height: 8, width: 6 } as const;
    const rgb = await decodeVideo(clip('synth.mp4'), base);
    const chw = await decodeVideo(clip('synth.mp4'), {
      ...base,
      channels: 'bgr',
      dtype: 'float32',
      normalize: 'unit',
      layout: 'channels-first',
    });
    expect(chw.shape).toEqual([2, 3, 8, 6]);
    expect(chw.data).toBeInstanceOf(Float32Array);
    const px = 8 * 6;
    // frame 1, B plane (channel 0 of BGR), pixel 5 = RGB byte 2 of pixel 5 of frame 1.
    expect(chw.data[1 * 3 * px + 0 * px + 5]).toBeCloseTo((rgb.data[(px + 5) * 3 + 2] as number) / 255, 6);
    expect(chw.timesSec).toEqual(rgb.timesSec);
  });

  it("compat 'seed': first 3 frames at 360x640, BGR, float32 0-255", async () => {
    const seed = await decodeVideo(clip('synth.mp4'), SEED_VIDEO_OPTIONS);
    const rgb = await decodeVideo(clip('synth.mp4'), {
      frames: 3,
      height: 360,
      width: 640,
      sampling: 'first',
    });
    expect(seed.shape).toEqual([3, 360, 640, 3]);
    expect(seed.data).toBeInstanceOf(Float32Array);
    expect(seed.timesSec.map((t) => Math.round(t / PERIOD))).toEqual([0, 1, 2]);
    for (const p of [0, 999, 360 * 640 * 3 - 3]) {
      expect([seed.data[p], seed.data[p + 1], seed.data[p + 2]]).toEqual([
        rgb.data[p + 2],
        rgb.data[p + 1],
        rgb.data[p],
      ]);
    }
  });
});

describe('decodeVideo edge cases', () => {
  it('rotation: frames come out rotated (the white left half becomes the top or bottom)', async () => {
    const frames = await decodeVideo(clip('rotated.mp4'), { frames: 1, height: 64, width: 32 });
    const at = (y: number, x: number): number => frames.data[(y * 32 + x) * 3] as number;
    expect(Math.abs(at(5, 16) - at(58, 16))).toBeGreaterThan(200); // top vs bottom differ
    expect(Math.abs(at(5, 3) - at(5, 28))).toBeLessThan(10); // left vs right alike
  });

  it('a single-frame clip is padded by repeating it, or skipped with a typed error', async () => {
    const frames = await decodeVideo(clip('one.mp4'), { height: 16, width: 16 });
    expect(frames.shape).toEqual([8, 16, 16, 3]);
    expect(frames.padded).toBe(7);
    expect(await indices(frames)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(frames.timesSec).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await codeOf(decodeVideo(clip('one.mp4'), { short: 'skip' }))).toBe('REELSET_E_SHORT_CLIP');
  });

  it('a clip shorter than T under uniform sampling is padded with its last frame', async () => {
    const frames = await decodeVideo(clip('counter.mp4'), { frames: 100, height: 4, width: 4 });
    expect(frames.padded).toBe(4);
    expect((await indices(frames)).slice(94)).toEqual([94, 95, 95, 95, 95, 95]);
  });

  it.each([
    ['audio.mp4', 'REELSET_E_NO_VIDEO'],
    ['text.mp4', 'REELSET_E_BAD_MEDIA'],
    ['empty.mp4', 'REELSET_E_BAD_MEDIA'],
    ['missing.mp4', 'REELSET_E_NOT_FOUND'],
    ['truncated.mp4', 'REELSET_E_BAD_MEDIA'],
  ])('%s: %s', async (name, code) => {
    expect(await codeOf(decodeVideo(clip(name), { height: 8, width: 8 }))).toBe(code);
  });

  it('the decodable start of a truncated clip still gives its first frames', async () => {
    const frames = await decodeVideo(clip('truncated.mp4'), { sampling: 'first', height: 8, width: 8 });
    expect(frames.padded).toBe(0);
  });

  it('the synthesizer bad-media corpus: each video kind decodes or gets its typed error', async () => {
    const files = await writeBadMedia(join(dir, 'bad'), {
      kinds: ['mp4-no-video', 'audio-only', 'text-as-mp4', 'vfr', 'rotated', 'one-frame'],
    });
    const outcome: Record<string, string> = {};
    for (const { kind, path } of files) {
      outcome[kind] = await decodeVideo(path, { height: 8, width: 8 }).then(
        (f) => `ok padded=${f.padded}`,
        (e: unknown) => (isReelsetError(e) ? e.code : String(e)),
      );
    }
    expect(outcome).toEqual({
      'mp4-no-video': 'REELSET_E_NO_VIDEO',
      'audio-only': 'REELSET_E_NO_VIDEO',
      'text-as-mp4': 'REELSET_E_BAD_MEDIA',
      vfr: 'ok padded=0',
      rotated: 'ok padded=0',
      'one-frame': 'ok padded=7',
    });
  });
});

describe('processes', () => {
  it('a timeout kills the process and throws REELSET_E_TIMEOUT', async () => {
    expect(await codeOf(decodeVideo(clip('long.mp4'), { timeoutMs: 1 }))).toBe('REELSET_E_TIMEOUT');
    expect(childPids()).toEqual([]);
  });

  it('300 decodes, 6 at a time, leave no child process behind', async () => {
    const paths = [clip('counter.mp4'), clip('one.mp4'), clip('text.mp4'), clip('vfr.mp4')];
    let next = 0;
    let ok = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      while (next < 300) {
        const i = next++;
        await decodeVideo(paths[i % paths.length] as string, { frames: 4, height: 8, width: 8 }).then(
          () => ok++,
          () => failed++,
        );
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect([ok, failed]).toEqual([225, 75]);
    expect(childPids()).toEqual([]);
  }, 60_000);
});
