/**
 * @module reelset/tools — looking at a data set before training on it: statistics and their chart
 * (`computeStats`, `plotStats`), a check of every file (`checkDataset`) and contact sheets (`previewSheet`).
 * Importing it loads sharp.
 */

export type { ProblemKind } from './loaders/layout/scan.js';
export type { CheckOptions, CheckProblem, CheckRename, CheckSummary } from './tools/check.js';
export { checkDataset } from './tools/check.js';
export type { CjkFont } from './tools/fonts.js';
export { ensureCjkFont } from './tools/fonts.js';
export type { PreviewOptions, PreviewResult } from './tools/preview.js';
export { previewSheet } from './tools/preview.js';
export type {
  DatasetStats,
  DiskStats,
  DurationBin,
  DurationStats,
  LabelCount,
  SharedIds,
  StatsOptions,
} from './tools/stats.js';
export { computeStats } from './tools/stats.js';
export type { StatsPlotOptions } from './tools/stats-plot.js';
export { plotStats } from './tools/stats-plot.js';
