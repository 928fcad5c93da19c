/** @module badmedia.test — the bad-media corpus: each file is broken or unusual in the stated way. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegError } from '../errors.js';
import { runFfprobe } from '../loaders/decode/ffmpeg.js';
import { BAD_MEDIA_KINDS, type BadMediaFile, type BadMediaKind, writeBadMedia } from './bad-media.js';

interface Probe {
  streams: Array<Record<string, unknown> & { side_data_list?: Array<Record<string, unknown>> }>;
  format: { format_name: string };
}

let tmp: string;
let files: BadMediaFile[];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-badmedia-'));
  files = await writeBadMedia(tmp, { seed: 2 });
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const pathOf = (kind: BadMediaKind): string =>
  (files.find((file) => file.kind === kind) as BadMediaFile).path;

async function probe(path: string, extra: string[] = []): Promise<Probe> {
  const { stdout } = await runFfprobe([
    '-v',
    'error',
    '-of',
    'json',
    '-show_streams',
    '-show_format',
    ...extra,
    path,
  ]);
  return JSON.parse(stdout.toString()) as Probe;
}

describe('writeBadMedia', () => {
  it('writes one file per kind, named <kind>.jpeg or <kind>.mp4', () => {
    expect(files.map((file) => file.kind)).toEqual([...BAD_MEDIA_KINDS]);
    expect(pathOf('png-as-jpeg').endsWith('png-as-jpeg.jpeg')).toBe(true);
    expect(pathOf('vfr').endsWith('vfr.mp4')).toBe(true);
  });

  it('names a PNG .jpeg', async () => {
    expect((await sharp(pathOf('png-as-jpeg')).metadata()).format).toBe('png');
  });

  it('writes a valid 20000x20000 JPEG that sharp refuses by default', async () => {
    const path = pathOf('huge-jpeg');
    const meta = await sharp(path, { limitInputPixels: false }).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 20_000, height: 20_000 });
    await expect(sharp(path).metadata()).rejects.toThrow(/pixel limit/);
    const small = await sharp(path, { limitInputPixels: false }).resize(50).raw().toBuffer();
    expect(small.every((value) => value === 128)).toBe(true);
  });

  it('writes an MP4 with only audio, an MP3 named .mp4 and text named .mp4', async () => {
    const noVideo = await probe(pathOf('mp4-no-video'));
    expect(noVideo.streams.map((stream) => stream.codec_type)).toEqual(['audio']);
    expect(noVideo.format.format_name).toContain('mp4');
    const audio = await probe(pathOf('audio-only'));
    expect(audio.format.format_name).toBe('mp3');
    expect((await readFile(pathOf('text-as-mp4'), 'utf8')).startsWith('This is not a video')).toBe(true);
    await expect(probe(pathOf('text-as-mp4'))).rejects.toBeInstanceOf(FfmpegError);
  });

  it('writes a variable-frame-rate clip, a rotated clip and a one-frame clip', async () => {
    const { stdout } = await runFfprobe([
      '-v',
      'error',
      '-select_streams',
      'v',
      '-show_entries',
      'packet=pts',
      '-of',
      'csv=p=0',
      pathOf('vfr'),
    ]);
    const pts = stdout
      .toString()
      .split('\n')
      .filter((line) => /^\d/.test(line))
      .map(Number)
      .sort((a, b) => a - b);
    const steps = new Set(pts.slice(1).map((value, i) => value - (pts[i] as number)));
    expect(pts).toHaveLength(24);
    expect(steps.size).toBeGreaterThan(1);
    const rotated = await probe(pathOf('rotated'));
    const rotation = rotated.streams[0]?.side_data_list?.find((data) => 'rotation' in data)?.rotation;
    expect(Math.abs(Number(rotation))).toBe(90);
    const one = await probe(pathOf('one-frame'), ['-count_frames']);
    expect(one.streams[0]).toMatchObject({ codec_name: 'h264', nb_read_frames: '1' });
  });
});
