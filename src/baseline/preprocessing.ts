/**
 * @module baseline/preprocessing — the one preprocessing config of a baseline model: the model's input shapes and
 * the decode options of its data are both read from it, never restated by hand.
 */
import type { ImageFit, ImageKernel, ImageOptions } from '../loaders/decode/image.js';
import { resolveImageOptions, SEED_IMAGE } from '../loaders/decode/image.js';
import type { Normalize } from '../loaders/decode/pixels.js';
import type { TextDecodeOptions } from '../loaders/decode/stage.js';
import { DEFAULT_MAX_LENGTH, Vocab } from '../loaders/decode/text.js';
import type { FrameSampling, VideoOptions } from '../loaders/decode/video.js';
import { resolveVideoOptions, SEED_VIDEO_OPTIONS } from '../loaders/decode/video.js';
import type { MediaKind } from '../loaders/layout/naming.js';
import { checkBoolean, checkInteger, checkOneOf, describeValue, invalidArgument } from '../util/options.js';

/**
 * The two baseline presets: `'lite'` (the default: a small late-fusion model that trains on a laptop's CPU
 * with pure TensorFlow.js in minutes) and `'seed'` (the original project's model, layer for layer, on the
 * original's preprocessing).
 *
 * @example
 * ```ts
 * const preset: BaselinePreset = 'lite';
 * ```
 */
export type BaselinePreset = 'lite' | 'seed';

/**
 * The presets, in a fixed order.
 *
 * @example
 * ```ts
 * for (const preset of BASELINE_PRESETS) console.log(presetPreprocessing(preset).image.height);
 * ```
 */
export const BASELINE_PRESETS: readonly BaselinePreset[] = Object.freeze(['lite', 'seed']);

/**
 * The text part of a {@link Preprocessing}: token ids of length `maxLength` (0 pad, 1..vocabSize the
 * vocabulary, vocabSize + 1 out-of-vocabulary, so the model's text input takes vocabSize + 2 values).
 *
 * @example
 * ```ts
 * const text: TextPreprocessing = { maxLength: 25, lowercase: true, vocabSize: 5_000 };
 * ```
 */
export interface TextPreprocessing {
  /** Ids per brief, post-padded with 0 and post-truncated. */
  maxLength: number;
  /** Lower-case the tokens (the vocabulary must be built the same way). */
  lowercase: boolean;
  /** N, the tokens of the vocabulary (ids 1..N); the model's text input size is N + 2. */
  vocabSize: number;
}

/**
 * The cover part of a {@link Preprocessing}: resolved {@link ImageOptions}, always float32 and channels-last
 * (what the model's `image_data` input takes).
 *
 * @example
 * ```ts
 * const image: ImagePreprocessing = {
 *   height: 64, width: 64, fit: 'fill', kernel: 'linear', channels: 'rgb', dtype: 'float32', normalize: 'unit',
 *   layout: 'channels-last',
 * };
 * ```
 */
export interface ImagePreprocessing {
  height: number;
  width: number;
  fit: ImageFit;
  kernel: ImageKernel;
  channels: 'rgb' | 'bgr';
  dtype: 'float32';
  normalize: Normalize;
  layout: 'channels-last';
}

/**
 * The clip part of a {@link Preprocessing}: resolved {@link VideoOptions} that decide the pixels, always
 * float32 and channels-last (what the model's `video_data` input takes). `fps`, `seed`, `short` and
 * `skipLoopFilter` are there when they differ from the decoder's defaults.
 *
 * @example
 * ```ts
 * const video: VideoPreprocessing = {
 *   frames: 4, height: 32, width: 32, sampling: 'uniform', channels: 'rgb', dtype: 'float32', normalize: 'unit',
 *   layout: 'channels-last',
 * };
 * ```
 */
export interface VideoPreprocessing {
  frames: number;
  height: number;
  width: number;
  sampling: FrameSampling;
  channels: 'rgb' | 'bgr';
  dtype: 'float32';
  normalize: Normalize;
  layout: 'channels-last';
  /** Frames a second, for `sampling: 'fps'`. */
  fps?: number;
  /** Seed of `sampling: 'random'`. */
  seed?: number;
  /** What a clip with fewer frames than `frames` does: `'pad'` (the decoder's default) or `'skip'`. */
  short?: 'pad' | 'skip';
  /** Decode with `-skip_loop_filter all`. */
  skipLoopFilter?: boolean;
}

