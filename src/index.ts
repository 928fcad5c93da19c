/**
 * @module reelset — the core: typed, restartable, resumable loading of multimodal short-video data sets
 * (text brief + cover JPEG + MP4 + label): datasets, the on-disk layout, the catalog, decoding, download,
 * errors, labels, collate, ndarray and plain adapters. It loads no tfjs, sharp or onnxruntime on import;
 * those live behind `reelset/tf`, `reelset/tools` and `reelset/synth`.
 */

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
export type { DecodedImage, ImageFit, ImageKernel, ImageOptions } from './loaders/decode/image.js';
export { decodeImage } from './loaders/decode/image.js';
export type { ImageFormat, ImageHeader } from './loaders/decode/image-header.js';
export { readImageHeader } from './loaders/decode/image-header.js';
export type { Normalize, PixelFormat } from './loaders/decode/pixels.js';
export type { DecodedSample, DecodeOptions, Modality, TextDecodeOptions } from './loaders/decode/stage.js';
export { decodeSamples } from './loaders/decode/stage.js';
export type { BuildVocabOptions, EncodeOptions, TokenizeOptions } from './loaders/decode/text.js';
export { buildVocab, tokenize, Vocab, vocabFromTexts } from './loaders/decode/text.js';
export type { FrameSampling, VideoFrames, VideoInfo, VideoOptions } from './loaders/decode/video.js';
export { decodeVideo, probeVideo } from './loaders/decode/video.js';
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
export type { OpenDatasetOptions } from './loaders/open.js';
export { openDataset } from './loaders/open.js';
export type { OnError, Sample, Skip } from './loaders/sample.js';
export type { ShardCacheOptions } from './loaders/shards/cache.js';
export type { ShardErrorDetails } from './loaders/shards/errors.js';
export { ShardError } from './loaders/shards/errors.js';
export type { ManifestShard, Preprocessing, ShardManifest } from './loaders/shards/format.js';
export type { OpenShardsOptions } from './loaders/shards/open-shards.js';
export { openShards } from './loaders/shards/open-shards.js';
export type { PackDecoded, PackOptions, PackProgress, PackReport } from './loaders/shards/pack.js';
export { mergeShards, packShards } from './loaders/shards/pack.js';
export type { PartitionOptions } from './loaders/shards/partition.js';
export { launcherRank } from './loaders/shards/partition.js';
export type { ShardSample } from './loaders/shards/shards-source.js';
export type { S3ClientLike, StoreOptions } from './loaders/shards/store.js';
