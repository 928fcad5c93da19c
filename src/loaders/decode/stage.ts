/**
 * @module decode/stage — the decode stage: fills `tokens`, `image` and `video` of each {@link Sample} in parallel
 * (bounded, order kept, resumable), records a {@link Skip} for a bad sample, and types the samples after
 * the options (`video` on: `sample.video` is there).
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkOneOf,
  invalidArgument,
} from '../../util/options.js';
import type { Dataset } from '../dataset/dataset.js';
import { checkMediaKinds, MEDIA_KINDS, type MediaKind } from '../layout/naming.js';
import { checkOnError, type OnError, type Sample, type Skip } from '../sample.js';
import {
  type DecodedImage,
  decodeImage,
  type ImageOptions,
  type ResolvedImageOptions,
  resolveImageOptions,
  SEED_IMAGE,
} from './image.js';
import { buildVocab, DEFAULT_MAX_LENGTH, Vocab } from './text.js';
import {
  decodeVideo,
  resolveVideoOptions,
  SEED_VIDEO_OPTIONS,
  type VideoFrames,
  type VideoOptions,
} from './video.js';

/**
 * Options of the text pipeline (`text` of {@link DecodeOptions}).
 *
 * @example
 * ```ts
 * const text: TextDecodeOptions = { maxLength: 25, vocab: 'runs/1/vocab.txt', lowercase: false };
 * ```
 */
export interface TextDecodeOptions {
  /** Token ids per sample: post-padded with 0, post-truncated (default 25, as the original). */
  maxLength?: number;
  /**
   * A {@link Vocab} or the path of a vocabulary file. Without it, the vocabulary is built from the data set
   * being read (a convenience that costs one extra pass over the briefs, and puts validation and test words
   * in it): for training, build one on the train split with `buildVocab` and pass it here.
   */
  vocab?: Vocab | string;
  /** Lower-case the tokens (default false: case-sensitive, as the original). */
  lowercase?: boolean;
  /** When building the vocabulary here: keep tokens seen at least this many times (default 1). */
  minCount?: number;
  /** When building the vocabulary here: keep at most this many tokens (default: all). */
  maxSize?: number;
}

/**
 * The pipelines a decode stage can switch on.
 *
 * @example
 * ```ts
 * const on: Modality[] = ['text', 'image'];
 * ```
 */
export type Modality = 'text' | 'image' | 'video';

/**
 * Options of {@link decodeSamples} (and the decoding options of `openDataset`). A pipeline is on when its
 * option is given (`true` for its defaults); `compat: 'seed'` gives each pipeline the original's settings
 * (options given explicitly still win), and switches all three on when none is given.
 *
 * @example
 * ```ts
 * const options: DecodeOptions = {
 *   text: { vocab },
 *   image: { height: 224, width: 224, dtype: 'float32', normalize: 'unit' },
 *   video: { frames: 8, sampling: 'uniform' },
 *   onError: 'skip',
 *   onSkip: (skip) => console.warn(skip),
 *   concurrency: 4,
 * };
 * ```
 */
export interface DecodeOptions {
  /** Token ids of the brief into `tokens` (an `Int32Array` of `maxLength`). */
  text?: TextDecodeOptions | true;
  /** Cover pixels into `image` (see `decodeImage`). */
  image?: ImageOptions | true;
  /** Sampled frames into `video` (see `decodeVideo`). */
  video?: VideoOptions | true;
  /** `'seed'`: reproduce the original preprocessing (docs/compat.md). */
  compat?: 'seed';
  /** `'skip'` (default): record a {@link Skip} for a sample that fails to decode; `'throw'`: throw its error. */
  onError?: OnError;
  /** Called with each skip, as it happens. */
  onSkip?: (skip: Skip) => void;
  /**
   * Samples decoded at once; the order is kept. Default: `os.availableParallelism()` when `video` is on
   * (a clip keeps a core busy), otherwise 4 per thread of libuv's pool ({@link threadPoolSize}; 16 by
   * default), where covers decode.
   */
  concurrency?: number;
  /**
   * The files a sample must have. Default: those of the pipelines on (`jpeg` for image, `mp4` for video),
   * and a sample lacking one is skipped (`REELSET_E_MISSING_MEDIA`). Given explicitly, a pipeline whose
   * file is not listed leaves its field undefined when the file is missing (typed as optional).
   */
  require?: readonly MediaKind[];
}

