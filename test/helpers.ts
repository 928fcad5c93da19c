/**
 * @module helpers — shared set-up of the tests: temporary folders, synthesized data sets, and one CLI
 * command run in-process with its stdout captured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { vi } from 'vitest';
import { isReelsetError } from '../src/errors.js';
import { type SynthOptions, type SynthReport, synthesize } from '../src/synth/index.js';

/**
 * A temporary folder and a way to remove it.
 *
 * @example
 * ```ts
 * const tmp = await tempDir('cli');
 * await tmp.remove();
 * ```
 */
export async function tempDir(name: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `reelset-${name}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Synthesizes a small data set (3 labels, 1 s clips, broken items included by default) into `dir`.
 *
 * @example
 * ```ts
 * const report = await smallDataset(dir, { perLabel: 2 });
 * ```
 */
export function smallDataset(dir: string, options: SynthOptions = {}): Promise<SynthReport> {
  return synthesize(dir, {
    labels: ['Beach', 'City', 'Green Screen'],
    perLabel: 3,
    seconds: 1,
    seed: 5,
    bad: true,
    ...options,
  });
}

/**
 * Synthesizes the data set of the tools' tests (stats, check, preview) into `dir`: 4 labels (Beach, Sea,
 * City, Green Screen) of 3 items, 0.3 s clips, seed 9, broken items included.
 *
 * @example
 * ```ts
 * const report = await toolsDataset(join(tmp, 'ds'), { seconds: 0.5 });
 * ```
 */
export function toolsDataset(dir: string, options: SynthOptions = {}): Promise<SynthReport> {
  return synthesize(dir, {
    labels: ['Beach', 'Sea', 'City', 'Green Screen'],
    perLabel: 3,
    seconds: 0.3,
    seed: 9,
    bad: true,
    concurrency: 2,
    ...options,
  });
}

/**
 * Runs one command of the `reelset` CLI in-process: `register` adds it to a fresh program that throws
 * instead of exiting and prints no help or errors; `args` are as the user typed them. Returns the chunks
 * written to stdout, in order.
 *
 * @example
 * ```ts
 * const out = (await runCli(registerStats, ['stats', 'data', '--json'])).join('');
 * ```
 */
export async function runCli(
  register: (program: Command) => void,
  args: readonly string[],
): Promise<string[]> {
  const program = new Command('reelset').exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return chunks;
}

/**
 * The `code` of the error `fn` throws: a ReelsetError's code, `'other'` for any other error, undefined
 * when nothing is thrown.
 *
 * @example
 * ```ts
 * expect(thrownCode(() => labelId('Cats'))).toBe('REELSET_E_UNKNOWN_LABEL');
 * ```
 */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isReelsetError(err) ? err.code : 'other';
  }
  return undefined;
}
