import { describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { checkPixelFormat, convertPixels, type Normalize, type PixelFormat } from './pixels.js';

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

  it('reads RGBA sources, skipping alpha', () => {
    const rgba = new Uint8Array([255, 0, 0, 7, 0, 0, 255, 9]); // 1x2: red, blue
    expect([...convertPixels(rgba, 1, 1, 2, format({}), 4)]).toEqual([255, 0, 0, 0, 0, 255]);
    expect([
      ...convertPixels(rgba, 1, 1, 2, format({ channels: 'bgr', layout: 'channels-first' }), 4),
    ]).toEqual([0, 255, 0, 0, 255, 0]);
  });

  it('equals a plain JavaScript reference for every format, source and image count', () => {
    const reference = (
      source: Uint8Array,
      count: number,
      pixels: number,
      sourceChannels: 3 | 4,
      f: PixelFormat,
    ): number[] => {
      const out: number[] = [];
      const order = f.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
      for (let image = 0; image < count; image++) {
        const planes = [0, 1, 2].map((c) =>
          Array.from({ length: pixels }, (_, p) => {
            const x = source[(image * pixels + p) * sourceChannels + (order[c] as number)] as number;
            const n = f.normalize;
            if (n === 'none') return x;
            if (n === 'unit') return x / 255;
            if (n === 'symmetric') return x / 127.5 - 1;
            return (x / 255 - (n.mean[c] as number)) / (n.std[c] as number);
          }),
        );
        for (let i = 0; i < 3 * pixels; i++) {
          const [c, p] =
            f.layout === 'channels-first' ? [Math.floor(i / pixels), i % pixels] : [i % 3, Math.floor(i / 3)];
          out.push(planes[c]?.[p] as number);
        }
      }
      return out;
    };
    const normalizations: Normalize[] = [
      'unit',
      'symmetric',
      { mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.4] },
    ];
    for (const sourceChannels of [3, 4] as const) {
      for (const count of [1, 3]) {
        const [height, width] = [5, 7];
        const source = Uint8Array.from(
          { length: count * height * width * sourceChannels },
          (_, i) => (i * 37 + 11) % 256,
        );
        for (const channels of ['rgb', 'bgr'] as const) {
          for (const layout of ['channels-last', 'channels-first'] as const) {
            const formats: PixelFormat[] = [
              format({ channels, layout }),
              ...normalizations.map((normalize) => format({ channels, layout, dtype: 'float32', normalize })),
            ];
            for (const f of formats) {
              const got = convertPixels(source, count, height, width, f, sourceChannels);
              expect(got).toBeInstanceOf(f.dtype === 'uint8' ? Uint8Array : Float32Array);
              const want = reference(source, count, height * width, sourceChannels, f);
              expect(got.length).toBe(want.length);
              // uint8: exact; float32: the float32 nearest to the value, up to how scale and shift are grouped.
              const worst = Math.max(...want.map((w, i) => Math.abs((got[i] as number) - w)));
              expect(worst).toBeLessThanOrEqual(f.dtype === 'uint8' ? 0 : 1e-6);
            }
          }
        }
      }
    }
  });

  it('returns arrays of their own: a later conversion does not change an earlier result', () => {
    const first = convertPixels(RGB, 2, 1, 2, format({ dtype: 'float32', normalize: 'unit' }));
    const copy = [...first];
    convertPixels(
      new Uint8Array(300 * 300 * 3).fill(9),
      1,
      300,
      300,
      format({ dtype: 'float32', normalize: 'unit' }),
    );
    expect([...first]).toEqual(copy);
  });

  it('computes floats as x * scale + shift in float64, rounded once to float32 (every byte, every layout)', () => {
    // 256 pixels whose R, G and B are x, 255 - x and (x * 7) % 256.
    const source = Uint8Array.from({ length: 256 * 3 }, (_, i) => {
      const x = Math.floor(i / 3);
      return [x, 255 - x, (x * 7) % 256][i % 3] as number;
    });
    const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const cases: [Normalize, (x: number, c: number) => number][] = [
      ['none', (x) => x],
      ['unit', (x) => (1 / 255) * x],
      ['symmetric', (x) => -1 + (1 / 127.5) * x],
      [
        imagenet,
        (x, c) =>
          -(imagenet.mean[c] as number) / (imagenet.std[c] as number) +
          (1 / (255 * (imagenet.std[c] as number))) * x,
      ],
    ];
    for (const [normalize, value] of cases) {
      for (const channels of ['rgb', 'bgr'] as const) {
        for (const layout of ['channels-last', 'channels-first'] as const) {
          const out = convertPixels(
            source,
            1,
            16,
            16,
            format({ channels, layout, dtype: 'float32', normalize }),
          );
          const from = channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
          for (let p = 0; p < 256; p++) {
            for (let c = 0; c < 3; c++) {
              const x = source[p * 3 + (from[c] as number)] as number;
              const at = layout === 'channels-last' ? p * 3 + c : c * 256 + p;
              expect(Object.is(out[at], Math.fround(value(x, c)))).toBe(true);
            }
          }
        }
      }
    }
  });

  it('handles many frames in either layout, RGB or RGBA', () => {
    const [count, height, width] = [4, 3, 5];
    const pixels = height * width;
    for (const sourceChannels of [3, 4] as const) {
      const source = Uint8Array.from({ length: count * pixels * sourceChannels }, (_, i) => (i * 13) % 251);
      const first = convertPixels(
        source,
        count,
        height,
        width,
        format({ layout: 'channels-first' }),
        sourceChannels,
      );
      const last = convertPixels(source, count, height, width, format({ channels: 'bgr' }), sourceChannels);
      for (let image = 0; image < count; image++) {
        for (let p = 0; p < pixels; p++) {
          for (let c = 0; c < 3; c++) {
            const at = (image * pixels + p) * sourceChannels;
            expect(first[image * pixels * 3 + c * pixels + p]).toBe(source[at + c]);
            expect(last[(image * pixels + p) * 3 + c]).toBe(source[at + 2 - c]);
          }
        }
      }
    }
  });

  it('reads RGBA words 4 pixels at a time, the same bytes at any alignment and pixel count', () => {
    for (const pixels of [1, 3, 4, 5, 8, 50]) {
      const padded = Uint8Array.from({ length: pixels * 4 + 3 }, (_, i) => (i * 29 + 7) % 256);
      for (const channels of ['rgb', 'bgr'] as const) {
        const want = Array.from({ length: pixels * 3 }, (_, i) => {
          const [p, c] = [Math.floor(i / 3), i % 3];
          return padded[p * 4 + (channels === 'rgb' ? c : 2 - c)];
        });
        for (const offset of [0, 1, 2, 3]) {
          // A view of its own bytes at `offset` of a shared buffer: words only when 4-byte aligned.
          const source = new Uint8Array(padded.length + offset).subarray(offset, offset + pixels * 4);
          source.set(padded.subarray(0, pixels * 4));
          expect([...convertPixels(source, 1, 1, pixels, format({ channels }), 4)]).toEqual(want);
        }
      }
    }
  });

  it('refuses a result too large for one array with REELSET_E_INVALID_ARGUMENT', () => {
    // Only the length is read before the output is allocated: no 16 GiB source is needed.
    const huge = { length: 65536 * 65536 * 4 } as unknown as Uint8Array;
    let caught: unknown;
    try {
      convertPixels(huge, 1, 65536, 65536, format({ dtype: 'float32', normalize: 'unit' }), 4);
    } catch (err) {
      caught = err;
    }
    expect(isReelsetError(caught, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    expect(String(caught)).toMatch(/Cannot convert 1x65536x65536 pixels at once/);
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