type Enabled = object | true;

/** The keys of the pipelines given a value (not undefined) in `O`. */
type GivenModalities<O> = { [K in Modality & keyof O]: undefined extends O[K] ? never : K }[Modality &
  keyof O];

/** Whether pipeline `K` is on for options `O` (statically known). */
type IsOn<O, K extends Modality> = O extends { [P in K]: Enabled }
  ? true
  : O extends { compat: 'seed' }
    ? [GivenModalities<O>] extends [never]
      ? true
      : false
    : false;

/** Whether file `F` is required for options `O`: yes by default; only when listed if `require` is given. */
type IsRequired<O, F extends MediaKind> = O extends { require: readonly (infer R)[] }
  ? [MediaKind] extends [R]
    ? false
    : F extends R
      ? true
      : false
  : true;

/** `{ [key]: value }`, optional unless `required`. */
type Field<K extends string, V, Required extends boolean> = Required extends true
  ? { [P in K]: V }
  : { [P in K]?: V };

/** The fields a decode stage fills for options `O`, each present or optional. */
type Fields<O> = (IsOn<O, 'text'> extends true ? { tokens: Int32Array } : unknown) &
  (IsOn<O, 'image'> extends true ? Field<'image', DecodedImage, IsRequired<O, 'jpeg'>> : unknown) &
  (IsOn<O, 'video'> extends true ? Field<'video', VideoFrames, IsRequired<O, 'mp4'>> : unknown);

/** The names of the fields a decode stage fills for options `O`. */
type FieldNames<O> =
  | (IsOn<O, 'text'> extends true ? 'tokens' : never)
  | (IsOn<O, 'image'> extends true ? 'image' : never)
  | (IsOn<O, 'video'> extends true ? 'video' : never);

/** One object type out of an intersection (modifiers kept). */
type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * The sample type a decode stage yields for options `O`: a {@link Sample} whose `tokens`, `image` and
 * `video` are present (not optional) when their pipeline is on and their file required, typed as the
 * pipelines' results ({@link DecodedImage}, {@link VideoFrames}). Just `Sample` when no pipeline is on.
 *
 * @example
 * ```ts
 * type WithFrames = DecodedSample<{ video: true }>; // Sample with video: VideoFrames
 * const frames = (s: WithFrames) => s.video.shape; // no `!`
 * ```
 */
export type DecodedSample<O> = [FieldNames<O>] extends [never]
  ? Sample
  : Flatten<Omit<Sample, FieldNames<O>> & Fields<O>>;

/**
 * What the decode stage resolved from its options, once ({@link planDecoding}): each pipeline's settings,
 * the files a sample must have, and the error policy. `openDataset` plans once and gives the same plan to
 * the layout (its `require`) and to the stage.
 *
 * @example
 * ```ts
 * const plan = planDecoding({ image: true });
 * plan.required; // ['txt', 'jpeg']
 * ```
 */
export interface DecodePlan {
  text?: {
    maxLength: number;
    lowercase: boolean;
    vocab?: Vocab | string;
    minCount?: number;
    maxSize?: number;
  };
  image?: ResolvedImageOptions;
  video?: VideoOptions;
  /** The files a sample must have: `txt`, plus those of the pipelines on (or as `require` says). */
  required: MediaKind[];
  onError: OnError;
  onSkip: ((skip: Skip) => void) | undefined;
  concurrency: number;
  /** The stage's name in `summary()`, e.g. `Decode(text, image)`. */
  label: string;
}

const SKIPPED: unique symbol = Symbol('reelset.skipped');
const TEXT_KEYS = new Set(['maxLength', 'vocab', 'lowercase', 'minCount', 'maxSize']);

