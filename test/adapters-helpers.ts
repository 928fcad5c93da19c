/** @module adapters-helpers — a small synthesized data set shared by the adapter tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../src/synth/index.js';

/** The labels of the small set: 4 labels x 3 items = 12 samples. */
export const SMALL_LABELS = ['Beach', 'City', 'Sea', 'stars'] as const;

/**
 * Synthesizes the small set (0.5 s clips) into a new temporary folder; `cleanup` removes it.
 *
 * @example
 * ```ts
 * const { root, cleanup } = await smallSet();
 * ```
 */
export async function smallSet(perLabel = 3): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'reelset-adapters-'));
  await synthesize(root, { labels: SMALL_LABELS, perLabel, seconds: 0.5, seed: 7 });
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Small decoding options: every modality, tiny pixels. */
export const SMALL_DECODE = {
  text: true,
  image: { height: 8, width: 12 },
  video: { frames: 2, height: 6, width: 10 },
} as const;
