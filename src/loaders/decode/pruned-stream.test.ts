import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { FFMPEG_QUIET } from '../../synth/video.js';
import { runFfmpeg } from './ffmpeg.js';
import { isDisposable, splitNalUnits } from './h264.js';
import { type Mp4VideoTrack, readMp4VideoTrack } from './mp4-boxes.js';
import { prunedStream } from './pruned-stream.js';
import { encodeClip, READ_CLIPS, writeMp4Corpus } from './testing.js';
import { decodeVideo, decodeVideoWithProbe, probeVideo, type VideoOptions } from './video.js';

let dir = '';
const clip = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-pruned-'));
  await Promise.all([
    writeMp4Corpus(dir),
    // Three non-reference B-frames between references, and B-frames used as references (b-pyramid).
    encodeClip(clip('b-none-ref.mp4'), '24', 96, ['-g', '24', '-bf', '3', '-x264-params', 'b-pyramid=none']),
    encodeClip(clip('b-pyramid.mp4'), '24', 96, ['-g', '48', '-bf', '3', '-x264-params', 'b-pyramid=normal']),
  ]);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function track(name: string): Promise<Mp4VideoTrack> {
  const read = await readMp4VideoTrack(clip(name));
  if (!read) throw new Error(`${name} not read`);
  return read;
}

/** A decode's frames (a digest: comparing large buffers element by element is slow), times and padding, or its error's code. */
function outcome(decode: Promise<{ data: Uint8Array | Float32Array; timesSec: number[]; padded: number }>) {
  return decode.then(
    ({ data, timesSec, padded }) => ({
      sha256: createHash('sha256')
        .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
        .digest('hex'),
      timesSec,
      padded,
    }),
    (err: unknown) => ({ error: isReelsetError(err) ? err.code : String(err) }),
  );
}

/** Whether the sample at decoding index `i` is one nothing refers to (read from the file's bytes). */
function disposableSample(file: Buffer, t: Mp4VideoTrack, i: number): boolean {
  if (!t.samples) throw new Error('no sample table');
  const at = t.samples.offsets[i] as number;
  return isDisposable(
    splitNalUnits(file.subarray(at, at + (t.samples.sizes[i] as number)), t.samples.lengthSize),
  );
}

const OPTIONS: VideoOptions[] = [
  {},
  { frames: 4, sampling: 'random', seed: 3 },
  { frames: 16, height: 24, width: 40 },
  { frames: 5, skipLoopFilter: true },
  { frames: 3, dtype: 'float32', normalize: 'unit', layout: 'channels-first', channels: 'bgr' },
  // The nearest references: the frames ffmpeg gives from the file with -skip_frame noref.
  { frames: 6, accuracy: 'nearest-reference' },
  { frames: 4, sampling: 'random', seed: 9, accuracy: 'nearest-reference' },
];

describe('prunedStream: the same frames for less decoding', () => {
  it.each([...READ_CLIPS, 'b-none-ref.mp4', 'b-pyramid.mp4'])(
    '%s: decodeVideo gives the frames, times and padding of the demuxed file, bit for bit',
    async (name) => {
      for (const options of OPTIONS) {
        const fast = await outcome(decodeVideo(clip(name), options, { key: 'k' }));
        const reference = await outcome(decodeVideoWithProbe(probeVideo, clip(name), options, { key: 'k' }));
        expect(fast).toEqual(reference);
      }
    },
  );

  it.each(['bench-like.mp4', 'b-none-ref.mp4', 'b-pyramid.mp4', 'synth-3.7s.mp4'])(
    '%s: drops only frames nothing refers to, never a wanted one, and the stream decodes to the frames kept',
    async (name) => {
      const t = await track(name);
      if (!t.samples) throw new Error('no sample table');
      const { decodeIndex } = t.samples;
      const wanted = [1, Math.floor(t.frameCount / 3), Math.floor(t.frameCount / 2), t.frameCount - 2];
      const pruned = await prunedStream(clip(name), t, wanted);
      if (!pruned) throw new Error('not pruned');
      const last = Math.max(...wanted.map((p) => decodeIndex[p] as number));
      expect(pruned.decoded + pruned.dropped).toBe(last + 1);
      expect(pruned.dropped).toBeGreaterThan(0);
      const file = await readFile(clip(name));
      let disposable = 0;
      for (let i = 0; i <= last; i++) {
        if (disposableSample(file, t, i) && !wanted.some((p) => decodeIndex[p] === i)) disposable++;
      }
      expect(pruned.dropped).toBe(disposable);
      expect(Array.from(Buffer.concat(pruned.stream).subarray(0, 5))).toEqual([0, 0, 0, 1, 0x67]);
      // ffmpeg decodes exactly the kept frames from the stream, and each wanted one is where the index says.
      const rgb = async (input: string[], filter: string): Promise<Buffer> =>
        (
          await runFfmpeg(
            [
              ...FFMPEG_QUIET,
              ...input,
              '-vf',
              filter,
              '-vsync',
              '0',
              '-f',
              'rawvideo',
              '-pix_fmt',
              'gray',
              'pipe:1',
            ],
            input.includes('pipe:0') ? { input: pruned.stream } : {},
          )
        ).stdout;
      const all = await rgb(['-f', 'h264', '-i', 'pipe:0'], 'scale=8:8');
      expect(all.length).toBe(pruned.decoded * 64);
      const direct = await rgb(
        ['-i', clip(name)],
        `select=${wanted.map((p) => `eq(n\\,${p})`).join('+')},scale=8:8`,
      );
      const picked = Buffer.concat(pruned.outputIndices.map((k) => all.subarray(k * 64, (k + 1) * 64)));
      expect(picked.equals(direct)).toBe(true);
    },
  );

  it('nearest references: each frame given is the first reference at or after the wanted one', async () => {
    const t = await track('b-none-ref.mp4');
    const decodeIndex = t.samples?.decodeIndex ?? new Uint32Array();
    const file = await readFile(clip('b-none-ref.mp4'));
    const wanted = [5, 30, 61, 90];
    const exact = await prunedStream(clip('b-none-ref.mp4'), t, wanted);
    const near = await prunedStream(clip('b-none-ref.mp4'), t, wanted, { nearestReference: true });
    if (!exact || !near) throw new Error('not pruned');
    expect(exact.frames).toEqual(wanted);
    const expected = wanted.map((p) => {
      let q = p;
      while (disposableSample(file, t, decodeIndex[q] as number)) q++;
      return q;
    });
    expect(near.frames).toEqual([...new Set(expected)]);
    expect(near.frames).not.toEqual(wanted); // some wanted frames are not references: the case is not trivial
    expect(near.decoded).toBeLessThan(exact.decoded);
  });

  it('without B-frames every frame is a reference: nothing is dropped', async () => {
    const t = await track('no-bframes.mp4');
    expect((await prunedStream(clip('no-bframes.mp4'), t, [3, 20]))?.dropped).toBe(0);
  });

  it('a colr box with the colour stated in the SPS too is pruned', async () => {
    const t = await track('colr-bt709.mp4');
    expect(t.colourBox).toBe(true);
    expect(t.sps.colourDescribed).toBe(true);
    expect(await prunedStream(clip('colr-bt709.mp4'), t, [5, 30])).toBeDefined();
  });
});

