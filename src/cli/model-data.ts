/**
 * @module model-data — what `train`, `evaluate` and `predict` share: the split of a data set root into
 * train / validation / test (fractions 0.8 / 0.1 / 0.1 by a stable hash of each id and the seed, so the
 * same root and seed give the same test split on every run and machine), the seed's default, and how the
 * split is recorded in a model directory, and loading a trained model with the decoding it needs.
 */
import type { LoadedBaseline } from '../baseline/model-dir.js';
import type { BaselineDecodeOptions } from '../baseline/preprocessing.js';
import { ReelsetError } from '../errors.js';
import type { Json } from '../loaders/dataset/source.js';

/**
 * How a root is split: the fractions of each part and the seed. `train` records it in the model
 * directory's `reelset.json` (`metrics.test.split`, and the seed in `training.options.seed`); `evaluate`
 * reads it back to evaluate on the same test split.
 *
 * @example
 * ```ts
 * const split: SplitRecord = { train: 0.8, validation: 0.1, test: 0.1, seed: 1 };
 * ```
 */
export interface SplitRecord {
  train: number;
  validation: number;
  test: number;
  seed: number;
}

/**
 * The fractions of the split (train, validation, test).
 *
 * @example
 * ```ts
 * openDataset('data').split({ ...SPLIT_FRACTIONS, seed: DEFAULT_SEED });
 * ```
 */
export const SPLIT_FRACTIONS = Object.freeze({ train: 0.8, validation: 0.1, test: 0.1 });

/**
 * The default `--seed` of `train` (split, weights and shuffles).
 *
 * @example
 * ```ts
 * const seed = options.seed ?? DEFAULT_SEED; // 1
 * ```
 */
export const DEFAULT_SEED = 1;

/**
 * The split a model directory records: `metrics.test.split` written by `reelset train`, else the
 * default fractions with the training seed, else {@link DEFAULT_SEED}.
 *
 * @example
 * ```ts
 * const split = recordedSplit(info.metrics, info.training?.options.seed);
 * ```
 */
export function recordedSplit(
  metrics: { [name: string]: Json },
  trainingSeed: number | undefined,
): SplitRecord {
  const test = metrics.test as { split?: Partial<SplitRecord> } | undefined;
  const s = test?.split;
  if (
    s !== undefined &&
    typeof s.train === 'number' &&
    typeof s.validation === 'number' &&
    typeof s.test === 'number' &&
    typeof s.seed === 'number'
  ) {
    return { train: s.train, validation: s.validation, test: s.test, seed: s.seed };
  }
  return { ...SPLIT_FRACTIONS, seed: trainingSeed ?? DEFAULT_SEED };
}

/**
 * A number with `digits` decimals, for the text reports.
 *
 * @example
 * ```ts
 * fixed(0.123456); // '0.123'
 * ```
 */
export function fixed(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/**
 * Loads the model directory `reelset train` wrote, with the decode options its preprocessing and
 * vocabulary give (`concurrency` samples decoded at once when given). Loads @tensorflow/tfjs.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the directory records no preprocessing or
 *   vocabulary (it was not written by `reelset train`).
 * @example
 * ```ts
 * const { loaded, decode } = await loadTrained('model', 4);
 * ```
 */
export async function loadTrained(
  modelDir: string,
  concurrency: number | undefined,
): Promise<{ loaded: LoadedBaseline; decode: BaselineDecodeOptions & { concurrency?: number } }> {
  const { decodeOptionsFor, loadBaseline } = await import('../baseline.js');
  const loaded = await loadBaseline(modelDir);
  if (loaded.preprocessing === null || loaded.vocab === undefined) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `${modelDir} records no preprocessing or vocabulary: it was not written by reelset train`,
    );
  }
  const decode = {
    ...decodeOptionsFor(loaded.preprocessing, loaded.vocab),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
  return { loaded, decode };
}
