/**
 * @module video.bench — 8 frames from a 15 s 640x360 23.976 fps H.264 clip (long GOP): reelset's
 * `decodeVideo` against one ffmpeg command line and Python OpenCV; keyframes, skip-loop-filter and threads
 * variants; clip metadata from the MP4's boxes against ffprobe (probe and end to end); a soak of many decodes checking that no ffmpeg child is left and memory stays flat.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { runFfmpeg, toolPath } from '../src/loaders/decode/ffmpeg.js';
import { readMp4VideoTrack } from '../src/loaders/decode/mp4-boxes.js';
import { prunedStream } from '../src/loaders/decode/pruned-stream.js';
import {
  decodeVideo,
  decodeVideoWithProbe,
  probeVideo,
  probeVideoWithFfprobe,
  type VideoOptions,
} from '../src/loaders/decode/video.js';
import { FFMPEG_QUIET, lavfiInput } from '../src/synth/video.js';
import { forEachLimit } from '../src/util/concurrency.js';
import {
  alternate,
  type BenchResult,
  hasCommand,
  median,
  realLikeClipArgs,
  result,
  runPeer,
  timed,
} from './harness.js';

const RUNS = 7;
const PYTHON = '/usr/bin/python3';
const SOAK_CLIPS = Number(process.env.REELSET_SOAK_CLIPS ?? 10_000);

/**
 * OpenCV, two ways: `seek` (the common idiom: set CAP_PROP_POS_FRAMES then read, per frame) or `grab`
 * (decode once: grab every frame up to the last wanted, retrieve the wanted ones); then resize, RGB.
 */
const OPENCV = `
import cv2, json, sys, time
import numpy as np
path, wanted, reps, mode = sys.argv[1], [int(x) for x in sys.argv[2].split(',')], int(sys.argv[3]), sys.argv[4]
times = []
for _ in range(reps):
    start = time.perf_counter()
    cap = cv2.VideoCapture(path)
    frames, last, i = [], max(wanted), 0
    if mode == 'seek':
        for index in wanted:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = cap.read()
            frame = cv2.resize(frame, (112, 112), interpolation=cv2.INTER_LINEAR)
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        last = -1
    want = set(wanted)
    while i <= last:
        if not cap.grab():
            break
        if i in want:
            ok, frame = cap.retrieve()
            frame = cv2.resize(frame, (112, 112), interpolation=cv2.INTER_LINEAR)
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        i += 1
    cap.release()
    batch = np.stack(frames)
    times.append(time.perf_counter() - start)
print(json.dumps({'times': times, 'shape': list(batch.shape), 'cv2': cv2.__version__}))
`;

function fmt(values: readonly number[]): string {
  return values.map((v) => v.toFixed(3)).join(', ');
}

/** ffmpeg / ffprobe children of this process (from /proc; tsx's esbuild service is a child too). */
function childCount(): number {
  let count = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && /ff(mpeg|probe)/.test(stat.slice(0, stat.lastIndexOf(')')))) count++;
    } catch {
      // ended meanwhile
    }
  }
  return count;
}

/** CPU seconds used so far by this process and its reaped children (/proc/self/stat, 100 ticks a second). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (i: number): number => Number(fields[i - 3]);
  return ticks(14) / 100 + ticks(15) / 100 + ticks(16) / 100 + ticks(17) / 100;
}

/** CPU seconds (self and children) of one decode. */
async function cpuDecode(path: string, options: VideoOptions): Promise<number> {
  const start = cpuSeconds();
  await decodeVideo(path, options);
  return cpuSeconds() - start;
}

/**
 * Runs reelset's `mine` and the peer's `theirs` alternately, RUNS times each, and compares their medians,
 * lower being better (ratio = peer / reelset); `notes` gets every figure of both.
 */
async function versus(
  row: { name: string; goal: number },
  mine: () => Promise<number>,
  theirs: () => Promise<number>,
  notes: (runs: { a: number[]; b: number[] }) => string,
): Promise<BenchResult> {
  const runs = await alternate(RUNS, mine, theirs);
  const reelset = median(runs.a);
  const peer = median(runs.b);
  return result({ ...row, reelset, peer, ratio: peer / reelset, unit: 's', notes: notes(runs) });
}

