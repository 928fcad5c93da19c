/**
 * @module baseline-eval-helpers — a tiny model with the baseline's inputs and output, and hand-made decoded
 * samples whose every modality points at a chosen class, for the tests of evaluate and predict.
 */
import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../src/loaders/sample.js';

/** The shapes of the tiny model's inputs: tokens [L], cover [H, W, 3], frames [T, H, W, 3]. */
export const TINY = { length: 4, height: 2, width: 6, frames: 2, classes: 31 } as const;

const IMAGE_SIZE = TINY.height * TINY.width * 3;
const VIDEO_SIZE = TINY.frames * IMAGE_SIZE;

/**
 * Weights of the tiny model. Each branch sends the class its input points at to a logit of `weight`:
 * text, the token `c + 1` (max over the sequence; token 0 is padding); cover and frames, a 1 at element `c`
 * of the flattened pixels. Each branch is multiplied by its mask; the head adds `headBias` (and with
 * `headKernel: 'zeros'`, ignores the branches) and applies a softmax (`video_label`).
 */
export interface TinyWeights {
  text?: number;
  image?: number;
  video?: number;
  /** Added to the cover branch before its mask (so it vanishes with a 0 mask). */
  imageBias?: number[];
  headBias?: number[];
  headKernel?: 'identity' | 'zeros';
  /** Input names (default the baseline's). */
  names?: { text: string; image: string; video: string };
}

function eye(rows: number, cols: number, scale: number): tf.Tensor2D {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) data[i * cols + i] = scale;
  return tf.tensor2d(data, [rows, cols]);
}

/**
 * A one-hot vector of 31 scaled by `value`.
 *
 * @example
 * ```ts
 * oneHot(3, 10); // [0, 0, 0, 10, 0, ...]
 * ```
 */
export function oneHot(c: number, value = 1): number[] {
  const row = new Array<number>(TINY.classes).fill(0);
  row[c] = value;
  return row;
}

/**
 * Builds the tiny model (inputs `text_data` int32 [B, 4], `image_data` [B, 2, 6, 3], `video_data`
 * [B, 2, 2, 6, 3], three masks [B, 1]; output `video_label` [B, 31]).
 *
 * @example
 * ```ts
 * const model = tinyModel({ text: 4, image: 2, video: 3 });
 * ```
 */
export function tinyModel(weights: TinyWeights = {}): tf.LayersModel {
  const n = TINY.classes;
  const names = weights.names ?? { text: 'text_data', image: 'image_data', video: 'video_data' };
  const made: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    made.push(t);
    return t;
  };
  try {
    const text = tf.input({ name: names.text, shape: [TINY.length], dtype: 'int32' });
    const image = tf.input({ name: names.image, shape: [TINY.height, TINY.width, 3] });
    const video = tf.input({ name: names.video, shape: [TINY.frames, TINY.height, TINY.width, 3] });
    const masks = (['text', 'image', 'video'] as const).map((m) =>
      tf.input({ name: `${names[m]}_mask`, shape: [1] }),
    ) as [tf.SymbolicTensor, tf.SymbolicTensor, tf.SymbolicTensor];
    const table = own(
      tf.concat([own(tf.zeros([1, n])), own(eye(n, n, weights.text ?? 1)), own(tf.zeros([8, n]))]),
    );
    const embedded = tf.layers
      .embedding({ inputDim: n + 9, outputDim: n, weights: [table] })
      .apply(text) as tf.SymbolicTensor;
    const textBranch = tf.layers.globalMaxPooling1d().apply(embedded) as tf.SymbolicTensor;
    const imageFlat = tf.layers.flatten().apply(image) as tf.SymbolicTensor;
    const imageBranch = tf.layers
      .dense({
        units: n,
        weights: [
          own(eye(IMAGE_SIZE, n, weights.image ?? 1)),
          own(tf.tensor1d(weights.imageBias ?? oneHot(0, 0))),
        ],
      })
      .apply(imageFlat) as tf.SymbolicTensor;
    const videoFlat = tf.layers.flatten().apply(video) as tf.SymbolicTensor;
    const videoBranch = tf.layers
      .dense({ units: n, weights: [own(eye(VIDEO_SIZE, n, weights.video ?? 1)), own(tf.zeros([n]))] })
      .apply(videoFlat) as tf.SymbolicTensor;
    const masked = [textBranch, imageBranch, videoBranch].map(
      (branch, i) => tf.layers.multiply().apply([branch, masks[i] as tf.SymbolicTensor]) as tf.SymbolicTensor,
    );
    const sum = tf.layers.add().apply(masked) as tf.SymbolicTensor;
    const kernel = own(weights.headKernel === 'zeros' ? tf.zeros([n, n]) : eye(n, n, 1));
    const output = tf.layers
      .dense({
        name: 'video_label',
        units: n,
        activation: 'softmax',
        weights: [kernel, own(tf.tensor1d(weights.headBias ?? oneHot(0, 0)))],
      })
      .apply(sum) as tf.SymbolicTensor;
    return tf.model({ inputs: [text, image, video, ...masks], outputs: output });
  } finally {
    tf.dispose(made);
  }
}

/** Which class each modality of a sample points at (absent: the sample lacks that modality). */
export interface Pointers {
  text?: number;
  image?: number;
  video?: number;
  /** Token ids to use instead of `[text + 1]` (e.g. longer than the model's length). */
  tokens?: number[];
}

/**
 * A decoded sample of label `labelId` whose modalities point at the classes of `to`.
 *
 * @example
 * ```ts
 * const s = tinySample('1', 8, { text: 8, image: 9 }); // no video
 * ```
 */
export function tinySample(id: string, labelId: number, to: Pointers): Sample {
  const sample: Sample = {
    id,
    label: `label ${labelId}`,
    labelId,
    brief: `brief ${id}`,
    durationSec: null,
    source: {},
  };
  if (to.tokens !== undefined) sample.tokens = Int32Array.from(to.tokens);
  else if (to.text !== undefined) sample.tokens = Int32Array.from([to.text + 1, 0, 0]);
  if (to.image !== undefined) {
    const data = new Float32Array(IMAGE_SIZE);
    data[to.image] = 1;
    sample.image = { data, shape: [TINY.height, TINY.width, 3], layout: 'channels-last' };
  }
  if (to.video !== undefined) {
    const data = new Float32Array(VIDEO_SIZE);
    data[to.video] = 1;
    sample.video = {
      data,
      shape: [TINY.frames, TINY.height, TINY.width, 3],
      timesSec: [0, 0.5],
      layout: 'channels-last',
    };
  }
  return sample;
}
