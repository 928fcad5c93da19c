/**
 * @module loaded-modules.test — what importing the built package loads: `reelset` (ESM and CJS) and the
 * `reelset` command for `--help` and `inspect` load none of tfjs, sharp, onnxruntime (nor the cover decoder
 * and undici, loaded at first use); the subpath entries do load theirs, which shows the recorder sees them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';
import { tempDir } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const RECORDER = join(ROOT, 'test', 'fixtures', 'record-modules.mjs');

/** Packages that `import 'reelset'` must not load: the heavy ones, and those loaded at first use. */
const HEAVY = ['@tensorflow', 'sharp', '@img', 'onnxruntime-node', 'onnxruntime-common'];
const LAZY = ['@napi-rs/image', 'undici'];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let run = 0;

beforeAll(async () => {
  tmp = await tempDir('loaded-modules');
});
afterAll(() => tmp.remove());

/** Runs node with the recorder preloaded and returns every module file or URL it loaded. */
function loaded(args: string[]): string[] {
  const out = join(tmp.path, `modules-${run++}.txt`);
  const child = spawnSync(process.execPath, ['--import', RECORDER, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REELSET_MODULES_OUT: out },
  });
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return readFileSync(out, 'utf8').split('\n').filter(Boolean);
}

/** The packages of `names` that some loaded module belongs to. */
function packagesLoaded(modules: string[], names: string[]): string[] {
  return names.filter((name) => modules.some((m) => m.includes(`/node_modules/${name}/`)));
}

const esm = (specifier: string): string[] => ['--input-type=module', '-e', `await import('${specifier}');`];
const cjs = (specifier: string): string[] => ['-e', `require('${specifier}');`];

describe('importing reelset', () => {
  it('ESM: loads the core only, none of tfjs, sharp, onnxruntime, @napi-rs/image, undici', () => {
    const modules = loaded(esm('reelset'));
    expect(modules.some((m) => m.endsWith('/dist/index.js'))).toBe(true);
    expect(packagesLoaded(modules, [...HEAVY, ...LAZY])).toEqual([]);
  });

  it('CJS: loads the core only, none of tfjs, sharp, onnxruntime, @napi-rs/image, undici', () => {
    const modules = loaded(cjs('reelset'));
    expect(modules.some((m) => m.endsWith('/dist/index.cjs'))).toBe(true);
    expect(packagesLoaded(modules, [...HEAVY, ...LAZY])).toEqual([]);
  });

  it('the subpath entries load what they wrap (the recorder sees heavy packages)', () => {
    expect(packagesLoaded(loaded(esm('reelset/tf')), HEAVY)).toContain('@tensorflow');
    expect(packagesLoaded(loaded(cjs('reelset/tf')), HEAVY)).toContain('@tensorflow');
    expect(packagesLoaded(loaded(esm('reelset/tools')), HEAVY)).toContain('sharp');
    expect(packagesLoaded(loaded(cjs('reelset/synth')), HEAVY)).toContain('sharp');
    expect(packagesLoaded(loaded(esm('reelset/baseline')), HEAVY)).toContain('@tensorflow');
    expect(packagesLoaded(loaded(cjs('reelset/baseline')), HEAVY)).toContain('@tensorflow');
  });
});

describe('the reelset command', () => {
  const main = join(ROOT, 'dist', 'cli', 'main.js');

  it('--help loads none of tfjs, sharp, onnxruntime', () => {
    const modules = loaded([main, '--help']);
    expect(modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(packagesLoaded(modules, HEAVY)).toEqual([]);
  });

  it('train --help loads none of tfjs, sharp, onnxruntime', () => {
    expect(packagesLoaded(loaded([main, 'train', '--help']), HEAVY)).toEqual([]);
  });

  it('inspect loads none of tfjs, sharp, onnxruntime', async () => {
    const root = join(tmp.path, 'data');
    await synthesize(root, { labels: ['Beach'], perLabel: 1, seconds: 0.2, seed: 1 });
    const modules = loaded([main, 'inspect', root, '--limit', '1']);
    expect(packagesLoaded(modules, HEAVY)).toEqual([]);
  });
});
