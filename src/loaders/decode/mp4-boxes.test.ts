import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { readMp4VideoTrack } from './mp4-boxes.js';
import { FALLBACK_CLIPS, READ_CLIPS, writeMp4Corpus } from './testing.js';
import { decodeVideo, decodeVideoWithProbe, probeVideo, probeVideoWithFfprobe } from './video.js';

let dir = '';
const clip = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-mp4-boxes-'));
  await writeMp4Corpus(dir);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readdirPaths(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries.map((e) => join(folder, e));
}

/** A probe's result, or its error's code and message (the error's ffprobe stderr names a pointer). */
function outcome(probe: Promise<unknown>): Promise<unknown> {
  return probe.catch((e: unknown) =>
    isReelsetError(e) ? { code: e.code, message: e.message } : { error: String(e) },
  );
}

describe('readMp4VideoTrack against ffprobe', () => {
  it.each(READ_CLIPS)('%s: read from the boxes, the same VideoInfo as ffprobe', async (name) => {
    const track = await readMp4VideoTrack(clip(name));
    expect(track).toBeDefined();
    expect(await probeVideo(clip(name))).toEqual(await probeVideoWithFfprobe(clip(name)));
  });

  it.each(FALLBACK_CLIPS)('%s: undefined, and probeVideo falls back to ffprobe', async (name) => {
    expect(await readMp4VideoTrack(clip(name))).toBeUndefined();
    expect(await outcome(probeVideo(clip(name)))).toEqual(await outcome(probeVideoWithFfprobe(clip(name))));
  });

  it('reads the fields of a long-GOP B-frame clip: rates, count, duration, keyframes', async () => {
    const track = await readMp4VideoTrack(clip('bench-like.mp4'));
    expect(track).toMatchObject({
      codec: 'h264',
      fourcc: 'avc1',
      width: 160,
      height: 90,
      rotation: 0,
      timescale: 24000,
      frameCount: 369,
      durationSec: 15.390375,
      baseFrameRate: { num: 24000, den: 1001 },
      averageFrameRate: { num: 24000, den: 1001 },
    });
    expect(Array.from(track?.keyframes ?? [])).toEqual([0, 250]);
  });

  it('rotation: the clockwise angle probeVideo reports, sizes swapped for 90 and 270', async () => {
    for (const r of [90, 180, 270]) {
      const info = await probeVideo(clip(`rotate-${r}.mp4`));
      const track = await readMp4VideoTrack(clip(`rotate-${r}.mp4`));
      expect(info.rotation).toBe(track?.rotation);
      expect([info.width, info.height]).toEqual(r === 180 ? [96, 64] : [64, 96]);
    }
  });

  it.each(['synth-2s.mp4', 'long-gop.mp4', 'ntsc-30000-1001.mp4', 'moov-at-end-25.mp4'])(
    '%s: presentation times and keyframes are those ffmpeg decodes',
    async (name) => {
      const track = await readMp4VideoTrack(clip(name));
      if (!track) throw new Error('not read');
      const small = { height: 8, width: 8 } as const;
      const all = await decodeVideo(clip(name), { ...small, sampling: 'first', frames: track.frameCount });
      expect(all.padded).toBe(0);
      const ticks = Array.from(track.presentationTicks, (t) => t / track.timescale);
      all.timesSec.forEach((t, i) => {
        expect(t).toBeCloseTo(ticks[i] as number, 4);
      });
      const n = track.keyframes.length;
      const keys = await decodeVideo(clip(name), { ...small, sampling: 'keyframes', frames: n });
      expect(keys.padded).toBe(0);
      keys.timesSec.forEach((t, i) => {
        expect(t).toBeCloseTo(ticks[track.keyframes[i] as number] as number, 4);
      });
    },
  );

  it.each(['synth-3.7s.mp4', 'long-gop.mp4', 'rotate-90.mp4', 'ntsc-30000-1001.mp4'])(
    '%s: decodeVideo gives byte-identical frames with the box reader and with ffprobe',
    async (name) => {
      for (const options of [{ frames: 8 }, { frames: 4, sampling: 'random', seed: 3 } as const]) {
        const boxes = await decodeVideo(clip(name), options, { key: 'k' });
        const probe = await decodeVideoWithProbe(probeVideoWithFfprobe, clip(name), options, { key: 'k' });
        expect(Buffer.from(boxes.data).equals(Buffer.from(probe.data))).toBe(true);
        expect(boxes.timesSec).toEqual(probe.timesSec);
        expect(boxes.padded).toBe(probe.padded);
      }
    },
  );
});

