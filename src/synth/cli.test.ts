/** @module cli.test — `reelset synth`: options, the summary line, invalid values. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

  it('refuses a folder that is not empty unless --force; --base-url writes served URLs', async () => {
    const dir = join(tmp, 'again');
    const args = ['synth', dir, '--labels', 'Sea', '--per-label', '1', '--seconds', '0.2'];
    await runCli(registerSynth, args);
    const err = await program()
      .parseAsync(args.slice(), { from: 'user' })
      .catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/is not empty .*--force/);
    const lines = await runCli(registerSynth, [...args, '--force', '--base-url', 'http://127.0.0.1:9/data/']);
    expect(lines[0]).toMatch(/^synth: 1 item \(0 bad\) in 1 label, /);
    const catalog = await readFile(join(dir, 'multimodal_data_info.json'), 'utf8');
    expect(catalog).toMatch(/"mp4_download_url": "http:\/\/127\.0\.0\.1:9\/data\/Sea\/\d+\/[\w.]+\.mp4"/);
  });

  it('rejects an unknown label with REELSET_E_UNKNOWN_LABEL', async () => {
    const err = await program()
      .parseAsync(['synth', join(tmp, 'never'), '--labels', 'Cats'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_UNKNOWN_LABEL')).toBe(true);
    const lower = await program()
      .parseAsync(['synth', join(tmp, 'never'), '--labels', 'green screen'], { from: 'user' })
      .catch((e: unknown) => e);
    expect((lower as Error).message).toBe('Unknown label "green screen" (did you mean "Green Screen"?)');
  });
});
