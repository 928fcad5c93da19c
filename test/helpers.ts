/** @module helpers — shared set-up of the integration tests: temporary folders and synthesized data sets. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