/**
 * The one preprocessing config of a baseline model: `createBaseline` builds its inputs from it
 * (`text_data` [B, maxLength] over vocabSize + 2 ids, `image_data` [B, height, width, 3], `video_data`
 * [B, frames, height, width, 3]) and {@link decodeOptionsFor} turns it into the decode options of the data,
 * so the two cannot disagree. A plain JSON value: the model directory saves it beside the weights.
 *
 * @example
 * ```ts
 * const pre: Preprocessing = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
 * JSON.parse(JSON.stringify(pre)); // the same value
 * ```
 */
export interface Preprocessing {
  preset: BaselinePreset;
  text: TextPreprocessing;
  image: ImagePreprocessing;
  video: VideoPreprocessing;
}

/**
 * Values that change a preset's {@link Preprocessing}, one modality at a time (keys not given keep the
 * preset's value). `dtype` and `layout` cannot change: the model takes float32, channels-last.
 *
 * @example
 * ```ts
 * const overrides: PreprocessingOverrides = { text: { vocabSize: 812 }, video: { frames: 8 } };
 * ```
 */
export interface PreprocessingOverrides {
  text?: Partial<TextPreprocessing>;
  image?: Partial<Omit<ImagePreprocessing, 'dtype' | 'layout'>>;
  video?: Partial<Omit<VideoPreprocessing, 'dtype' | 'layout'>>;
}

/**
 * The decode options {@link decodeOptionsFor} gives: those of `openDataset` / `decodeSamples` (spread
 * them into an `OpenDatasetOptions` object and add `concurrency`, `onSkip`, `labels` as you like).
 *
 * @example
 * ```ts
 * const options: BaselineDecodeOptions = decodeOptionsFor(pre, vocab);
 * const data = openDataset('data', { ...options, onSkip: (skip) => skips.push(skip) });
 * ```
 */
export interface BaselineDecodeOptions {
  text: TextDecodeOptions & { vocab: Vocab; maxLength: number; lowercase: boolean };
  image: ImageOptions;
  video: VideoOptions;
  /** `['txt']`: an item lacking its cover or clip is kept, zero-filled and masked (its mask is 0). */
  require: readonly MediaKind[];
}

/**
 * The default vocabulary sizes: `lite` keeps the 20,000 commonest tokens (`buildVocab(..., { maxSize })`),
 * `seed` is sized as the original (about 23,500 tokens, 12.0 M parameters).
 *
 * @example
 * ```ts
 * const vocab = await buildVocab(train, { lowercase: true, maxSize: DEFAULT_VOCAB_SIZE.lite });
 * ```
 */
export const DEFAULT_VOCAB_SIZE: Readonly<Record<BaselinePreset, number>> = Object.freeze({
  lite: 20_000,
  seed: 23_498,
});

const IMAGE_KEYS = ['height', 'width', 'fit', 'kernel', 'channels', 'dtype', 'normalize', 'layout'] as const;
const VIDEO_KEYS = [
  'frames',
  'height',
  'width',
  'sampling',
  'channels',
  'dtype',
  'normalize',
  'layout',
] as const;
const VIDEO_EXTRA = ['fps', 'seed', 'short', 'skipLoopFilter'] as const;
const TEXT_KEYS = ['maxLength', 'lowercase', 'vocabSize'] as const;

