import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynthReport } from '../src/synth/index.js';
import { smallDataset, tempDir } from './helpers.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

function reelset(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root = '';
let report: SynthReport;

beforeAll(async () => {
  tmp = await tempDir('cli');
  root = join(tmp.path, 'data');
  report = await smallDataset(root);
});
afterAll(() => tmp.remove());

describe('reelset inspect', () => {
  it('prints one JSON line per sample with id, label, labelId, brief, durationSec and source', () => {
    const run = reelset('inspect', root, '--json');
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const good = report.items.filter((item) => !item.bad);
    // Items whose txt parses and agrees with its folder: all good ones plus the broken media ones.
    expect(lines.length).toBeGreaterThanOrEqual(good.length);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['id', 'label', 'labelId', 'brief', 'durationSec', 'source']);
    }
    const first = good[0];
    const printed = lines.find((line) => line.id === first?.id && line.label === first?.label);
    expect(printed).toMatchObject({ brief: first?.brief, durationSec: 1 });
    expect(run.stderr).toMatch(/skipped .*REELSET_E_PY_LITERAL/);
    expect(run.stderr).toMatch(/skipped .*REELSET_E_BAD_ITEM/);
  });

  it('honours --limit, --labels and --require', () => {
    const limited = reelset('inspect', root, '--json', '--limit', '2');
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);
    const city = reelset('inspect', root, '--json', '--labels', 'City', '--require', 'txt', 'jpeg', 'mp4');
    const labels = city.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { label: string }).label);
    expect(new Set(labels)).toEqual(new Set(['City']));
    const text = reelset('inspect', root, '--limit', '3');
    expect(text.stdout).toMatch(/3 samples, \d+ skipped/);
  });

  it('fails with a one-line message and a non-zero exit on bad input', () => {
    for (const args of [
      ['inspect', join(tmp.path, 'missing')],
      ['inspect', root, '--limit', '0'],
      ['inspect', root, '--labels', 'Cats'],
      ['synth', join(tmp.path, 'x'), '--per-label', 'many'],
    ]) {
      const run = reelset(...args);
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^reelset: REELSET_E_/);
    }
    expect(reelset('no-such-command').status).not.toBe(0);
  });
});

describe('reelset --help and demo', () => {
  it('has --help for the program and every command', () => {
    const top = reelset('--help');
    expect(top.status).toBe(0);
    for (const command of ['synth', 'inspect', 'demo']) {
      expect(top.stdout).toContain(command);
      const help = reelset(command, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^Usage: reelset /);
    }
  });

  it('demo synthesizes, loads, records skips, and resumes', () => {
    const run = reelset('demo');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Synthesized \d+ items/);
    expect(run.stdout).toMatch(/REELSET_E_MISSING_MEDIA/);
    expect(run.stdout).toMatch(/Pipeline: Layout -> Shuffle\(seed=1, buffer=16\) -> Batch\(4\)/);
    expect(run.stdout).toMatch(/resuming gives the next batches/);
    expect(run.stdout).toMatch(/cover 64x64x3 {2}frames 4x64x64x3 at 0\.13, 0\.38, 0\.63, 0\.88 s/);
    expect(run.stdout).toMatch(
      /a collated batch: tokens \[4, 25\], image \[4, 64, 64, 3\], video \[4, 4, 64, 64, 3\]/,
    );
    expect(run.stdout).toMatch(/REELSET_E_BAD_IMAGE/);
  });
});
