/**
 * @module badmedia — a corpus of broken or unusual media files for decoder tests: files whose content
 * disagrees with their name, clips without video, huge images, variable frame rate, rotation, one frame.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { runFfmpeg } from '../loaders/decode/ffmpeg.js';
import { COVER_HEIGHT, COVER_WIDTH, coverPixels } from './cover.js';
import { BITEXACT_ARGS, FFMPEG_QUIET, FRAME_RATE, H264_ARGS, lavfiInput, videoFilter } from './video.js';

/**
 * A kind of bad media file:
 * - `png-as-jpeg`: a 480x270 PNG named `.jpeg`;
 * - `mp4-no-video`: an MP4 with only an AAC audio track;
 * - `audio-only`: an MP3 file named `.mp4`;
 * - `text-as-mp4`: plain text named `.mp4`;
 * - `huge-jpeg`: a valid 20000x20000 grey baseline JPEG (400 Mpixels, about 1.5 MB), beyond the cover
 *   pipeline's default pixel limit (50 Mpixels);
 * - `vfr`: an H.264 clip of 24 frames whose durations vary (one, two or three 1001/24000 s periods);
 * - `rotated`: an H.264 640x360 clip with a 90-degree rotation in its metadata;
 * - `one-frame`: an H.264 clip of a single frame.
 *
 * @example
 * ```ts
 * const kind: BadMediaKind = 'png-as-jpeg';
 * ```
 */
export type BadMediaKind =
  | 'png-as-jpeg'
  | 'mp4-no-video'
  | 'audio-only'
  | 'text-as-mp4'
  | 'huge-jpeg'
  | 'vfr'
  | 'rotated'
  | 'one-frame';

/**
 * Every {@link BadMediaKind}.
 *
 * @example
 * ```ts
 * await writeBadMedia('/tmp/bad', { kinds: BAD_MEDIA_KINDS.filter((k) => k !== 'huge-jpeg') });
 * ```
 */
export const BAD_MEDIA_KINDS: readonly BadMediaKind[] = Object.freeze([
  'png-as-jpeg',
  'mp4-no-video',
  'audio-only',
  'text-as-mp4',
  'huge-jpeg',
  'vfr',
  'rotated',
  'one-frame',
]);

/**
 * One file written by {@link writeBadMedia}: its kind and absolute path (`<dir>/<kind>.jpeg` or `.mp4`).
 *
 * @example
 * ```ts
 * const file: BadMediaFile = { kind: 'one-frame', path: '/tmp/bad/one-frame.mp4' };
 * ```
 */
export interface BadMediaFile {
  kind: BadMediaKind;
  path: string;
}

/**
 * A valid baseline JPEG of `width` x `height` mid-grey pixels, built by hand: one component, a quantization
 * table of ones, and Huffman tables with a single 1-bit code each, so every 8x8 block costs 2 zero bits.
 * Fast to make at any size (20000x20000 is about 1.5 MB).
 *
 * @example
 * ```ts
 * const bomb = greyJpeg(20000, 20000);
 * ```
 */
export function greyJpeg(width: number, height: number): Buffer {
  const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
  const segment = (marker: number, body: number[]): number[] => [
    0xff,
    marker,
    ...u16(body.length + 2),
    ...body,
  ];
  const oneCodeTable = (tableClass: number): number[] => [
    (tableClass << 4) | 0,
    1,
    ...new Array<number>(15).fill(0),
    0,
  ];
  const header = [
    0xff,
    0xd8,
    ...segment(0xdb, [0, ...new Array<number>(64).fill(1)]),
    ...segment(0xc0, [8, ...u16(height), ...u16(width), 1, 1, 0x11, 0]),
    ...segment(0xc4, oneCodeTable(0)),
    ...segment(0xc4, oneCodeTable(1)),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
  ];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  // Each block: DC difference category 0 (code '0') then end-of-block (code '0'); pad with ones.
  const bits = blocks * 2;
  const data = Buffer.alloc(Math.ceil(bits / 8));
  const spare = data.length * 8 - bits;
  if (spare > 0) data[data.length - 1] = (1 << spare) - 1;
  return Buffer.concat([Buffer.from(header), data, Buffer.from([0xff, 0xd9])]);
}