const PRESET_VALUES: Readonly<Record<BaselinePreset, Preprocessing>> = Object.freeze({
  // Measured choices (bench/baseline-layers.bench.ts): a 64x64 cover the model averages down to 16x16, and
  // 4 frames of 32x32 sampled over the whole clip (cut into 4x4 space-time patches by the model): on the
  // synthetic set each modality alone carries its signal (text and cover about 45% test accuracy each, the
  // clip 98%), a decoded sample weighs 96 KiB (float32), and a clip decodes in one ffmpeg pass.
  lite: {
    preset: 'lite',
    text: { maxLength: DEFAULT_MAX_LENGTH, lowercase: true, vocabSize: DEFAULT_VOCAB_SIZE.lite },
    image: {
      height: 64,
      width: 64,
      fit: 'fill',
      kernel: 'linear',
      channels: 'rgb',
      dtype: 'float32',
      normalize: 'unit',
      layout: 'channels-last',
    },
    video: {
      frames: 4,
      height: 32,
      width: 32,
      sampling: 'uniform',
      channels: 'rgb',
      dtype: 'float32',
      normalize: 'unit',
      layout: 'channels-last',
    },
  },
  // The original's preprocessing (compat: 'seed'): 25 case-sensitive ids, a 270x480 [-1, 1] RGB cover, the
  // first 3 frames at 360x640, BGR 0-255, short clips skipped.
  seed: {
    preset: 'seed',
    text: { maxLength: DEFAULT_MAX_LENGTH, lowercase: false, vocabSize: DEFAULT_VOCAB_SIZE.seed },
    image: pick(SEED_IMAGE, IMAGE_KEYS) as unknown as ImagePreprocessing,
    video: {
      ...(pick(SEED_VIDEO_OPTIONS, VIDEO_KEYS) as unknown as VideoPreprocessing),
      short: 'skip',
    },
  },
});

function pick<T extends object>(from: T, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (from as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalidArgument(`${where}: unknown option ${JSON.stringify(key)}`);
  }
}

/** A deep copy of a JSON value (the normalize object included), so no caller shares our frozen objects. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Checks a {@link Preprocessing} (one read back from a model directory, or made by hand) and returns a
 * fresh copy of it: every field present and valid, `dtype` float32, `layout` channels-last, and the
 * decoder's own checks of the image and video options.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` naming the first bad field.
 * @example
 * ```ts
 * const pre = checkPreprocessing(JSON.parse(await readFile('model/preprocessing.json', 'utf8')));
 * ```
 */
export function checkPreprocessing(value: unknown): Preprocessing {
  if (!isObject(value)) throw invalidArgument(`preprocessing must be an object, got ${describeValue(value)}`);
  checkKeys('preprocessing', value, ['preset', 'text', 'image', 'video']);
  const preset = checkOneOf('preprocessing.preset', value.preset, BASELINE_PRESETS);
  const { text, image, video } = value;
  if (!isObject(text)) throw invalidArgument('preprocessing.text must be an object');
  if (!isObject(image)) throw invalidArgument('preprocessing.image must be an object');
  if (!isObject(video)) throw invalidArgument('preprocessing.video must be an object');
  checkKeys('preprocessing.text', text, TEXT_KEYS);
  checkKeys('preprocessing.image', image, IMAGE_KEYS);
  checkKeys('preprocessing.video', video, [...VIDEO_KEYS, ...VIDEO_EXTRA]);
  const checkedText: TextPreprocessing = {
    maxLength: checkInteger('preprocessing.text.maxLength', text.maxLength, 1, 100_000),
    lowercase: checkBoolean('preprocessing.text.lowercase', text.lowercase ?? null, false),
    vocabSize: checkInteger('preprocessing.text.vocabSize', text.vocabSize, 0, 100_000_000),
  };
  for (const key of IMAGE_KEYS) {
    if (image[key] === undefined) throw invalidArgument(`preprocessing.image.${key} is missing`);
  }
  for (const key of VIDEO_KEYS) {
    if (video[key] === undefined) throw invalidArgument(`preprocessing.video.${key} is missing`);
  }
  checkOneOf('preprocessing.image.dtype', image.dtype, ['float32'] as const);
  checkOneOf('preprocessing.image.layout', image.layout, ['channels-last'] as const);
  checkOneOf('preprocessing.video.dtype', video.dtype, ['float32'] as const);
  checkOneOf('preprocessing.video.layout', video.layout, ['channels-last'] as const);
  const resolvedImage = resolveImageOptions(image as ImageOptions);
  const resolvedVideo = resolveVideoOptions(video as VideoOptions);
  return copy({
    preset,
    text: checkedText,
    image: pick(resolvedImage, IMAGE_KEYS) as unknown as ImagePreprocessing,
    video: {
      ...(pick(resolvedVideo, VIDEO_KEYS) as unknown as VideoPreprocessing),
      ...pick(
        resolvedVideo,
        VIDEO_EXTRA.filter((k) => video[k] !== undefined),
      ),
    },
  });
}

