/** @module cli.test — `reelset synth`: options, the summary line, invalid values. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers.js';
import { registerSynth } from '../cli/synth.js';
import { isReelsetError } from '../errors.js';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-synth-cli-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function program(): Command {
  const root = new Command('reelset').exitOverride();
  root.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerSynth(root);
  return root;
}

describe('reelset synth', () => {
  it('writes the data set and prints a one-line summary', async () => {
    const dir = join(tmp, 'ok');
    const lines = await runCli(registerSynth, [
      'synth',
      dir,
      '--labels',
      'Beach',
      'Green Screen',
      '--per-label',
      '1',
      '--seconds',
      '0.2',
      '--seed',
      '3',
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synth: 2 items \(0 bad\) in 2 labels, \d+\.\d s -> .*ok\n$/);
    expect((await readdir(dir)).sort()).toEqual(['Beach', 'Green Screen', 'multimodal_data_info.json']);
  });

  it.each([
    ['--per-label', 'abc'],
    ['--per-label', '0'],
    ['--seconds', '-1'],
    ['--seed', '1.5'],
    ['--text-signal', '2'],
    ['--concurrency', '0'],
  ])('rejects %s %s with REELSET_E_INVALID_ARGUMENT', async (flag, value) => {
    const err = await program()
      .parseAsync(['synth', join(tmp, 'never'), flag, value], { from: 'user' })
      .catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
  });

  it('rejects an unknown label with REELSET_E_UNKNOWN_LABEL', async () => {
    const err = await program()
      .parseAsync(['synth', join(tmp, 'never'), '--labels', 'Cats'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_UNKNOWN_LABEL')).toBe(true);
  });
});