function given(value: unknown): boolean {
  return value !== undefined && value !== false;
}

/** Checks the text options. */
function textPlan(options: TextDecodeOptions | true): DecodePlan['text'] {
  const o: TextDecodeOptions = options === true ? {} : options;
  if (typeof o !== 'object' || o === null) throw invalidArgument('text options must be an object or true');
  for (const key of Object.keys(o)) {
    if (!TEXT_KEYS.has(key)) throw invalidArgument(`text: unknown option ${JSON.stringify(key)}`);
  }
  const plan: DecodePlan['text'] = {
    maxLength: checkInteger('text.maxLength', o.maxLength ?? DEFAULT_MAX_LENGTH, 1),
    lowercase: checkBoolean('text.lowercase', o.lowercase, false),
  };
  if (o.minCount !== undefined) plan.minCount = checkInteger('text.minCount', o.minCount, 1);
  if (o.maxSize !== undefined) plan.maxSize = checkInteger('text.maxSize', o.maxSize, 0);
  const { vocab } = o;
  if (vocab !== undefined && typeof vocab !== 'string' && !(vocab instanceof Vocab)) {
    throw invalidArgument('text.vocab must be a Vocab or the path of a vocabulary file');
  }
  if (vocab !== undefined) plan.vocab = vocab;
  return plan;
}

/**
 * The vocabulary of a text plan, loaded or built once (memoized): the given `Vocab`, the file at the given
 * path, or one built from `vocabFrom()`. A failure is not remembered: the next pass tries again.
 */
function vocabLoader(
  text: NonNullable<DecodePlan['text']>,
  vocabFrom: () => AsyncIterable<Sample> | Iterable<Sample>,
): () => Promise<Vocab> {
  const { vocab } = text;
  if (vocab instanceof Vocab) return () => Promise.resolve(vocab);
  let memo: Promise<Vocab> | undefined;
  return () => {
    if (memo === undefined) {
      memo =
        typeof vocab === 'string'
          ? Vocab.load(vocab)
          : buildVocab(vocabFrom(), {
              lowercase: text.lowercase,
              ...(text.minCount === undefined ? {} : { minCount: text.minCount }),
              ...(text.maxSize === undefined ? {} : { maxSize: text.maxSize }),
            });
      memo.catch(() => {
        memo = undefined;
      });
    }
    return memo;
  };
}

/**
 * Samples in flight per thread of libuv's pool by default when no video is decoded: covers decode on that
 * pool, and 4 per thread kept 2 cores busiest (2 in flight: 3.7 ms a cover, 8: 3.1 ms, 16: 2.6 ms, 24:
 * 2.6 ms; docs/benchmarks.md).
 *
 * @example
 * ```ts
 * const inFlight = COVERS_PER_POOL_THREAD * threadPoolSize(); // what decodeSamples({ image: true }) uses
 * ```
 */
export const COVERS_PER_POOL_THREAD = 4;

/**
 * The size of libuv's thread pool: `UV_THREADPOOL_SIZE` (1 to 1024) or libuv's default, 4. Set the
 * variable before Node starts to decode covers on more than 4 cores at once.
 *
 * @example
 * ```ts
 * threadPoolSize(); // 4 unless UV_THREADPOOL_SIZE says otherwise
 * ```
 */
export function threadPoolSize(): number {
  const given = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(given) && given >= 1 ? Math.min(given, 1024) : 4;
}

/**
 * Checks decoding options once and resolves them into a {@link DecodePlan}: which pipelines are on (a
 * pipeline is on when its option is given; `compat: 'seed'` gives each the original's settings and turns
 * all three on when none is given), their settings, the files required, and the error policy.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * planDecoding({ compat: 'seed' }).required; // ['txt', 'jpeg', 'mp4']
 * ```
 */