/**
 * Writes the bad-media corpus into `dir` (created if needed), one file per kind: `<dir>/<kind>.jpeg` for
 * image kinds, `<dir>/<kind>.mp4` for the others. Deterministic for a seed (media from label `labelId`).
 *
 * @throws FfmpegError when an encode fails.
 * @example
 * ```ts
 * const files = await writeBadMedia('/tmp/bad-media', { kinds: ['vfr', 'rotated'] });
 * for (const { kind, path } of files) console.log(kind, path);
 * ```
 */
export async function writeBadMedia(
  dir: string,
  options: { kinds?: readonly BadMediaKind[]; seed?: number; labelId?: number } = {},
): Promise<BadMediaFile[]> {
  const root = resolve(dir);
  const seed = options.seed ?? 0;
  const labelId = options.labelId ?? 8;
  await mkdir(root, { recursive: true });
  const out: BadMediaFile[] = [];
  for (const kind of options.kinds ?? BAD_MEDIA_KINDS) {
    const path = join(root, `${kind}.${kind === 'png-as-jpeg' || kind === 'huge-jpeg' ? 'jpeg' : 'mp4'}`);
    const lavfi = lavfiInput(videoFilter(labelId, seed));
    const beep = lavfiInput('sine=frequency=440:duration=1');
    switch (kind) {
      case 'png-as-jpeg':
        await sharp(coverPixels(labelId, seed), {
          raw: { width: COVER_WIDTH, height: COVER_HEIGHT, channels: 3 },
        })
          .png()
          .toFile(path);
        break;
      case 'huge-jpeg':
        await writeFile(path, greyJpeg(20_000, 20_000));
        break;
      case 'text-as-mp4':
        await writeFile(path, 'This is not a video, just text named .mp4\n', 'utf8');
        break;
      case 'mp4-no-video':
        await runFfmpeg([...FFMPEG_QUIET, ...beep, '-c:a', 'aac', ...BITEXACT_ARGS, path]);
        break;
      case 'audio-only':
        await runFfmpeg([
          ...FFMPEG_QUIET,
          ...beep,
          '-c:a',
          'libmp3lame',
          ...BITEXACT_ARGS,
          '-f',
          'mp3',
          path,
        ]);
        break;
      case 'vfr':
        // Irregular timestamps (about N * 1.5 frame periods), kept as they are by -vsync vfr.
        await runFfmpeg([
          ...FFMPEG_QUIET,
          ...lavfi,
          '-vf',
          `setpts='(N+floor(N/2))/(${FRAME_RATE})/TB'`,
          '-vsync',
          'vfr',
          '-frames:v',
          '24',
          ...H264_ARGS,
          ...BITEXACT_ARGS,
          path,
        ]);
        break;
      case 'rotated': {
        // Encoding drops a `rotate` tag, so encode first, then set it while copying the stream.
        const plain = `${path}.plain.mp4`;
        await runFfmpeg([
          ...FFMPEG_QUIET,
          ...lavfi,
          '-frames:v',
          '24',
          ...H264_ARGS,
          ...BITEXACT_ARGS,
          plain,
        ]);
        try {
          await runFfmpeg([
            ...FFMPEG_QUIET,
            '-i',
            plain,
            '-c',
            'copy',
            ...BITEXACT_ARGS,
            '-metadata:s:v:0',
            'rotate=90',
            path,
          ]);
        } finally {
          await rm(plain, { force: true });
        }
        break;
      }
      case 'one-frame':
        await runFfmpeg([...FFMPEG_QUIET, ...lavfi, '-frames:v', '1', ...H264_ARGS, ...BITEXACT_ARGS, path]);
        break;
    }
    out.push({ kind, path });
  }
  return out;
}
