/**
 * @module reelset/synth — the synthesizer of test data sets in the original's on-disk layout (txt + cover
 * JPEG + H.264 MP4 + catalog), deterministic for a seed, optionally with one broken item of each kind.
 * Importing it loads sharp.
 */

export type { BadKind, SynthFiles, SynthItem, SynthOptions, SynthReport } from './synth/index.js';
export { BAD_KINDS, synthesize } from './synth/index.js';
