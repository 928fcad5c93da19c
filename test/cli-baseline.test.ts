/**
 * @module cli-baseline.test — `reelset train`, `evaluate` and `predict` through the real command on a tiny
 * synthesized set (3 labels x 6 items, 1 s clips, the `lite` preset, 2 epochs): the model directory, the
 * numbers evaluate prints against those recorded in it, one JSON line a sample from predict, a resume
 * that repeats no epoch, and one-line errors for bad inputs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';
import { tempDir } from './helpers.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

function reelset(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Standard error is one line `reelset: CODE: message`. */
function oneLineError(stderr: string, code: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^reelset: ${code}: `));
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root = '';
let modelDir = '';
let trainRun: ReturnType<typeof reelset>;

beforeAll(async () => {
  tmp = await tempDir('cli-baseline');
  root = join(tmp.path, 'data');
  modelDir = join(tmp.path, 'model');
  await synthesize(root, {
    labels: ['Beach', 'City', 'Sea'],
    perLabel: 6,
    seconds: 1,
    seed: 1,
    concurrency: 2,
  });
  trainRun = reelset('train', root, '--preset', 'lite', '--epochs', '2', '--out', modelDir);
});
afterAll(() => tmp.remove());

interface Info {
  metrics: { test: { samples: number; accuracy: number; top5: number; macroF1: number; split: object } };
  training: { epochsCompleted: number; history: { epoch: number }[]; backend: string };
  preprocessing: { preset: string };
}

const readInfo = async (): Promise<Info> =>
  JSON.parse(await readFile(join(modelDir, 'reelset.json'), 'utf8')) as Info;

describe('reelset train', () => {
  it('prints the backend first, one line an epoch, the test metrics, and writes a model directory', async () => {
    expect(trainRun.stderr).toBe('');
    expect(trainRun.status).toBe(0);
    const lines = trainRun.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^backend: (wasm|cpu|tensorflow|webgl) \(/);
    expect(lines.filter((l) => /^epoch \d\/2 {2}loss \d/.test(l))).toHaveLength(2);
    expect(trainRun.stdout).toMatch(
      /^test: accuracy \d\.\d{3}, top-5 \d\.\d{3}, macro-F1 \d\.\d{3} \(\d+ samples?\)$/m,
    );
    for (const file of ['model.json', 'weights.bin', 'vocab.txt', 'reelset.json', 'checkpoint']) {
      expect(existsSync(join(modelDir, file)), file).toBe(true);
    }
    const info = await readInfo();
    expect(info.preprocessing.preset).toBe('lite');
    expect(info.training.epochsCompleted).toBe(2);
    expect(info.metrics.test.split).toEqual({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
  });

  it('--resume after a finished run trains no epoch again', async () => {
    const before = await readInfo();
    const run = reelset('train', root, '--epochs', '2', '--out', modelDir, '--resume');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/^epoch /m);
    expect(run.stdout).toMatch(/resumed from the checkpoint after 2 epochs: nothing left to train/);
    const after = await readInfo();
    expect(after.training.history).toEqual(before.training.history);
    expect(after.metrics.test.accuracy).toBe(before.metrics.test.accuracy);
  });

  it('Ctrl-C stops at a batch with a checkpoint (exit 130); --resume finishes the run', async () => {
    const out = join(tmp.path, 'interrupted');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'train', root, '--epochs', '500', '--batch-size', '1', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // One SIGINT only: a second one ends the process at once, as it should.
        if (!sent && /^epoch 2\/500 /m.test(stdout)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    oneLineError(stderr.replace(/^reelset train: stopped/, 'reelset: STOPPED: stopped'), 'STOPPED');
    expect(stderr).toMatch(/checkpoint in .*; run again with --resume to continue/);
    expect(existsSync(join(out, 'checkpoint'))).toBe(true);
    const done = stdout.match(/^epoch (\d+)\/500 /gm)?.length ?? 0;
    const resumed = reelset(
      'train',
      root,
      '--epochs',
      String(done + 1),
      '--batch-size',
      '1',
      '--out',
      out,
      '--resume',
    );
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resumed from the checkpoint after ${done} epochs`));
    expect(resumed.stdout.match(/^epoch \d+\//gm)).toEqual([`epoch ${done + 1}/`]);
  });

  it('refuses bad inputs with one line, creating nothing', () => {
    const out = join(tmp.path, 'never');
    oneLineError(reelset('train', join(tmp.path, 'missing'), '--out', out).stderr, 'REELSET_E_NOT_FOUND');
    oneLineError(
      reelset('train', root, '--preset', 'big', '--out', out).stderr,
      'REELSET_E_INVALID_ARGUMENT',
    );
    oneLineError(reelset('train', root, '--epochs', '0', '--out', out).stderr, 'REELSET_E_INVALID_ARGUMENT');
    oneLineError(reelset('train', join(root, 'Beach'), '--out', out).stderr, 'REELSET_E_INVALID_ARGUMENT');
    const again = reelset('train', root, '--out', modelDir);
    expect(again.status).toBe(1);
    oneLineError(again.stderr, 'REELSET_E_INVALID_ARGUMENT');
    expect(again.stderr).toMatch(/--resume/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('reelset evaluate', () => {
  it('prints the test metrics recorded in the model directory, and the ablation', async () => {
    const info = await readInfo();
    const run = reelset('evaluate', modelDir, root);
    expect(run.status).toBe(0);
    const test = info.metrics.test;
    expect(run.stdout).toContain(`test split (0.8/0.1/0.1 by id, seed 1): ${test.samples} sample`);
    const all = run.stdout.split('\n').find((l) => l.startsWith('all three'));
    expect(all?.split(/\s{2,}/).slice(1)).toEqual(
      [test.accuracy, test.top5, test.macroF1].map((x) => x.toFixed(3)),
    );
    for (const name of ['text only', 'cover only', 'video only']) expect(run.stdout).toContain(name);
  });

  it('--json gives the same numbers; --all every sample; --confusion a PNG', async () => {
    const info = await readInfo();
    const json = reelset('evaluate', modelDir, root, '--json');
    expect(json.status).toBe(0);
    const result = JSON.parse(json.stdout) as Record<string, unknown> & { ablation: object };
    expect(result).toMatchObject({
      samples: info.metrics.test.samples,
      accuracy: info.metrics.test.accuracy,
      top5: info.metrics.test.top5,
      macroF1: info.metrics.test.macroF1,
    });
    expect(Object.keys(result.ablation)).toEqual(['text', 'image', 'video']);
    const png = join(tmp.path, 'confusion.png');
    const all = reelset('evaluate', modelDir, root, '--all', '--confusion', png);
    expect(all.status).toBe(0);
    expect(all.stdout).toContain('every sample: 18 samples');
    const bytes = await readFile(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses a folder that is no model directory and a --confusion that is not .png, in one line', () => {
    oneLineError(reelset('evaluate', root, root).stderr, 'REELSET_E_NOT_FOUND');
    oneLineError(
      reelset('evaluate', modelDir, root, '--confusion', join(tmp.path, 'c.jpg')).stderr,
      'REELSET_E_INVALID_ARGUMENT',
    );
  });
});

describe('reelset predict', () => {
  it('--json: one line a sample, 31 probabilities in label-id order summing to 1', () => {
    const run = reelset('predict', modelDir, root, '--json');
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; label: string; labelId: number; probabilities: number[] });
    expect(lines).toHaveLength(18);
    for (const p of lines) {
      expect(Object.keys(p)).toEqual(['id', 'label', 'labelId', 'probabilities']);
      expect(p.probabilities).toHaveLength(31);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(p.probabilities[p.labelId]).toBe(Math.max(...p.probabilities));
    }
  });

  it('predicts one item folder, as a table or JSON', () => {
    const id = readdirSync(join(root, 'City')).sort()[0] as string;
    const item = join(root, 'City', id);
    const json = reelset('predict', modelDir, item, '--json');
    expect(json.status).toBe(0);
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ id });
    const text = reelset('predict', modelDir, item);
    expect(text.stdout.split('\n')[0]).toMatch(/^id +label +predicted +probability$/);
    expect(text.stdout).toMatch(new RegExp(`^${id} +City `, 'm'));
  });

  it('refuses a missing input and a label folder in one line', () => {
    oneLineError(reelset('predict', modelDir, join(tmp.path, 'missing')).stderr, 'REELSET_E_NOT_FOUND');
    oneLineError(reelset('predict', modelDir, join(root, 'Beach')).stderr, 'REELSET_E_INVALID_ARGUMENT');
  });
});

