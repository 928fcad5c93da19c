/**
 * @module decode — the decode stage: fills `tokens`, `image` and `video` of each {@link Sample} in parallel
 * (bounded, order kept, resumable), records a {@link Skip} for a bad sample, and types the samples after
 * the options (`video` on: `sample.video` is there).
 */
import { availableParallelism } from 'node:os';
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';
import type { Dataset } from '../dataset/dataset.js';
import type { MediaKind } from '../layout/naming.js';
import type { OnError, Sample, Skip } from '../sample.js';
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

/** What the stage resolved from the options, once. */
interface Plan {
  text?: { maxLength: number; lowercase: boolean; vocab: () => Promise<Vocab> };
  image?: ResolvedImageOptions;
  video?: VideoOptions;
  requireJpeg: boolean;
  requireMp4: boolean;
  onError: OnError;
  onSkip: ((skip: Skip) => void) | undefined;
  concurrency: number;
  label: string;
}

const SKIPPED: unique symbol = Symbol('reelset.skipped');
const TEXT_KEYS = new Set(['maxLength', 'vocab', 'lowercase', 'minCount', 'maxSize']);

function invalid(message: string): ReelsetError {
  return new ReelsetError('REELSET_E_INVALID_ARGUMENT', message);
}

function given(value: unknown): boolean {
  return value !== undefined && value !== false;
}

function integerOption(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** Resolves the text options into a plan entry, with a memoized vocabulary. */
function textPlan(
  options: TextDecodeOptions | true,
  vocabFrom: () => AsyncIterable<Sample> | Iterable<Sample>,
): Plan['text'] {
  const o: TextDecodeOptions = options === true ? {} : options;
  if (typeof o !== 'object' || o === null) throw invalid('text options must be an object or true');
  for (const key of Object.keys(o)) {
    if (!TEXT_KEYS.has(key)) throw invalid(`text: unknown option ${JSON.stringify(key)}`);
  }
  const maxLength = integerOption('text.maxLength', o.maxLength ?? DEFAULT_MAX_LENGTH, 1);
  const lowercase = o.lowercase ?? false;
  if (typeof lowercase !== 'boolean') throw invalid('text.lowercase must be a boolean');
  if (o.minCount !== undefined) integerOption('text.minCount', o.minCount, 1);
  if (o.maxSize !== undefined) integerOption('text.maxSize', o.maxSize, 0);
  const { vocab } = o;
  if (vocab !== undefined && typeof vocab !== 'string' && !(vocab instanceof Vocab)) {
    throw invalid('text.vocab must be a Vocab or the path of a vocabulary file');
  }
  let memo: Promise<Vocab> | undefined;
  const load = (): Promise<Vocab> => {
    if (vocab instanceof Vocab) return Promise.resolve(vocab);
    if (memo === undefined) {
      memo =
        typeof vocab === 'string'
          ? Vocab.load(vocab)
          : buildVocab(vocabFrom(), {
              lowercase,
              ...(o.minCount === undefined ? {} : { minCount: o.minCount }),
              ...(o.maxSize === undefined ? {} : { maxSize: o.maxSize }),
            });
      // A failure (say, a missing file) is not remembered: the next pass tries again.
      memo.catch(() => {
        memo = undefined;
      });
    }
    return memo;
  };
  return { maxLength, lowercase, vocab: load };
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

function resolvePlan(
  options: DecodeOptions,
  vocabFrom: () => AsyncIterable<Sample> | Iterable<Sample>,
): Plan {
  if (typeof options !== 'object' || options === null) throw invalid('decode options must be an object');
  const { compat } = options;
  if (compat !== undefined && compat !== 'seed')
    throw invalid(`compat must be 'seed', got ${String(compat)}`);
  const seed = compat === 'seed';
  const noneGiven = !given(options.text) && !given(options.image) && !given(options.video);
  const on = (value: unknown): boolean => given(value) || (seed && noneGiven);
  const plan: Plan = {
    requireJpeg: false,
    requireMp4: false,
    onError: options.onError ?? 'skip',
    onSkip: options.onSkip,
    // A clip keeps a core busy in ffmpeg; a cover decodes on libuv's pool and spends the rest of its time
    // on the main thread (reading, converting), so several covers per pool thread keep the cores busy.
    concurrency: integerOption(
      'concurrency',
      options.concurrency ??
        (on(options.video) ? availableParallelism() : COVERS_PER_POOL_THREAD * threadPoolSize()),
      1,
    ),
    label: '',
  };
  if (plan.onError !== 'skip' && plan.onError !== 'throw') {
    throw invalid(`onError is 'skip' or 'throw', got ${String(plan.onError)}`);
  }
  if (plan.onSkip !== undefined && typeof plan.onSkip !== 'function')
    throw invalid('onSkip must be a function');
  if (on(options.text)) {
    const text = (given(options.text) ? options.text : true) as TextDecodeOptions | true;
    plan.text = textPlan(text, vocabFrom);
  }
  if (on(options.image)) {
    const image = (given(options.image) ? options.image : true) as ImageOptions | true;
    plan.image = resolveImageOptions(image, seed ? SEED_IMAGE : undefined);
  }
  if (on(options.video)) {
    const video = (given(options.video) ? options.video : true) as VideoOptions | true;
    const explicit = video === true ? {} : video;
    if (typeof explicit !== 'object' || explicit === null)
      throw invalid('video options must be an object or true');
    const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined));
    const merged: VideoOptions = seed ? { ...SEED_VIDEO_OPTIONS, ...defined } : { ...defined };
    resolveVideoOptions(merged); // checks now, not at the first sample
    plan.video = merged;
  }
  const require = options.require;
  if (require !== undefined) {
    if (!Array.isArray(require) || require.some((kind) => !['txt', 'jpeg', 'mp4'].includes(kind))) {
      throw invalid(`require lists files among 'txt', 'jpeg', 'mp4', got ${JSON.stringify(require)}`);
    }
    plan.requireJpeg = require.includes('jpeg');
    plan.requireMp4 = require.includes('mp4');
  } else {
    plan.requireJpeg = plan.image !== undefined;
    plan.requireMp4 = plan.video !== undefined;
  }
  const names = [plan.text && 'text', plan.image && 'image', plan.video && 'video'].filter(Boolean);
  plan.label = `Decode(${names.join(', ')}${seed ? '; compat=seed' : ''})`;
  return plan;
}