/** A row of CPU seconds a clip, lower being better: ratio = the peer's median over reelset's (runs a). */
function cpuRow(name: string, goal: number, runs: { a: number[]; b: number[] }, notes: string): BenchResult {
  const reelset = median(runs.a);
  const peer = median(runs.b);
  return result({ name, reelset, peer, ratio: peer / reelset, goal, unit: 'cpu s', notes });
}

/** Mean absolute difference of two frame buffers (0-255). */
function meanDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** CPU seconds (self and children) of one decode through ffmpeg's demuxer ({@link decodeVideoWithProbe}). */
async function cpuDecodeDemuxed(path: string, options: VideoOptions): Promise<number> {
  const start = cpuSeconds();
  await decodeVideoWithProbe(probeVideo, path, options);
  return cpuSeconds() - start;
}

/** Exact frames: the pruned stream (decodeVideo) against the demuxed file, in CPU a clip; bytes compared. */
async function cpuVersus(
  clip: string,
  base: VideoOptions,
  reference: ArrayLike<number>,
  frames: number[],
): Promise<BenchResult> {
  const runs = await alternate(
    RUNS,
    () => cpuDecode(clip, base),
    () => cpuDecodeDemuxed(clip, base),
  );
  const demuxed = await decodeVideoWithProbe(probeVideo, clip, base);
  const track = await readMp4VideoTrack(clip);
  const pruned = track && (await prunedStream(clip, track, frames));
  return cpuRow(
    'video: exact frames, the stream without unreferenced frames vs the demuxed file (CPU)',
    1.2,
    runs,
    `ratio = demuxed-file CPU s / pruned-stream CPU s a clip (process + reaped children, 10 ms ticks), medians of ${RUNS} ` +
      `alternating runs; the stream keeps ${pruned?.decoded} frames and leaves out ${pruned?.dropped} (up to the last ` +
      `wanted frame); mean pixel difference ${meanDifference(demuxed.data, reference).toFixed(3)} (0 = bit-exact). ` +
      `pruned [${fmt(runs.a)}], demuxed [${fmt(runs.b)}]`,
  );
}

/** Opt-in `accuracy: 'nearest-reference'` against exact frames (both pruned): CPU, and what it costs in pixels. */
async function nearestVersusExact(
  clip: string,
  base: VideoOptions,
  reference: ArrayLike<number>,
): Promise<BenchResult> {
  const nearestOptions: VideoOptions = { ...base, accuracy: 'nearest-reference' };
  const runs = await alternate(
    RUNS,
    () => cpuDecode(clip, nearestOptions),
    () => cpuDecode(clip, base),
  );
  const nearest = await decodeVideo(clip, nearestOptions);
  const exact = await decodeVideo(clip, base);
  const moved = nearest.timesSec.filter((t, k) => t !== exact.timesSec[k]).length;
  return cpuRow(
    "video: accuracy 'nearest-reference' vs exact (CPU, both reelset)",
    0,
    runs,
    `reported, no goal: ratio = exact CPU s / nearest-reference CPU s a clip, medians of ${RUNS} alternating runs; ` +
      `${moved} of ${exact.timesSec.length} frames moved to the next reference frame, mean pixel difference ` +
      `${meanDifference(nearest.data, reference).toFixed(2)} (0-255). nearest [${fmt(runs.a)}], exact [${fmt(runs.b)}]`,
  );
}

async function timeDecode(path: string, options: VideoOptions): Promise<number> {
  return (await timed(() => decodeVideo(path, options))).seconds;
}

