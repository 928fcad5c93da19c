import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers.js';
import { doctorReport, formatDoctor, isMissingPackage, onnxruntimeStatus, registerDoctor } from './doctor.js';

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

describe('reelset doctor: the table and missing peers', () => {
  it('aligns the values of every line in one column', async () => {
    const lines = formatDoctor(await doctorReport())
      .trimEnd()
      .split('\n');
    const columns = lines.map((line) => /^\S+(?: \S+)? {2,}/.exec(line)?.[0].length);
    expect(new Set(columns).size).toBe(1);
    expect(lines.map((line) => line.split(/ {2,}/)[0])).toContain('tfjs backends');
  });

  it('says that onnxruntime-node is not installed, with the install command, rather than an error', async () => {
    const missing = Object.assign(
      new Error("Cannot find package 'onnxruntime-node' imported from /x/doctor.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const status = await onnxruntimeStatus(() => Promise.reject(missing));
    expect(status).toEqual({ installed: false, install: 'npm install onnxruntime-node' });
    const report = { ...(await doctorReport()), onnxruntime: status };
    const line = formatDoctor(report)
      .split('\n')
      .find((l) => l.startsWith('onnxruntime'));
    expect(line).toMatch(/^onnxruntime +not installed \(optional, .*: npm install onnxruntime-node\)$/);
    // A package that is there but does not load is an error, said as such.
    const broken = await onnxruntimeStatus(() => Promise.reject(new Error('libonnxruntime.so: cannot open')));
    expect(broken).toEqual({ installed: true, error: 'libonnxruntime.so: cannot open' });
    // A missing dependency of the package is not the package missing.
    const dep = Object.assign(new Error("Cannot find package 'onnxruntime-common'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isMissingPackage(dep, 'onnxruntime-node')).toBe(false);
  });
});