/**
 * The files an item must have for these decoding options: `txt`, plus `jpeg` when the image pipeline is
 * on and `mp4` when the video pipeline is on (or exactly `require` when given, with `txt`). `openDataset`
 * uses it as the layout's default `require`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * requiredFiles({ image: true }); // ['txt', 'jpeg']
 * requiredFiles({ compat: 'seed' }); // ['txt', 'jpeg', 'mp4']
 * ```
 */
export function requiredFiles(options: DecodeOptions): MediaKind[] {
  const plan = resolvePlan(options, () => []);
  const kinds: MediaKind[] = ['txt'];
  if (plan.requireJpeg) kinds.push('jpeg');
  if (plan.requireMp4) kinds.push('mp4');
  return kinds;
}

class Missing extends ReelsetError {}

/**
 * The pool: at most `size` decodes run at once. The map in front of it reads a window of twice as many
 * samples (kept in order), so that one slow sample at the head does not idle the other slots.
 */
class Pool {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#free++;
    }
  }
}

function codeOf(err: unknown): ReelsetErrorCode | undefined {
  return err instanceof ReelsetError ? err.code : undefined;
}

/**
 * {@link decodeSamples} with the source of the vocabulary chosen: `vocabFrom` gives what a vocabulary is
 * built from when `text.vocab` is not given (default: `dataset` itself). `openDataset` passes a second
 * layout pass that records no skips, so that skips are not reported twice.
 *
 * @example
 * ```ts
 * const decoded = decodeStage(samples, { text: true }, () => trainSamples);
 * ```
 */
export function decodeStage<const O extends DecodeOptions>(
  dataset: Dataset<Sample>,
  options: O,
  vocabFrom: () => AsyncIterable<Sample> | Iterable<Sample> = () => dataset,
): Dataset<DecodedSample<O>> {
  const plan = resolvePlan(options, vocabFrom);
  const pool = new Pool(plan.concurrency);
  const decodeOne = async (sample: Sample): Promise<Sample | typeof SKIPPED> => {
    const out: Sample = { ...sample, source: { ...sample.source } };
    let failedAt = sample.source.jpeg ?? sample.source.mp4 ?? sample.source.txt ?? sample.id;
    // A vocabulary that cannot be loaded or built is not a sample's fault: it ends the pass.
    const vocab = plan.text === undefined ? undefined : await plan.text.vocab();
    try {
      if (plan.text !== undefined && vocab !== undefined) {
        out.tokens = vocab.encode(sample.brief, plan.text);
      }
      const jobs: Array<() => Promise<void>> = [];
      const where: string[] = [];
      if (plan.image !== undefined) {
        const path = sample.source.jpeg;
        delete out.image;
        if (path !== undefined) {
          where.push(path);
          const o = plan.image;
          jobs.push(() =>
            decodeImage(path, o, { key: sample.id }).then((image) => {
              out.image = image;
            }),
          );
        } else if (plan.requireJpeg) {
          throw new Missing('REELSET_E_MISSING_MEDIA', 'missing jpeg: the image pipeline is on');
        }
      }
      if (plan.video !== undefined) {
        const path = sample.source.mp4;
        delete out.video;
        if (path !== undefined) {
          where.push(path);
          const o = plan.video;
          jobs.push(() =>
            decodeVideo(path, o, { key: sample.id }).then((video) => {
              out.video = video;
            }),
          );
        } else if (plan.requireMp4) {
          throw new Missing('REELSET_E_MISSING_MEDIA', 'missing mp4: the video pipeline is on');
        }
      }
      // Wait for every job, so that no decoding outlives its slot of the pool; report the first failure.
      const settled =
        jobs.length === 0 ? [] : await pool.run(() => Promise.allSettled(jobs.map((job) => job())));
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
      const reason = err instanceof Missing ? err.message : (err as Error).message;
      const skip: Skip = { where: failedAt, id: sample.id, reason, code };
      plan.onSkip?.(skip);
      return SKIPPED;
    }
  };
  return dataset
    .map(decodeOne, { concurrency: 2 * plan.concurrency, label: plan.label })
    .filter((x) => x !== SKIPPED) as unknown as Dataset<DecodedSample<O>>;
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
  return decodeStage(dataset, options);
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