describe('readMp4VideoTrack refuses what it cannot read with certainty', () => {
  /** A copy of a clip with `patch` applied to its bytes. */
  async function patched(from: string, name: string, patch: (b: Buffer) => Buffer): Promise<string> {
    await writeFile(clip(name), patch(Buffer.from(await readFile(clip(from)))));
    return clip(name);
  }

  /** The offset of the first box `type` in a file (a 4-byte search; the clips are small). */
  function boxAt(b: Buffer, type: string): number {
    const at = b.indexOf(Buffer.from(type, 'latin1'));
    if (at < 4) throw new Error(`no ${type}`);
    return at - 4;
  }

  it('non-MP4s, bad corpus and garbage: undefined, never a throw', async () => {
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    const cases: Array<[string, Buffer]> = [
      ['random.mp4', random],
      ['text.mp4', Buffer.from('not a video\n')],
      ['tiny.mp4', Buffer.from([0, 0, 0])],
      ['ftyp-only.mp4', Buffer.from('00000010667479706d703432', 'hex')],
      // A box that claims 2^64 - 1 bytes, and one whose size is smaller than its header.
      ['huge-box.mp4', Buffer.from('00000010667479706d70343200000001667265650fffffffffffffff', 'hex')],
      ['small-box.mp4', Buffer.from('00000010667479706d7034320000000466726565', 'hex')],
    ];
    for (const [name, bytes] of cases) {
      await writeFile(clip(name), bytes);
      expect(await readMp4VideoTrack(clip(name))).toBeUndefined();
    }
    for (const path of await readdirPaths(join(dir, 'bad'))) {
      expect(await readMp4VideoTrack(path)).toBeUndefined();
    }
    expect(await readMp4VideoTrack(clip('missing.mp4'))).toBeUndefined();
    expect(await readMp4VideoTrack(dir)).toBeUndefined();
  });

  it('a moov over the limit, or too many top-level boxes', async () => {
    expect(await readMp4VideoTrack(clip('synth-2s.mp4'), { maxMoovBytes: 256 })).toBeUndefined();
    expect(await readMp4VideoTrack(clip('synth-2s.mp4'), { maxTopLevelBoxes: 2 })).toBeUndefined();
    expect(await readMp4VideoTrack(clip('synth-2s.mp4'), { maxSamples: 10 })).toBeUndefined();
  });

  it('hostile tables: 2^32 - 1 samples, an entry count past the box, two edits, a scaled matrix', async () => {
    const stts = await patched('synth-2s.mp4', 'stts-count.mp4', (b) => {
      const at = boxAt(b, 'stts');
      b.writeUInt32BE(0xffffffff, at + 16); // first entry's sample count
      return b;
    });
    const entries = await patched('synth-2s.mp4', 'stts-entries.mp4', (b) => {
      b.writeUInt32BE(0x7fffffff, boxAt(b, 'stts') + 12);
      return b;
    });
    const elst = await patched('synth-2s.mp4', 'elst-two.mp4', (b) => {
      b.writeUInt32BE(2, boxAt(b, 'elst') + 12);
      return b;
    });
    const matrix = await patched('moov-at-end-25.mp4', 'matrix-scaled.mp4', (b) => {
      b.writeInt32BE(0x20000, boxAt(b, 'tkhd') + 8 + 40); // a = 2.0: a scale, not a rotation
      return b;
    });
    for (const path of [stts, entries, elst, matrix]) expect(await readMp4VideoTrack(path)).toBeUndefined();
  });

  it('an edit list that shortens the track: the duration ffprobe reports', async () => {
    const short = await patched('bench-like.mp4', 'elst-short.mp4', (b) => {
      const at = boxAt(b, 'elst');
      b.writeUInt32BE(b.readUInt32BE(at + 16) - 11, at + 16); // 11 ms shorter; still every frame
      return b;
    });
    const track = await readMp4VideoTrack(short);
    expect(track?.durationSec).toBeLessThan(15.39);
    expect(await probeVideo(short)).toEqual(await probeVideoWithFfprobe(short));
  });
});