/**
 * The {@link Preprocessing} of a preset, with `overrides` applied key by key and the result checked. Pass
 * the vocabulary's size here once it is built, so that the model's text input and the data agree:
 *
 * - `lite` (the default preset): 25 lower-cased ids of a vocabulary of up to 20,000 tokens; a 64x64 RGB
 *   cover scaled to [0, 1]; 4 frames sampled uniformly over the clip at 32x32, RGB [0, 1].
 * - `seed`: the original's preprocessing (`compat: 'seed'`): 25 case-sensitive ids (vocabulary 23,498 by
 *   default, the original's size), a 270x480 RGB cover scaled to [-1, 1], the first 3 frames at 360x640,
 *   BGR 0-255, short clips skipped.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an unknown preset, an unknown key or a bad value
 *   (a `dtype` other than float32, a `layout` other than channels-last).
 * @example
 * ```ts
 * const base = presetPreprocessing('lite');
 * const vocab = await buildVocab(trainSamples, { lowercase: base.text.lowercase, maxSize: base.text.vocabSize });
 * const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
 * const model = createBaseline({ preprocessing: pre });
 * const train = openDataset('data', decodeOptionsFor(pre, vocab)).cache();
 * ```
 */
export function presetPreprocessing(
  preset: BaselinePreset = 'lite',
  overrides: PreprocessingOverrides = {},
): Preprocessing {
  checkOneOf('preset', preset, BASELINE_PRESETS);
  if (!isObject(overrides))
    throw invalidArgument(`overrides must be an object, got ${describeValue(overrides)}`);
  checkKeys('overrides', overrides, ['text', 'image', 'video']);
  const base = PRESET_VALUES[preset];
  const merged: Record<string, unknown> = { preset };
  for (const part of ['text', 'image', 'video'] as const) {
    const given = overrides[part];
    if (given !== undefined && !isObject(given)) throw invalidArgument(`overrides.${part} must be an object`);
    const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
    merged[part] = { ...base[part], ...defined };
  }
  return checkPreprocessing(merged);
}

/**
 * The decode options of the data a baseline model reads, from its {@link Preprocessing} and the vocabulary:
 * `{ text: { vocab, maxLength, lowercase }, image, video, require: ['txt'] }`. With `require: ['txt']` an
 * item lacking its cover or clip is kept: collation zero-fills the missing block and sets its mask to 0
 * (`toTfDataset(..., { masks: true })` feeds the masks to the model), so missing modalities train and
 * predict instead of dropping the item. Give the result to `openDataset` (or `decodeSamples`), adding
 * `concurrency`, `onSkip` or `labels` as needed.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when `vocab` is not a `Vocab` or holds more tokens than
 *   `pre.text.vocabSize` (its ids would fall outside the model's text input), or `pre` is not valid.
 * @example
 * ```ts
 * const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
 * const data = openDataset('data', { ...decodeOptionsFor(pre, vocab), concurrency: 2 }).cache();
 * const ds = toTfDataset(data, { batchSize: 32, masks: true });
 * ```
 */
export function decodeOptionsFor(pre: Preprocessing, vocab: Vocab): BaselineDecodeOptions {
  const checked = checkPreprocessing(pre);
  if (!(vocab instanceof Vocab)) throw invalidArgument(`vocab must be a Vocab, got ${describeValue(vocab)}`);
  if (vocab.size > checked.text.vocabSize) {
    throw invalidArgument(
      `vocab holds ${vocab.size} tokens but the preprocessing's text.vocabSize is ${checked.text.vocabSize}: ` +
        `build the model from presetPreprocessing(preset, { text: { vocabSize: ${vocab.size} } })`,
    );
  }
  return {
    text: { vocab, maxLength: checked.text.maxLength, lowercase: checked.text.lowercase },
    image: { ...checked.image },
    video: { ...checked.video },
    require: ['txt'],
  };
}
