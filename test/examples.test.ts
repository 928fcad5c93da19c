/** Smoke tests of examples/: each runs as `node --import tsx examples/X.ts DIR` on a synthesized set. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';

function runExample(
  name: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('examples', name), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'reelset-examples-'));
    await synthesize(root, { labels: ['Beach', 'City', 'Sea', 'stars'], perLabel: 6, seconds: 0.5, seed: 3 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('for-await.ts prints samples and collated batches', async () => {
    const { code, stdout, stderr } = await runExample('for-await.ts', [root]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^samples 24$/m);
    expect(stdout).toMatch(/^sample \d+ \w+ tokens=25 image=32x32x3 video=2x32x32x3$/m);
    expect(stdout).toMatch(/^batch 1 size=4 tokens=4x25 image=4x32x32x3 video=4x2x32x32x3 labels=/m);
    expect(stdout).toMatch(/^batches 6$/m);
  });

  it('tfdata-train.ts: the loss decreases, accuracy beats chance, numTensors flat', async () => {
    const { code, stdout, stderr } = await runExample('tfdata-train.ts', [root, '10']);
    expect(code, stderr).toBe(0);
    const m = /^first_loss ([\d.]+) last_loss ([\d.]+) last_acc ([\d.]+)$/m.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const [first, last, acc] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
    expect(last).toBeLessThan(first * 0.7);
    expect(acc).toBeGreaterThan(0.5); // 4 labels: chance is 0.25
    const tensors = [...stdout.matchAll(/^epoch \d+ .* tensors (\d+)$/gm)].map((x) => Number(x[1]));
    expect(tensors).toHaveLength(10);
    expect(new Set(tensors.slice(1)).size).toBe(1);
  });

  it('ndarray-onnx.ts: onnxruntime outputs [B, 31] rows that sum to 1', async () => {
    const { code, stdout, stderr } = await runExample('ndarray-onnx.ts', [root]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^session inputs image_data outputs video_label$/m);
    const lines = [...stdout.matchAll(/^batch input (\S+) output (\S+) sums (\S+)$/gm)];
    expect(lines).toHaveLength(6);
    for (const [, input, output, sums] of lines) {
      const b = Number(input?.split('x')[0]);
      expect(input).toBe(`${b}x3x32x32`);
      expect(output).toBe(`${b}x31`);
      for (const s of sums?.split(',') ?? []) expect(Math.abs(Number(s) - 1)).toBeLessThan(1e-4);
    }
  });
});