export default async function bench(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(os.tmpdir(), 'reelset-bench-video-'));
  try {
    const clip = join(dir, 'clip.mp4');
    // 15.4 s, 369 frames, about 0.8 Mbit/s like the real clips; keyint 250 (2 keyframes), faststart.
    await runFfmpeg(realLikeClipArgs(369, clip));
    const info = await probeVideo(clip);
    const base: VideoOptions = { frames: 8, height: 112, width: 112, sampling: 'uniform' };
    const reference = await decodeVideo(clip, base);
    const wanted = reference.timesSec.map((t) => Math.round((t * info.frameRate.num) / info.frameRate.den));
    const select = wanted.map((i) => `eq(n\\,${i})`).join('+');
    const ffmpegArgs = (threads: string): string[] => [
      ...FFMPEG_QUIET,
      '-threads',
      threads,
      '-i',
      clip,
      '-an',
      '-vf',
      `select=${select},scale=112:112:flags=bilinear`,
      '-vsync',
      '0',
      '-frames:v',
      '8',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ];
    const ffmpeg = toolPath('ffmpeg');
    const peerRun = async (threads: string): Promise<number> => {
      const run = await runPeer(ffmpeg, ffmpegArgs(threads));
      if (run.stdout.length === 0) throw new Error('ffmpeg peer wrote nothing');
      return run.wallSec;
    };
    // Check the peer returns the same bytes as reelset.
    const peerBytes = (await runFfmpeg(ffmpegArgs('1'))).stdout;
    const same = Buffer.compare(peerBytes, Buffer.from(reference.data)) === 0;
    await timeDecode(clip, base); // warm caches
    const rows: BenchResult[] = [];
    const clipNote = `clip: 640x360 24000/1001 fps H.264 0.8 Mbit/s, ${info.frameCount} frames, -g 250; frames ${wanted.join(',')}`;

    // (1) against one ffmpeg command line, same thread count (1).
    const vsFfmpeg = await versus(
      { name: 'video: 8 uniform frames 112x112 vs ffmpeg CLI (threads 1)', goal: 0.87 },
      () => timeDecode(clip, base),
      () => peerRun('1'),
      ({ a, b }) =>
        `ratio = ffmpeg s / reelset s (goal reelset/ffmpeg <= 1.15, i.e. ratio >= 0.87). reelset = probeVideo ` +
        `(the MP4's boxes) + the H.264 stream without the frames nothing refers to on ffmpeg's stdin (select by n, ` +
        `scale) + convert; peer = one ffmpeg command on the file with the indices precomputed, spawn-to-exit wall. ` +
        `Identical bytes: ${same}. reelset runs [${fmt(a)}], ` +
        `ffmpeg [${fmt(b)}]. ${clipNote}`,
    );
    rows.push(vsFfmpeg);

    // (1b) threads: reelset threads 0 (ffmpeg's choice) vs ffmpeg default threads.
    rows.push(
      await versus(
        { name: 'video: same, threads 0 (auto) on both', goal: 0.87 },
        () => timeDecode(clip, { ...base, threads: 0 }),
        () => peerRun('0'),
        ({ a, b }) =>
          `ratio = ffmpeg s / reelset s. reelset threads 1 median above: ${vsFfmpeg.reelset.toFixed(3)} s; with threads 0 a single clip is faster in wall time but uses more CPU; a pool of clips wants threads 1. reelset [${fmt(a)}], ffmpeg [${fmt(b)}]`,
      ),
    );

    // (2) against Python OpenCV: seeking each frame (goal), and decoding once with grab() (for reference).
    if (await hasCommand(PYTHON)) {
      const script = join(dir, 'opencv_peer.py');
      await writeFile(script, OPENCV);
      const reps = 3;
      for (const mode of ['seek', 'grab'] as const) {
        const walls: number[] = [];
        let shape = '';
        let version = '';
        const how =
          mode === 'seek'
            ? 'cap.set(CAP_PROP_POS_FRAMES, i) + read() per wanted frame (the common idiom)'
            : 'grab() each frame up to the last wanted, retrieve() the wanted (decode once)';
        const vsCv = await versus(
          {
            name: `video: 8 uniform frames 112x112 vs Python OpenCV (${mode})`,
            goal: mode === 'seek' ? 1.5 : 1,
          },
          async () => {
            const times: number[] = [];
            for (let i = 0; i < reps; i++) times.push(await timeDecode(clip, base));
            return median(times);
          },
          async () => {
            const run = await runPeer(PYTHON, [script, clip, wanted.join(','), String(reps), mode]);
            const out = JSON.parse(run.stdout) as { times: number[]; shape: number[]; cv2: string };
            walls.push(run.wallSec);
            shape = out.shape.join('x');
            version = out.cv2;
            return median(out.times);
          },
          ({ a, b }) =>
            `ratio = OpenCV s / reelset s. OpenCV ${version} (Debian python3-opencv, FFmpeg backend with its ` +
            `own decoder threads; reelset runs 1 thread): ${how}, resize INTER_LINEAR, BGR2RGB, np.stack ` +
            `(${shape}); time inside the process, median of ${reps} per process; python process walls (incl. ` +
            `import cv2) [${fmt(walls)}]. reelset [${fmt(a)}], opencv [${fmt(b)}]`,
        );
        rows.push(vsCv);
      }
    }

    // (3) keyframes mode against uniform.
    const key = await decodeVideo(clip, { ...base, sampling: 'keyframes' });
    rows.push(
      await versus(
        { name: 'video: keyframes mode vs uniform (both reelset)', goal: 1 },
        () => timeDecode(clip, { ...base, sampling: 'keyframes' }),
        () => timeDecode(clip, base),
        ({ a, b }) =>
          `ratio = uniform s / keyframes s. keyframes mode returns ${8 - key.padded} distinct frames ` +
          `(at ${fmt(key.timesSec.slice(0, 8 - key.padded))} s), padded ${key.padded} to 8: with long GOPs ` +
          `it is fast but nearly useless for sampling. keyframes [${fmt(a)}], uniform [${fmt(b)}]`,
      ),
    );

    // (4) skipLoopFilter gain, in CPU seconds (self + ffmpeg children): robust to other load on the machine.
    const vsLoop = await alternate(
      RUNS,
      () => cpuDecode(clip, { ...base, skipLoopFilter: true }),
      () => cpuDecode(clip, base),
    );
    const loopFrames = await decodeVideo(clip, { ...base, skipLoopFilter: true });
    rows.push(
      cpuRow(
        'video: skipLoopFilter vs default, CPU (both reelset)',
        1.1,
        vsLoop,
        `ratio = default CPU s / skip_loop_filter CPU s (process + reaped children, 10 ms ticks); mean absolute pixel difference ${meanDifference(loopFrames.data, reference.data).toFixed(2)} ` +
          `(0-255). skip [${fmt(vsLoop.a)}], default [${fmt(vsLoop.b)}]`,
      ),
    );

    // (4b) clip metadata from the MP4's own boxes against an ffprobe process: one probe, then end to end.
    const probeBlock = async (probe: typeof probeVideo): Promise<{ wall: number; cpu: number }> => {
      const cpu0 = cpuSeconds();
      const { seconds } = await timed(async () => {
        for (let i = 0; i < 20; i++) await probe(clip);
      });
      return { wall: seconds / 20, cpu: (cpuSeconds() - cpu0) / 20 };
    };
    const probes = await alternate(
      RUNS,
      () => probeBlock(probeVideo),
      () => probeBlock(probeVideoWithFfprobe),
    );
    const ms = (runs: { wall: number; cpu: number }[], key: 'wall' | 'cpu'): number =>
      median(runs.map((r) => r[key])) * 1000;
    rows.push(
      result({
        name: 'video: probe, MP4 boxes vs ffprobe (wall)',
        reelset: ms(probes.a, 'wall'),
        peer: ms(probes.b, 'wall'),
        ratio: ms(probes.b, 'wall') / ms(probes.a, 'wall'),
        goal: 5,
        unit: 'ms',
        notes:
          `ratio = ffprobe ms / boxes ms, medians of ${RUNS} alternating blocks of 20 probeVideo calls (boxes) and ` +
          `probeVideoWithFfprobe calls; CPU a probe (self + children, 10 ms ticks over 20 calls): boxes ` +
          `${ms(probes.a, 'cpu').toFixed(2)} ms, ffprobe ${ms(probes.b, 'cpu').toFixed(2)} ms`,
      }),
    );
    const many = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const copy = join(dir, `copy-${i}.mp4`);
        await copyFile(clip, copy);
        return copy;
      }),
    );
    const pass = async (boxes: boolean): Promise<{ rate: number; cpu: number }> => {
      const cpu0 = cpuSeconds();
      const { seconds } = await timed(() =>
        forEachLimit(many, 2, async (p) => {
          // Both through ffmpeg's demuxer, so that the row measures the probe alone (the next row the stream).
          await decodeVideoWithProbe(boxes ? probeVideo : probeVideoWithFfprobe, p, base);
        }),
      );
      return { rate: many.length / seconds, cpu: (cpuSeconds() - cpu0) / many.length };
    };
    const passes = await alternate(
      RUNS,
      () => pass(true),
      () => pass(false),
    );
    const rate = (runs: { rate: number }[]): number => median(runs.map((r) => r.rate));
    const cpuOf = (runs: { cpu: number }[]): number => median(runs.map((r) => r.cpu));
    rows.push(
      result({
        name: 'video: decodeVideo x16 at concurrency 2, MP4 boxes vs ffprobe',
        reelset: rate(passes.a),
        peer: rate(passes.b),
        ratio: rate(passes.a) / rate(passes.b),
        goal: 1,
        unit: 'clips/s',
        notes:
          `ratio = clips/s with the box reader / with ffprobe, medians of ${RUNS} alternating passes over 16 copies ` +
          `of the clip (8 uniform frames 112x112); CPU a clip (self + children): boxes ${cpuOf(passes.a).toFixed(3)} s, ` +
          `ffprobe ${cpuOf(passes.b).toFixed(3)} s. boxes [${fmt(passes.a.map((r) => r.rate))}], ffprobe ` +
          `[${fmt(passes.b.map((r) => r.rate))}]`,
      }),
    );

    // (4c) exact frames from the pruned stream against the demuxed file, then the nearest references.
    rows.push(await cpuVersus(clip, base, reference.data, wanted));
    rows.push(await nearestVersusExact(clip, base, reference.data));

    // (5) soak: many decodes of a small clip, bounded concurrency; no child left, memory flat.
    const small = join(dir, 'small.mp4');
    await runFfmpeg([
      ...FFMPEG_QUIET,
      ...lavfiInput('testsrc2=s=128x72:r=24000/1001'),
      '-frames:v',
      '12',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      small,
    ]);
    const concurrency = Math.max(2, os.availableParallelism());
    let next = 0;
    let maxChildren = 0;
    const rss: number[] = [];
    const soak = await timed(async () => {
      const worker = async (): Promise<void> => {
        while (next < SOAK_CLIPS) {
          const i = next++;
          await decodeVideo(small, { frames: 4, height: 32, width: 32 });
          if (i % 500 === 0) {
            maxChildren = Math.max(maxChildren, childCount());
            rss.push(process.memoryUsage().rss / 2 ** 20);
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    });
    const left = childCount();
    const growth = rss.length > 2 ? (rss.at(-1) as number) - (rss[1] as number) : 0;
    const flat = left === 0 && growth < 64;
    rows.push(
      result({
        name: `video: soak, ${SOAK_CLIPS} decodes, ffmpeg children left`,
        reelset: left,
        peer: 0,
        ratio: flat ? 1 : 0,
        goal: 1,
        unit: 'processes',
        notes:
          `ratio 1 when no child process remains and RSS grew < 64 MiB after warm-up. ${SOAK_CLIPS} decodes ` +
          `(12-frame 128x72 clip, 4 frames 32x32), concurrency ${concurrency}, ${(SOAK_CLIPS / soak.seconds).toFixed(1)} ` +
          `clips/s; max children seen ${maxChildren}; RSS MiB every 500 [${rss.map((v) => v.toFixed(0)).join(', ')}]`,
      }),
    );
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
