import { describe, expect, it } from 'vitest';
import { isReelsetError } from '../errors.js';
import { checkPixelFormat, convertPixels, type PixelFormat } from './pixels.js';

// Two 1x2 images: [red, blue] and [green, grey(51)].
const RGB = new Uint8Array([255, 0, 0, 0, 0, 255, 0, 255, 0, 51, 51, 51]);

function format(partial: Partial<PixelFormat>): PixelFormat {
  return { channels: 'rgb', dtype: 'uint8', normalize: 'none', layout: 'channels-last', ...partial };
}

describe('convertPixels', () => {
  it('returns the input untouched for uint8 RGB channels-last', () => {
    expect(convertPixels(RGB, 2, 1, 2, format({}))).toBe(RGB);
  });

  it('swaps to BGR', () => {
    const out = convertPixels(RGB, 2, 1, 2, format({ channels: 'bgr' }));
    expect([...out]).toEqual([0, 0, 255, 255, 0, 0, 0, 255, 0, 51, 51, 51]);
  });

  it('writes channels-first planes per image', () => {
    const out = convertPixels(RGB, 2, 1, 2, format({ layout: 'channels-first' }));
    expect([...out]).toEqual([255, 0, 0, 0, 0, 255, 0, 51, 255, 51, 0, 51]);
  });

  it('normalizes to unit, symmetric and mean/std', () => {
    const unit = convertPixels(RGB, 2, 1, 2, format({ dtype: 'float32', normalize: 'unit' }));
    expect(unit).toBeInstanceOf(Float32Array);
    expect(unit[0]).toBe(1);
    expect(unit[9]).toBeCloseTo(0.2, 6);
    const symmetric = convertPixels(RGB, 2, 1, 2, format({ dtype: 'float32', normalize: 'symmetric' }));
    expect([symmetric[0], symmetric[1], symmetric[9]]).toEqual([1, -1, Math.fround(51 / 127.5 - 1)]);
    const meanStd = convertPixels(
      RGB,
      2,
      1,
      2,
      format({ dtype: 'float32', normalize: { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] } }),
    );
    expect(meanStd[0]).toBeCloseTo((1 - 0.5) / 0.5, 6);
    expect(meanStd[1]).toBeCloseTo((0 - 0.25) / 0.25, 6);
    expect(meanStd[5]).toBeCloseTo(1 / 2, 6);
  });

  it('applies mean/std in the output channel order (BGR)', () => {
    const out = convertPixels(
      RGB,
      2,
      1,
      2,
      format({ channels: 'bgr', dtype: 'float32', normalize: { mean: [1, 0, 0], std: [1, 1, 1] } }),
    );
    // First pixel is red: B=0 -> (0 - 1) / 1.
    expect(out[0]).toBe(-1);
    expect(out[2]).toBe(1);
  });

  it('rejects a size mismatch and bad formats', () => {
    expect(() => convertPixels(RGB, 3, 1, 2, format({}))).toThrowError(/Expected 3x1x2x3/);
    const bad: PixelFormat[] = [
      format({ normalize: 'unit' }),
      format({ dtype: 'float32', normalize: { mean: [0, 0], std: [1, 1, 1] } }),
      format({ dtype: 'float32', normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }),
      format({ channels: 'rgba' as 'rgb' }),
    ];
    for (const f of bad) {
      let caught: unknown;
      try {
        checkPixelFormat(f);
      } catch (err) {
        caught = err;
      }
      expect(isReelsetError(caught, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    }
    expect(() => checkPixelFormat(format({ dtype: 'float32', normalize: 'symmetric' }))).not.toThrow();
  });
});
