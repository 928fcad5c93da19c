/**
 * @module reelset/baseline — the baseline classifier: build it (`createBaseline`, presets `lite` and
 * `seed`), decode data for it (`presetPreprocessing`, `decodeOptionsFor`), train it (`trainBaseline`: cached
 * decoding, checkpoints, resume), save and load a model directory (`saveBaseline`, `loadBaseline`), evaluate
 * it (`evaluate`, with a per-modality ablation; `writeConfusionPng`) and predict (`predict`, `predictions`).
 * @tensorflow/tfjs is a peer dependency: importing this entry loads the user's copy when it is installed;
 * without it the import succeeds and each function that needs it throws `REELSET_E_MISSING_PEER`.
 */
import { preloadTfjs } from './adapters/tfjs.js';

export type { ConfusionPlotOptions } from './baseline/confusion.js';
export { writeConfusionPng } from './baseline/confusion.js';
export type { EvaluateOptions, EvaluationResult, ModalityAblation } from './baseline/evaluate.js';
export { evaluate } from './baseline/evaluate.js';
export type { ModalityName } from './baseline/inputs.js';
export type { ClassificationMetrics, ClassMetrics, ConfusionMatrix } from './baseline/metrics.js';
export type { BaselineOptions, LiteSizes, SeedSizes } from './baseline/model.js';
export { createBaseline } from './baseline/model.js';
export type {
  BaselineInfo,
  BaselineParts,
  EpochRecord,
  LoadedBaseline,
  TrainingSummary,
} from './baseline/model-dir.js';
export {
  loadBaseline,
  readBaselineInfo,
  saveBaseline,
  updateBaselineMetrics,
} from './baseline/model-dir.js';
export type { Prediction, PredictOptions } from './baseline/predict.js';
export { predict, predictions } from './baseline/predict.js';
export type {
  BaselineDecodeOptions,
  BaselinePreset,
  ImagePreprocessing,
  Preprocessing,
  PreprocessingOverrides,
  TextPreprocessing,
  VideoPreprocessing,
} from './baseline/preprocessing.js';
export { decodeOptionsFor, presetPreprocessing } from './baseline/preprocessing.js';
export type { EarlyStoppingOptions, TrainOptions, TrainProgress, TrainResult } from './baseline/train.js';
export { trainBaseline } from './baseline/train.js';

preloadTfjs();
