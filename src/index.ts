export type { BackendChoice, BackendKind, BackendProbe, SelectBackendOptions } from './adapters/backend.js';
export { BACKEND_ORDER, probeBackends, selectBackend } from './adapters/backend.js';
export type {
  Batch,
  BatchingOptions,
  CollateOptions,
  Column,
  PixelArray,
  PixelLayout,
} from './adapters/collate.js';
export { collate, collateBatches } from './adapters/collate.js';
export type { NdarrayBatch, NdarrayOptions } from './adapters/ndarray.js';
export { batchToNdarray, toNdarray } from './adapters/ndarray.js';
export type { PlainOptions, PlainSample } from './adapters/plain.js';
export { plainSample, toPlain } from './adapters/plain.js';
export type { InputNames, TfBatch, TfDatasetOptions } from './adapters/tf-data.js';
export { toTfDataset } from './adapters/tf-data.js';
/**
 * @module reelset — the public API: typed, restartable, resumable loading of multimodal short-video data
 * sets (text brief + cover JPEG + MP4 + label). Everything here is a named export; nothing else is public.
 */

export type { ReelsetErrorCode } from './errors.js';
export { ERROR_CODES, FfmpegError, isReelsetError, ParseError, ReelsetError } from './errors.js';
export type {
  CatalogEntry,
  CatalogPosition,
  CatalogSource,
  ReadCatalogOptions,
} from './loaders/catalog/catalog.js';
export { catalogSource, readCatalog } from './loaders/catalog/catalog.js';
export type {
  BatchOptions,
  CacheOptions,
  DatasetIterator,
  IterationState,
  MapOptions,
  ShardOptions,
  ShuffleOptions,
  SplitOptions,
  Splits,
} from './loaders/dataset/dataset.js';
export { Dataset } from './loaders/dataset/dataset.js';
export type { Json, PassContext, Positioned, Source } from './loaders/dataset/source.js';
export type {
  DecodedImage,
  ImageFit,
  ImageKernel,
  ImageOptions,
  ResolvedImageOptions,
} from './loaders/decode/image.js';
export {
  DEFAULT_LIMIT_INPUT_PIXELS,
  decodeImage,
  IMAGE_DEFAULTS,
  resolveImageOptions,
  SEED_IMAGE,
} from './loaders/decode/image.js';
export type { ImageFormat, ImageHeader } from './loaders/decode/image-header.js';
export { readImageHeader } from './loaders/decode/image-header.js';
export type { Normalize, PixelFormat } from './loaders/decode/pixels.js';
export { convertPixels } from './loaders/decode/pixels.js';
export type { DecodedSample, DecodeOptions, Modality, TextDecodeOptions } from './loaders/decode/stage.js';
export { decodeSamples } from './loaders/decode/stage.js';
export type { BuildVocabOptions, EncodeOptions, TokenizeOptions } from './loaders/decode/text.js';
export { buildVocab, DEFAULT_MAX_LENGTH, tokenize, Vocab, vocabFromTexts } from './loaders/decode/text.js';
export type {
  FrameSampling,
  ResolvedVideoOptions,
  VideoFrames,
  VideoInfo,
  VideoOptions,
} from './loaders/decode/video.js';
export { decodeVideo, probeVideo, resolveVideoOptions, SEED_VIDEO_OPTIONS } from './loaders/decode/video.js';
export type {
  DownloadFailure,
  DownloadOptions,
  DownloadProgress,
  DownloadReport,
  PlanFilters,
} from './loaders/download/download.js';
export { download } from './loaders/download/download.js';
export { formatDuration, paddedId, parseDuration } from './loaders/layout/fields.js';
export type { Label } from './loaders/layout/labels.js';
export { isLabel, LABELS, labelId, labelName } from './loaders/layout/labels.js';
export type { LayoutOptions, LayoutPosition, LayoutSource } from './loaders/layout/layout-source.js';
export { layoutSource } from './loaders/layout/layout-source.js';
export type { MediaKind } from './loaders/layout/naming.js';
export { originalCoverUrl, originalMp4Url } from './loaders/layout/naming.js';
export { parsePythonDict } from './loaders/layout/py-literal.js';
export type { ItemTxtFields } from './loaders/layout/py-repr.js';
export { itemTxt, pyDictLiteral, pyRepr } from './loaders/layout/py-repr.js';
export type { ProblemKind } from './loaders/layout/scan.js';
export type { OpenDatasetOptions } from './loaders/open.js';
export { openDataset } from './loaders/open.js';
export type { OnError, Sample, Skip } from './loaders/sample.js';
export type { BadKind, SynthFiles, SynthItem, SynthOptions, SynthReport } from './synth/index.js';
export { BAD_KINDS, synthesize } from './synth/index.js';
export type { CheckOptions, CheckProblem, CheckRename, CheckSummary } from './tools/check.js';
export { checkDataset } from './tools/check.js';
export type { PreviewOptions, PreviewResult, SheetGeometry } from './tools/preview.js';
export { previewSheet, sheetGeometry } from './tools/preview.js';
export type {
  DatasetStats,
  DiskStats,
  DurationBin,
  DurationStats,
  LabelCount,
  SharedIds,
  StatsOptions,
} from './tools/stats.js';
export { computeStats, DURATION_EDGES } from './tools/stats.js';
export type { StatsPlotOptions } from './tools/stats-plot.js';
export { plotStats, statsChart } from './tools/stats-plot.js';