describe('reelset export, and predict with the .onnx file', () => {
  it('exports the model directory to ONNX and a Triton repository; predict model.onnx gives the same labels', async () => {
    const onnx = join(tmp.path, 'model.onnx');
    const triton = join(tmp.path, 'triton');
    const run = reelset(
      'export',
      modelDir,
      '--out',
      onnx,
      '--triton',
      triton,
      '--name',
      'lite',
      '--instances',
      '2',
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^onnx: .*model\.onnx, [\d,]+ bytes, opset 17, [\d,]+ nodes$/m);
    expect(run.stdout).toMatch(/^ {2}input {2}text_data int32 \[batch, 25\]$/m);
    expect(run.stdout).toMatch(/^ {2}output video_label float32 \[batch, 31\]$/m);
    expect(run.stdout).toMatch(
      /^triton: .*lite \(config\.pbtxt, 1\/model\.onnx, labels\.txt\): tritonserver /m,
    );
    expect(await readFile(join(triton, 'lite', '1', 'model.onnx'))).toEqual(await readFile(onnx));
    expect(await readFile(join(triton, 'lite', 'config.pbtxt'), 'utf8')).toMatch(/count: 2\s+kind: KIND_GPU/);

    const parse = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; labelId: number; probabilities: number[] });
    const fromOnnx = reelset('predict', onnx, root, '--json');
    expect(fromOnnx.status).toBe(0);
    expect(fromOnnx.stderr).toMatch(/^onnxruntime: cpu; cuda not used: /);
    const fromTfjs = parse(reelset('predict', modelDir, root, '--json').stdout);
    const onnxLines = parse(fromOnnx.stdout);
    expect(onnxLines.map((p) => [p.id, p.labelId])).toEqual(fromTfjs.map((p) => [p.id, p.labelId]));
    const worst = Math.max(
      ...onnxLines.flatMap((p, i) =>
        p.probabilities.map((v, k) => Math.abs(v - (fromTfjs[i]?.probabilities[k] ?? 0))),
      ),
    );
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('refuses a folder that is no model directory, Triton options without --triton, and a bad .onnx', async () => {
    oneLineError(reelset('export', root, '--out', join(tmp.path, 'x.onnx')).stderr, 'REELSET_E_[A-Z_]+');
    oneLineError(reelset('export', modelDir, '--name', 'x').stderr, 'REELSET_E_INVALID_ARGUMENT');
    oneLineError(
      reelset('export', modelDir, '--out', join(tmp.path, 'x.txt')).stderr,
      'REELSET_E_INVALID_ARGUMENT',
    );
    const bad = join(tmp.path, 'bad.onnx');
    await writeFile(bad, 'nothing');
    oneLineError(reelset('predict', bad, root).stderr, 'REELSET_E_ONNX');
  });
});
