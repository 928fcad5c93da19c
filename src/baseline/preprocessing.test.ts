import { describe, expect, it } from 'vitest';
import { SEED_IMAGE } from '../loaders/decode/image.js';
import { planDecoding } from '../loaders/decode/stage.js';
import { Vocab } from '../loaders/decode/text.js';
import { SEED_VIDEO_OPTIONS } from '../loaders/decode/video.js';
import {
  checkPreprocessing,
  DEFAULT_VOCAB_SIZE,
  decodeOptionsFor,
  type Preprocessing,
  presetPreprocessing,
} from './preprocessing.js';

const vocab = Vocab.fromTokens(['Beach', 'City', 'Sea', 'night']);

describe('presetPreprocessing', () => {
  it('lite: 25 lower-cased ids, a 64x64 [0, 1] cover, 4 uniform frames of 32x32, float32 channels-last', () => {
    expect(presetPreprocessing()).toEqual({
      preset: 'lite',
      text: { maxLength: 25, lowercase: true, vocabSize: DEFAULT_VOCAB_SIZE.lite },
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
    } satisfies Preprocessing);
  });

  it("seed: the decoder's compat 'seed' values, key for key", () => {
    const pre = presetPreprocessing('seed');
    expect(pre.text).toEqual({ maxLength: 25, lowercase: false, vocabSize: 23_498 });
    for (const [key, value] of Object.entries(pre.image)) {
      expect(value, key).toEqual(SEED_IMAGE[key as keyof typeof SEED_IMAGE]);
    }
    for (const [key, value] of Object.entries(pre.video)) {
      expect(value, key).toEqual(SEED_VIDEO_OPTIONS[key as keyof typeof SEED_VIDEO_OPTIONS]);
    }
    expect(pre.image).toMatchObject({ height: 270, width: 480, normalize: 'symmetric', channels: 'rgb' });
    expect(pre.video).toMatchObject({
      frames: 3,
      height: 360,
      width: 640,
      sampling: 'first',
      channels: 'bgr',
    });
  });

  it('applies overrides key by key, is a plain JSON value and never shares the preset objects', () => {
    const pre = presetPreprocessing('lite', {
      text: { vocabSize: 812 },
      image: { height: 32, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } },
      video: { frames: 8, sampling: 'fps', fps: 2 },
    });
    expect(pre.text).toEqual({ maxLength: 25, lowercase: true, vocabSize: 812 });
    expect(pre.image).toMatchObject({ height: 32, width: 64 });
    expect(pre.video).toMatchObject({ frames: 8, sampling: 'fps', fps: 2, height: 32 });
    expect(JSON.parse(JSON.stringify(pre))).toEqual(pre);
    pre.image.height = 1;
    expect(presetPreprocessing().image.height).toBe(64);
    expect(checkPreprocessing(pre)).toEqual(pre);
  });

  it('refuses unknown presets and keys, bad values, and a dtype or layout the model cannot take', () => {
    const bad = (f: () => unknown) =>
      expect(f).toThrow(expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }));
    bad(() => presetPreprocessing('big' as never));
    bad(() => presetPreprocessing('lite', { text: { vocabSize: -1 } }));
    bad(() => presetPreprocessing('lite', { image: { height: 0 } }));
    bad(() => presetPreprocessing('lite', { video: { sampling: 'all' as never } }));
    bad(() => presetPreprocessing('lite', { audio: {} } as never));
    bad(() => presetPreprocessing('lite', { image: { dtype: 'uint8' } as never }));
    bad(() => presetPreprocessing('lite', { video: { layout: 'channels-first' } as never }));
    bad(() => presetPreprocessing('lite', { video: { timeoutMs: 5 } as never }));
    const { video: _, ...noVideo } = presetPreprocessing();
    expect(() => checkPreprocessing(noVideo)).toThrow(/preprocessing.video must be an object/);
    const noFrames = presetPreprocessing() as unknown as { video: Record<string, unknown> };
    delete noFrames.video.frames;
    expect(() => checkPreprocessing(noFrames)).toThrow(/preprocessing.video.frames is missing/);
    expect(() =>
      checkPreprocessing({ ...presetPreprocessing(), text: { maxLength: 25, vocabSize: 3 } }),
    ).toThrow(/lowercase must be true or false/);
  });
});

describe('decodeOptionsFor', () => {
  it('gives the decode options of the preprocessing, keeping items that lack a cover or clip', () => {
    const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
    const options = decodeOptionsFor(pre, vocab);
    expect(options).toEqual({
      text: { vocab, maxLength: 25, lowercase: true },
      image: pre.image,
      video: pre.video,
      require: ['txt'],
    });
    const plan = planDecoding(options);
    expect(plan.required).toEqual(['txt']);
    expect(plan.text).toMatchObject({ maxLength: 25, lowercase: true, vocab });
    expect(plan.image).toMatchObject({ ...pre.image, dtype: 'float32' });
    expect(plan.video).toMatchObject(pre.video);
  });

  it("the seed preset's options decode as compat 'seed' does", () => {
    const options = decodeOptionsFor(presetPreprocessing('seed'), vocab);
    const ours = planDecoding(options);
    const compat = planDecoding({ compat: 'seed', text: { vocab } });
    expect(ours.image).toEqual(planDecoding({ compat: 'seed', image: true }).image);
    expect(ours.video).toEqual(planDecoding({ compat: 'seed', video: true }).video);
    expect(ours.text).toEqual(compat.text);
  });

  it('refuses a vocabulary larger than the model input and a value that is not a Vocab', () => {
    const pre = presetPreprocessing('lite', { text: { vocabSize: 3 } });
    expect(() => decodeOptionsFor(pre, vocab)).toThrow(/vocab holds 4 tokens but .* text.vocabSize is 3/);
    expect(() => decodeOptionsFor(pre, ['a'] as never)).toThrow(/vocab must be a Vocab/);
    // A smaller vocabulary fits (its ids stay inside the model's input).
    expect(decodeOptionsFor(presetPreprocessing('lite', { text: { vocabSize: 10 } }), vocab).text.vocab).toBe(
      vocab,
    );
  });
});