export function planDecoding(options: DecodeOptions): DecodePlan {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('decode options must be an object');
  }
  const { compat } = options;
  if (compat !== undefined) checkOneOf('compat', compat, ['seed'] as const);
  const seed = compat === 'seed';
  const noneGiven = !given(options.text) && !given(options.image) && !given(options.video);
  const on = (value: unknown): boolean => given(value) || (seed && noneGiven);
  const plan: DecodePlan = {
    required: ['txt'],
    onError: checkOnError(options.onError),
    onSkip: checkFunction('onSkip', options.onSkip),
    // A clip keeps a core busy in ffmpeg; a cover decodes on libuv's pool and spends the rest of its time
    // on the main thread (reading, converting), so several covers per pool thread keep the cores busy.
    concurrency: checkInteger(
      'concurrency',
      options.concurrency ??
        (on(options.video) ? availableParallelism() : COVERS_PER_POOL_THREAD * threadPoolSize()),
      1,
    ),
    label: '',
  };
  if (on(options.text)) {
    plan.text = textPlan((given(options.text) ? options.text : true) as TextDecodeOptions | true);
  }
  if (on(options.image)) {
    const image = (given(options.image) ? options.image : true) as ImageOptions | true;
    plan.image = resolveImageOptions(image, seed ? SEED_IMAGE : undefined);
  }
  if (on(options.video)) {
    const video = (given(options.video) ? options.video : true) as VideoOptions | true;
    const explicit = video === true ? {} : video;
    if (typeof explicit !== 'object' || explicit === null) {
      throw invalidArgument('video options must be an object or true');
    }
    const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined));
    const merged: VideoOptions = seed ? { ...SEED_VIDEO_OPTIONS, ...defined } : { ...defined };
    resolveVideoOptions(merged); // checks now, not at the first sample
    plan.video = merged;
  }
  if (options.require !== undefined) {
    const require = checkMediaKinds('require', options.require);
    plan.required = MEDIA_KINDS.filter((kind) => kind === 'txt' || require.includes(kind));
  } else {
    if (plan.image !== undefined) plan.required.push('jpeg');
    if (plan.video !== undefined) plan.required.push('mp4');
  }
  const names = [plan.text && 'text', plan.image && 'image', plan.video && 'video'].filter(Boolean);
  plan.label = `Decode(${names.join(', ')}${seed ? '; compat=seed' : ''})`;
  return plan;
}

function codeOf(err: unknown): ReelsetErrorCode | undefined {
  return err instanceof ReelsetError ? err.code : undefined;
}

/**
 * The decode stage of a {@link DecodePlan}: `vocabFrom` gives what a vocabulary is built from when
 * `text.vocab` is not given. `openDataset` passes a second layout pass that records no skips, so that skips
 * are not reported twice; {@link decodeSamples} passes the dataset itself.
 *
 * @example
 * ```ts
 * const decoded = decodeStage(samples, planDecoding({ text: true }), () => trainSamples);
 * ```
 */
