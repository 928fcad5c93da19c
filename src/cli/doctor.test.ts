import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers.js';
import { doctorReport, formatDoctor, registerDoctor } from './doctor.js';

describe('reelset doctor', () => {
  it('reports node, tfjs backends, ffmpeg, the cover decoder, sharp, onnxruntime and CPUs', async () => {
    const r = await doctorReport();
    expect(r.node).toBe(process.version);
    expect(r.reelset).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.cpus.count).toBeGreaterThan(0);
    expect(r.tfjs.available.map((p) => p.kind)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    expect(r.tfjs.available.find((p) => p.kind === 'cpu')?.available).toBe(true);
    expect(r.tfjs.chosen?.kind).toBe(r.tfjs.available.find((p) => p.available)?.kind);
    expect(r.ffmpeg.path).toBeTruthy();
    expect(r.ffmpeg.version).toBeTruthy();
    expect(r.ffprobe.version).toBeTruthy();
    expect(r.covers).toEqual({ version: expect.stringMatching(/^\d+\.\d+/), binding: 'native' });
    expect(r.sharp.libvips).toMatch(/^\d+\.\d+/);
    expect(r.onnxruntime.version).toMatch(/^\d+\.\d+/);
    expect(r.onnxruntime.backends?.map((b) => b.name)).toContain('cpu');
    const text = formatDoctor(r);
    for (const word of ['node', 'tfjs', 'ffmpeg', 'ffprobe', 'covers', 'sharp', 'onnxruntime', 'cpus'])
      expect(text).toContain(word);
  });

  it('prints JSON with --json', async () => {
    const chunks = await runCli(registerDoctor, ['doctor', '--json']);
    const parsed = JSON.parse(chunks.join('')) as {
      onnxruntime: { backends: unknown[] };
      tfjs: { chosen: unknown };
    };
    expect(parsed.onnxruntime.backends.length).toBeGreaterThan(0);
    expect(parsed.tfjs.chosen).toBeTruthy();
  });
});
