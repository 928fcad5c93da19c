import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegError, isReelsetError } from '../../errors.js';
import { makeExecutable, runFfmpeg, runFfprobe, toolPath } from './ffmpeg.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-ffmpeg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ffmpeg runner', () => {
  it('finds both executables', () => {
    expect(toolPath('ffmpeg')).toMatch(/ffmpeg$/);
    expect(toolPath('ffprobe')).toMatch(/ffprobe$/);
  });

  it('encodes H.264 and reads raw frames back from stdout', async () => {
    const clip = join(dir, 'red.mp4');
    await runFfmpeg([
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=64x36:r=24:d=0.5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const { stdout } = await runFfmpeg([
      '-v',
      'error',
      '-i',
      clip,
      '-frames:v',
      '2',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ]);
    expect(stdout.length).toBe(2 * 64 * 36 * 3);
    expect(stdout[0]).toBeGreaterThan(200); // red
    expect(stdout[1]).toBeLessThan(40);
    const probe = await runFfprobe(['-v', 'error', '-of', 'json', '-show_streams', clip]);
    const info = JSON.parse(probe.stdout.toString()) as {
      streams: Array<{ codec_name: string; width: number }>;
    };
    expect(info.streams[0]).toMatchObject({ codec_name: 'h264', width: 64 });
  });

  it('passes standard input through, one buffer or chunks in order', async () => {
    const gray = ['-f', 'rawvideo', '-pix_fmt', 'gray'];
    const args = ['-v', 'error', ...gray, '-s', '2x2', '-i', 'pipe:0', ...gray, 'pipe:1'];
    const { stdout } = await runFfmpeg(args, { input: Uint8Array.from([1, 2, 3, 4]) });
    expect([...stdout]).toEqual([1, 2, 3, 4]);
    const chunks = [
      Uint8Array.from([5]),
      Uint8Array.from([6, 7]),
      new Uint8Array(0),
      Uint8Array.from([8, 9, 10, 11, 12]),
    ];
    expect([...(await runFfmpeg(args, { input: chunks })).stdout]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('reports a failing run as FfmpegError with the exit code and stderr', async () => {
    const text = join(dir, 'not-a-video.mp4');
    await writeFile(text, 'hello, I am text');
    const err = await runFfprobe(['-v', 'error', '-show_streams', text]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).exitCode).not.toBe(0);
    expect((err as FfmpegError).stderr).toMatch(/Invalid data/);
  });

  it('kills a process that runs past its timeout', async () => {
    const err = await runFfmpeg(
      ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'color=s=16x16:d=30', '-f', 'null', '-'],
      {
        timeoutMs: 300,
      },
    ).catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_FFMPEG')).toBe(true);
    expect((err as Error).message).toMatch(/timed out/);
  });

  it('says clearly when the executable cannot start', async () => {
    const err = await runFfmpeg(['-version'], { binary: join(dir, 'no-such-ffmpeg') }).catch(
      (e: unknown) => e,
    );
    expect(isReelsetError(err, 'REELSET_E_FFMPEG')).toBe(true);
    expect((err as Error).message).toMatch(/Cannot start/);
  });

  it('marks a shipped binary executable when its install script did not (npm --ignore-scripts)', async () => {
    const exec = await mkdtemp(join(tmpdir(), 'reelset-exec-'));
    try {
      const file = join(exec, 'ffprobe');
      await writeFile(file, '#!/bin/sh\necho ok\n', { mode: 0o644 });
      expect(makeExecutable(file)).toBe(true);
      expect((await stat(file)).mode & 0o111).toBe(0o111);
      expect(makeExecutable(join(exec, 'absent'))).toBe(false);
    } finally {
      await rm(exec, { recursive: true, force: true });
    }
  });

  it('rejects an FFMPEG_PATH that is not executable', () => {
    const previous = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = join(dir, 'nothing-here');
    try {
      expect(() => toolPath('ffmpeg')).toThrowError(/FFMPEG_PATH/);
    } finally {
      if (previous === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = previous;
    }
  });
});