export function decodeStage(
  dataset: Dataset<Sample>,
  plan: DecodePlan,
  vocabFrom: () => AsyncIterable<Sample> | Iterable<Sample>,
): Dataset<Sample> {
  const text = plan.text;
  const loadVocab = text === undefined ? undefined : vocabLoader(text, vocabFrom);
  const decodeOne = async (sample: Sample): Promise<Sample | typeof SKIPPED> => {
    const out: Sample = { ...sample, source: { ...sample.source } };
    let failedAt = sample.source.jpeg ?? sample.source.mp4 ?? sample.source.txt ?? sample.id;
    // A vocabulary that cannot be loaded or built is not a sample's fault: it ends the pass.
    const vocab = loadVocab === undefined ? undefined : await loadVocab();
    try {
      if (text !== undefined && vocab !== undefined) out.tokens = vocab.encode(sample.brief, text);
      const jobs: Array<Promise<void>> = [];
      const where: string[] = [];
      /** Starts decoding the file of one pipeline into `out[field]`, or says it is missing. */
      const start = <F extends 'image' | 'video'>(
        field: F,
        file: 'jpeg' | 'mp4',
        decode: (path: string) => Promise<NonNullable<Sample[F]>>,
      ): void => {
        const path = sample.source[file];
        delete out[field];
        if (path !== undefined) {
          where.push(path);
          jobs.push(
            decode(path).then((value) => {
              out[field] = value;
            }),
          );
        } else if (plan.required.includes(file)) {
          throw new ReelsetError('REELSET_E_MISSING_MEDIA', `missing ${file}: the ${field} pipeline is on`);
        }
      };
      const { image, video } = plan;
      if (image !== undefined) start('image', 'jpeg', (path) => decodeImage(path, image, { key: sample.id }));
      if (video !== undefined) start('video', 'mp4', (path) => decodeVideo(path, video, { key: sample.id }));
      // Wait for every job, so that no decoding outlives its slot; report the first failure.
      const settled = await Promise.allSettled(jobs);
      for (const [i, result] of settled.entries()) {
        if (result.status === 'rejected') {
          failedAt = where[i] ?? failedAt;
          throw result.reason;
        }
      }
      return out;
    } catch (err) {
      const code = codeOf(err);
      if (code === undefined || plan.onError === 'throw') throw err;
      // `where` holds the path: the reason names the file by its name only.
      const message = (err as Error).message;
      const reason = failedAt === '' ? message : message.split(failedAt).join(basename(failedAt));
      const skip: Skip = { where: failedAt, id: sample.id, reason, code };
      plan.onSkip?.(skip);
      return SKIPPED;
    }
  };
  // `concurrency` samples decode at once; as many more are read ahead (kept in order), so that one slow
  // sample at the head of the window does not idle the other slots.
  return dataset
    .map(decodeOne, { concurrency: plan.concurrency, readAhead: plan.concurrency, label: plan.label })
    .filter((x) => x !== SKIPPED) as Dataset<Sample>;
}

/**
 * Decodes a Dataset of {@link Sample}s: token ids of the brief (`text`), cover pixels (`image`, @napi-rs/image) and
 * sampled frames (`video`, ffmpeg), `concurrency` samples at once (the image and video of one sample in
 * parallel), in order, with back-pressure (nothing is read ahead beyond the samples being decoded), and
 * resumable: `state()` and `resume(state)` work through it (a state does not depend on `concurrency`).
 *
 * A sample that fails (undecodable cover, broken clip, short clip with `short: 'skip'`, missing required
 * file) is left out and recorded as a {@link Skip} with the error's code (`onSkip`), and iteration goes on;
 * with `onError: 'throw'` its error is thrown. Errors that are not a `ReelsetError` (bugs) always throw.
 * Without `text.vocab`, the vocabulary is built from `dataset` (one pass over it, at the first sample).
 *
 * The result's type follows the options: `decodeSamples(ds, { video: true })` is a
 * `Dataset<Sample & { video: VideoFrames }>`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` at call time for a bad option.
 * @example
 * ```ts
 * const skips: Skip[] = [];
 * const decoded = decodeSamples(openDataset('data', { require: ['txt', 'jpeg', 'mp4'] }), {
 *   text: { vocab: await Vocab.load('vocab.txt') },
 *   image: true,
 *   video: { frames: 8 },
 *   onSkip: (skip) => skips.push(skip),
 * });
 * for await (const sample of decoded) console.log(sample.tokens, sample.image.shape, sample.video.timesSec);
 * ```
 */
export function decodeSamples<const O extends DecodeOptions>(
  dataset: Dataset<Sample>,
  options: O,
): Dataset<DecodedSample<O>> {
  return decodeStage(dataset, planDecoding(options), () => dataset) as Dataset<DecodedSample<O>>;
}

/**
 * Whether any decoding option is set (`text`, `image`, `video` or `compat`): `openDataset` then adds a
 * decode stage.
 *
 * @example
 * ```ts
 * wantsDecoding({ labels: ['Beach'] }); // false
 * wantsDecoding({ image: true }); // true
 * ```
 */
export function wantsDecoding(options: DecodeOptions): boolean {
  return given(options.text) || given(options.image) || given(options.video) || options.compat !== undefined;
}
