/**
 * @module view-modules.test — `reelset view` without `--model` loads none of tfjs and onnxruntime (the
 * built command, with the module recorder of loaded-modules.test), and a missing `.onnx` model is one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';
import { tempDir } from './helpers.js';

const REPO = join(import.meta.dirname, '..');
const MAIN = join(REPO, 'dist', 'cli', 'main.js');
const RECORDER = join(REPO, 'test', 'fixtures', 'record-modules.mjs');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root = '';

beforeAll(async () => {
  tmp = await tempDir('view-modules');
  root = join(tmp.path, 'data');
  await synthesize(root, { labels: ['Beach'], perLabel: 1, seconds: 0.2, seed: 1 });
});
afterAll(() => tmp.remove());

describe('reelset view', () => {
  it('without --model loads none of tfjs and onnxruntime', async () => {
    const out = join(tmp.path, 'modules.txt');
    const child = spawn(
      process.execPath,
      ['--import', RECORDER, MAIN, 'view', root, '--cache-dir', join(tmp.path, 't')],
      {
        cwd: REPO,
        env: { ...process.env, REELSET_MODULES_OUT: out },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stopped = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // One SIGTERM: the command stops on the first and, like a second Ctrl-C, dies on another.
        if (!stopped && /\?token=[0-9a-f]{48}$/m.test(stdout)) {
          stopped = true;
          child.kill('SIGTERM');
        }
      });
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    const modules = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(modules.some((m) => m.includes('/node_modules/hono/'))).toBe(true);
    for (const name of ['@tensorflow', 'onnxruntime-node', 'onnxruntime-common']) {
      expect(modules.filter((m) => m.includes(`/node_modules/${name}/`))).toEqual([]);
    }
  });

  it('refuses a missing .onnx model in one line', () => {
    const run = spawnSync(process.execPath, [MAIN, 'view', root, '--model', join(tmp.path, 'model.onnx')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^reelset: REELSET_E_(NOT_FOUND|MISSING_PEER): [^\n]+$/);
  });
});