describe('prunedStream leaves to the demuxer what it is not sure of', () => {
  it('a rotated clip (the container turns its frames)', async () => {
    expect(await prunedStream(clip('rotate-90.mp4'), await track('rotate-90.mp4'), [5])).toBeUndefined();
  });

  it('an unstated reordering depth, container colour the SPS does not override, no sample table', async () => {
    const t = await track('bench-like.mp4');
    const path = clip('bench-like.mp4');
    expect(await prunedStream(path, t, [5])).toBeDefined();
    expect(await prunedStream(path, { ...t, sps: { ...t.sps, reorderBounded: false } }, [5])).toBeUndefined();
    const colr = { ...t, colourBox: true, sps: { ...t.sps, colourDescribed: false } };
    expect(await prunedStream(path, colr, [5])).toBeUndefined();
    expect(await prunedStream(path, { ...t, samples: undefined }, [5])).toBeUndefined();
    expect(await prunedStream(path, t, [])).toBeUndefined();
    expect(await prunedStream(path, t, [5, t.frameCount])).toBeUndefined();
    expect(await prunedStream(path, t, [-1])).toBeUndefined();
  });

  it('more bytes to read than allowed', async () => {
    const t = await track('bench-like.mp4');
    expect(await prunedStream(clip('bench-like.mp4'), t, [300], { maxBytes: 1000 })).toBeUndefined();
  });

  it('a first frame that is not an IDR, or NAL units that do not fit their sample: the demuxed result', async () => {
    const t = await track('synth-2s.mp4');
    const { offsets, lengthSize } = t.samples ?? { offsets: [], lengthSize: 0 };
    expect(lengthSize).toBe(4);
    const original = await readFile(clip('synth-2s.mp4'));
    const first = offsets[0] as number;
    const firstNals = splitNalUnits(original.subarray(first, first + (t.samples?.sizes[0] ?? 0)), 4);
    const idrAt = firstNals.findIndex((nal) => ((nal[0] as number) & 0x1f) === 5);
    expect(idrAt).toBeGreaterThanOrEqual(0);
    // The IDR's header byte, by its offset inside the sample.
    const headerAt = first + firstNals.slice(0, idrAt).reduce((sum, nal) => sum + 4 + nal.length, 0) + 4;
    const nonIdr = Buffer.from(original);
    nonIdr[headerAt] = ((nonIdr[headerAt] as number) & 0xe0) | 1;
    await writeFile(clip('non-idr-start.mp4'), nonIdr);
    const overrun = Buffer.from(original);
    overrun.writeUInt32BE(0x7fffffff, offsets[3] as number);
    await writeFile(clip('nal-overrun.mp4'), overrun);
    for (const name of ['non-idr-start.mp4', 'nal-overrun.mp4']) {
      const patched = await track(name);
      expect(await prunedStream(clip(name), patched, [10, 20])).toBeUndefined();
      const fast = await outcome(decodeVideo(clip(name), { frames: 4 }));
      expect(fast).toEqual(await outcome(decodeVideoWithProbe(probeVideo, clip(name), { frames: 4 })));
    }
  });
});
