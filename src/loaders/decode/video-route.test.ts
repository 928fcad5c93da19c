import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FFMPEG_QUIET } from '../../synth/video.js';
import { runFfmpeg } from './ffmpeg.js';
import { readMp4VideoTrack } from './mp4-boxes.js';
import { encodeClip } from './testing.js';
import { decodeVideo } from './video.js';

/** The argument lists of every ffmpeg run, recorded around the real runFfmpeg. */
const calls = vi.hoisted(() => [] as string[][]);
vi.mock('./ffmpeg.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./ffmpeg.js')>();
  return {
    ...real,
    runFfmpeg: (args: readonly string[], options?: Parameters<typeof real.runFfmpeg>[1]) => {
      calls.push([...args]);
      return real.runFfmpeg(args, options);
    },
  };
});

let dir = '';
const clip = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-video-route-'));
  await encodeClip(clip('plain.mp4'), '24', 48, ['-g', '24']);
  // The rotation tag takes effect on a stream copy (an encode drops it).
  const copy = ['-c', 'copy', '-metadata:s:v:0', 'rotate=90', clip('rotated.mp4')];
  await runFfmpeg([...FFMPEG_QUIET, '-i', clip('plain.mp4'), ...copy]);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  calls.length = 0;
});

/** How the one ffmpeg run of a decode read the clip. */
function input(): 'stdin' | 'file' {
  expect(calls).toHaveLength(1);
  const args = calls[0] as string[];
  const at = args.indexOf('-i');
  return args[at + 1] === 'pipe:0' && args[at - 2] === '-f' && args[at - 1] === 'h264' ? 'stdin' : 'file';
}

describe('decodeVideo takes the pruned route where it can', () => {
  it('frames chosen by number from an H.264 MP4: the stream on stdin, no showinfo', async () => {
    for (const options of [{}, { sampling: 'random', seed: 2 }, { accuracy: 'nearest-reference' }] as const) {
      calls.length = 0;
      await decodeVideo(clip('plain.mp4'), { frames: 4, ...options });
      expect(input()).toBe('stdin');
      expect((calls[0] as string[]).join(' ')).not.toContain('showinfo');
    }
  });

  it('a rotated clip, time-based and first-frames sampling: the file, times from showinfo', async () => {
    expect((await readMp4VideoTrack(clip('rotated.mp4')))?.rotation).not.toBe(0);
    await decodeVideo(clip('rotated.mp4'), { frames: 4 });
    expect(input()).toBe('file');
    for (const sampling of ['fps', 'first', 'keyframes'] as const) {
      calls.length = 0;
      await decodeVideo(clip('plain.mp4'), { frames: 4, sampling });
      expect(input()).toBe('file');
      expect((calls[0] as string[]).join(' ')).toContain('showinfo');
    }
  });
});
