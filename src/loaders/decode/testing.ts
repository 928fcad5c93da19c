/**
 * @module decode/testing — test support for the decoders' tests (not part of the package): a corpus of
 * MP4 clips that covers what the box reader reads (frame rates, rotations, B-frames, audio, odd sizes) and
 * what it leaves to ffprobe (fragmented, HEVC, variable frame rate, truncated).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBadMedia } from '../../synth/bad-media.js';
import { FFMPEG_QUIET, H264_ARGS, lavfiInput, writeVideo } from '../../synth/video.js';
import { runFfmpeg } from './ffmpeg.js';

/**
 * Encodes an H.264 clip of `frames` frames of testsrc2 at `rate` with x264's defaults (B-frames), then
 * `extra` options, to `path`.
 *
 * @example
 * ```ts
 * await encodeClip('/tmp/c.mp4', '24', 48, ['-g', '12']);
 * ```
 */
export function encodeClip(
  path: string,
  rate: string,
  frames: number,
  extra: string[] = [],
  size = '96x64',
): Promise<unknown> {
  return runFfmpeg([
    ...FFMPEG_QUIET,
    ...lavfiInput(`testsrc2=s=${size}:r=${rate}`),
    '-frames:v',
    String(frames),
    ...H264_ARGS,
    ...extra,
    path,
  ]);
}

/** Clips of {@link writeMp4Corpus} that the box reader reads itself (its VideoInfo must equal ffprobe's). */
export const READ_CLIPS = [
  'synth-0.5s.mp4',
  'synth-2s.mp4',
  'synth-3.7s.mp4',
  'bench-like.mp4',
  'moov-at-end-25.mp4',
  'ntsc-30000-1001.mp4',
  'no-bframes.mp4',
  'rotate-90.mp4',
  'rotate-180.mp4',
  'rotate-270.mp4',
  'with-audio.mp4',
  'one-frame.mp4',
  'long-gop.mp4',
  'baseline-98x66.mp4',
  'yuv444-98x66.mp4',
  'colr-bt709.mp4',
];

/** Clips of {@link writeMp4Corpus} that the box reader leaves to ffprobe. */
export const FALLBACK_CLIPS = [
  'fragmented.mp4',
  'hevc.mp4',
  'vfr.mp4',
  'truncated-mdat.mp4',
  'truncated-moov.mp4',
];

/**
 * Writes the clip corpus into `dir`: every name in {@link READ_CLIPS} and {@link FALLBACK_CLIPS}, and a `bad/`
 * folder of the synthesizer's bad media (variable frame rate, no video, audio only, text as MP4).
 *
 * @example
 * ```ts
 * await writeMp4Corpus(dir); // about 2 s
 * ```
 */
export async function writeMp4Corpus(dir: string): Promise<void> {
  const clip = (name: string): string => join(dir, name);
  const encode = (name: string, rate: string, frames: number, extra: string[] = [], size = '96x64') =>
    encodeClip(clip(name), rate, frames, extra, size);
  const remux = (from: string, name: string, extra: string[]) =>
    runFfmpeg([...FFMPEG_QUIET, '-i', clip(from), '-c', 'copy', ...extra, clip(name)]);
  await Promise.all([
    writeVideo(3, 11, 0.5, clip('synth-0.5s.mp4')),
    writeVideo(4, 12, 2, clip('synth-2s.mp4')),
    writeVideo(5, 13, 3.7, clip('synth-3.7s.mp4')),
    // 15 s at 23.976 fps, 2 keyframes, faststart, like the real clips (smaller frames, same structure).
    encode('bench-like.mp4', '24000/1001', 369, ['-g', '250', '-movflags', '+faststart'], '160x90'),
    encode('moov-at-end-25.mp4', '25', 100).then(() =>
      Promise.all(
        [90, 180, 270].map((r) =>
          remux('moov-at-end-25.mp4', `rotate-${r}.mp4`, ['-metadata:s:v:0', `rotate=${r}`]),
        ),
      ),
    ),
    encode('ntsc-30000-1001.mp4', '30000/1001', 77, ['-g', '30']),
    encode('no-bframes.mp4', '24', 30, ['-bf', '0']),
    encode('one-frame.mp4', '24', 1),
    // Sizes that are not whole macroblocks (SPS cropping), Baseline (no High fields) and 4:4:4 (crop unit 1).
    encode('baseline-98x66.mp4', '24', 24, ['-profile:v', 'baseline'], '98x66'),
    encode('yuv444-98x66.mp4', '24', 24, ['-pix_fmt', 'yuv444p'], '98x66'),
    encode('long-gop.mp4', '24', 120, ['-g', '40', '-sc_threshold', '0']),
    // A `colr` box, and the same colour in the SPS.
    encode('colr-bt709.mp4', '25', 40, [
      ...['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv'],
      ...['-movflags', '+write_colr'],
    ]),
    encode('fragmented.mp4', '25', 60, ['-movflags', 'frag_keyframe+empty_moov']),
    encode('hevc.mp4', '25', 10, ['-c:v', 'libx265', '-x265-params', 'log-level=none']),
    runFfmpeg([
      ...FFMPEG_QUIET,
      ...lavfiInput('testsrc2=s=96x64:r=25'),
      ...lavfiInput('sine=d=2'),
      '-frames:v',
      '50',
      ...H264_ARGS.filter((a) => a !== '-an'),
      '-c:a',
      'aac',
      '-shortest',
      clip('with-audio.mp4'),
    ]),
    writeBadMedia(join(dir, 'bad'), { kinds: ['vfr', 'mp4-no-video', 'audio-only', 'text-as-mp4'] }),
  ]);
  const vfr = (await readdir(join(dir, 'bad'), { recursive: true })).find(
    (f) => f.endsWith('.mp4') && f.includes('vfr'),
  );
  await writeFile(clip('vfr.mp4'), await readFile(join(dir, 'bad', vfr ?? 'no vfr clip in the corpus')));
  const long = await readFile(clip('bench-like.mp4'));
  await writeFile(clip('truncated-mdat.mp4'), long.subarray(0, Math.floor(long.length * 0.6)));
  const end = await readFile(clip('moov-at-end-25.mp4'));
  await writeFile(clip('truncated-moov.mp4'), end.subarray(0, end.length - 200));
}
