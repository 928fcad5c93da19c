import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastResizeFilter, ResizeFit, Transformer } from '@napi-rs/image';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { truncateJpeg } from '../../synth/bad.js';
import { greyJpeg, writeBadMedia } from '../../synth/bad-media.js';
import { coverJpeg } from '../../synth/cover.js';
import {
  DEFAULT_LIMIT_INPUT_PIXELS,
  decodeImage,
  IMAGE_DEFAULTS,
  placeImage,
  resolveImageOptions,
  SEED_IMAGE,
} from './image.js';

let dir: string;
let jpeg: Buffer;
let raw: Buffer; // the cover decoded at full size, RGB

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-image-'));
  jpeg = await coverJpeg(8, 1234);
  raw = await new Transformer(jpeg).rawPixels();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function at(data: ArrayLike<number>, i: number): number {
  return data[i] as number;
}

/** The RGB bytes of RGBA bytes. */
function rgbOf(rgba: Uint8Array): Buffer {
  const rgb = Buffer.alloc((rgba.length / 4) * 3);
  for (let p = 0; p < rgba.length / 4; p++) rgb.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return rgb;
}

/** The largest and the mean absolute difference of two byte arrays of one length. */
function difference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(at(a, i) - at(b, i));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('resolveImageOptions', () => {
  it('fills the defaults, lets given values override a base, checks values', () => {
    expect(resolveImageOptions(true)).toEqual(IMAGE_DEFAULTS);
    expect(IMAGE_DEFAULTS).toMatchObject({
      height: 224,
      width: 224,
      fit: 'fill',
      dtype: 'uint8',
      normalize: 'none',
    });
    expect(resolveImageOptions({ dtype: 'uint8' }, SEED_IMAGE).normalize).toBe('none');
    expect(resolveImageOptions({ dtype: 'float32' }).normalize).toBe('none');
    expect(resolveImageOptions({ width: 64 }, SEED_IMAGE)).toMatchObject({
      height: 270,
      width: 64,
      normalize: 'symmetric',
    });
    expect(resolveImageOptions({}).limitInputPixels).toBe(DEFAULT_LIMIT_INPUT_PIXELS);
    const bad: unknown[] = [
      { height: 0 },
      { width: 1.5 },
      { fit: 'stretch' },
      { kernel: 'bicubic' },
      { kernel: 'nearest' },
      { dtype: 'uint8', normalize: 'unit' },
      { normalize: { mean: [0], std: [1] } },
      { limitInputPixels: -1 },
      { heigth: 3 },
      null,
    ];
    for (const options of bad) {
      expect(() => resolveImageOptions(options as never)).toThrow(
        expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('decodeImage', () => {
  it('compat seed: 270x480 fill, RGB, float32 x / 127.5 - 1 of the decoded pixels', async () => {
    const image = await decodeImage(jpeg, SEED_IMAGE);
    expect(image.shape).toEqual([270, 480, 3]);
    expect(image.format).toBe('jpeg');
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(image.data.length).toBe(raw.length);
    let maxDiff = 0;
    for (let i = 0; i < raw.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(at(raw, i) / 127.5 - 1 - at(image.data, i)));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('224x224 RGB float32 in [0, 1], from a path; uint8 by default', async () => {
    const path = join(dir, 'cover.jpeg');
    await writeFile(path, jpeg);
    const image = await decodeImage(path, { dtype: 'float32', normalize: 'unit' });
    expect(image.shape).toEqual([224, 224, 3]);
    expect(image.data.length).toBe(224 * 224 * 3);
    let min = 1;
    let max = 0;
    for (const v of image.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0.1);
    // The same as resizing by hand with @napi-rs/image's bilinear filter (RGBA, alpha dropped).
    const byHand = await new Transformer(jpeg)
      .fastResize({ width: 224, height: 224, filter: FastResizeFilter.Bilinear, fit: ResizeFit.Fill })
      .rawPixels();
    const u8 = await decodeImage(path);
    expect(u8.data).toBeInstanceOf(Uint8Array);
    expect(u8.data.length).toBe(224 * 224 * 3);
    for (const p of [0, 1, 5000, 224 * 224 - 1]) {
      for (let c = 0; c < 3; c++) expect(at(u8.data, p * 3 + c), `pixel ${p}`).toBe(at(byHand, p * 4 + c));
    }
    expect(Buffer.from(u8.data).equals(rgbOf(byHand))).toBe(true);
    // Within a few levels of libvips (sharp), the previous engine: same kernel, another decoder.
    const libvips = await sharp(jpeg).resize(224, 224, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    const vsLibvips = difference(u8.data, libvips);
    expect(vsLibvips.max).toBeLessThanOrEqual(6);
    expect(vsLibvips.mean).toBeLessThan(0.5);
  });

  it('bgr, channels-first, mean/std', async () => {
    const rgb = (await decodeImage(jpeg, { height: 8, width: 16, dtype: 'uint8' })).data;
    const chw = await decodeImage(jpeg, {
      height: 8,
      width: 16,
      channels: 'bgr',
      layout: 'channels-first',
      dtype: 'float32',
      normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    });
    expect(chw.shape).toEqual([3, 8, 16]);
    const p = 5 * 16 + 7; // pixel (5, 7)
    expect(at(chw.data, p)).toBeCloseTo((at(rgb, p * 3 + 2) / 255 - 0.5) / 0.5, 5); // B plane first
    expect(at(chw.data, 2 * 128 + p)).toBeCloseTo((at(rgb, p * 3) / 255 - 0.5) / 0.5, 5);
  });

  it('fit cover crops the centre, contain pads with black', async () => {
    const contain = await decodeImage(jpeg, { height: 100, width: 100, fit: 'contain', dtype: 'uint8' });
    expect(at(contain.data, 0)).toBe(0); // top row: padding (480x270 -> 100x56)
    expect(at(contain.data, 50 * 300 + 150)).toBeGreaterThan(0);
    const cover = await decodeImage(jpeg, { height: 100, width: 100, fit: 'cover', dtype: 'uint8' });
    const byHand = await sharp(raw, { raw: { width: 480, height: 270, channels: 3 } })
      .extract({ left: 105, top: 0, width: 270, height: 270 })
      .resize(100, 100, { kernel: 'linear' })
      .raw()
      .toBuffer();
    expect(difference(cover.data, byHand).max).toBeLessThanOrEqual(8);
  });

  it('places the resized image: fill stretches, cover crops the centre, contain centres it', () => {
    expect(placeImage(480, 270, 224, 224, 'fill')).toMatchObject({
      resizeWidth: 224,
      resizeHeight: 224,
      width: 224,
      height: 224,
    });
    expect(placeImage(480, 270, 100, 100, 'cover')).toEqual({
      resizeWidth: 178,
      resizeHeight: 100,
      cropLeft: 39,
      cropTop: 0,
      width: 100,
      height: 100,
      padLeft: 0,
      padTop: 0,
    });
    expect(placeImage(480, 270, 100, 100, 'contain')).toEqual({
      resizeWidth: 100,
      resizeHeight: 56,
      cropLeft: 0,
      cropTop: 0,
      width: 100,
      height: 56,
      padLeft: 0,
      padTop: 22,
    });
    // A 1-pixel-high strip never resizes to 0.
    expect(placeImage(10000, 1, 10, 10, 'contain')).toMatchObject({ width: 10, height: 1, padTop: 4 });
  });

  it('expands grey to RGB and drops alpha', async () => {
    const grey = await decodeImage(greyJpeg(64, 32), { height: 4, width: 4, dtype: 'uint8' });
    expect(grey.data.length).toBe(48);
    expect(at(grey.data, 0)).toBe(at(grey.data, 1));
    expect(at(grey.data, 1)).toBe(at(grey.data, 2));
    const rgba = await sharp({
      create: { width: 10, height: 10, channels: 4, background: { r: 200, g: 10, b: 30, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const png = await decodeImage(rgba, { height: 2, width: 2, dtype: 'uint8' });
    expect(png.format).toBe('png');
    // Alpha is dropped, not blended (the resize works on 8-bit premultiplied colour: at alpha 128 the
    // round trip moves a colour by up to 2 levels).
    const [r, g, b] = png.data;
    expect(
      Math.max(Math.abs((r as number) - 200), Math.abs((g as number) - 10), Math.abs((b as number) - 30)),
    ).toBeLessThanOrEqual(2);
    const webp = await sharp(raw, { raw: { width: 480, height: 270, channels: 3 } })
      .webp()
      .toBuffer();
    expect((await decodeImage(webp)).format).toBe('webp');
  });

  it('decodes a PNG named .jpeg (from the bad-media corpus) and says it was a PNG', async () => {
    const [file] = await writeBadMedia(join(dir, 'bad'), { kinds: ['png-as-jpeg'] });
    const image = await decodeImage(file?.path as string);
    expect(image.format).toBe('png');
    expect(image.shape).toEqual([224, 224, 3]);
  });

  it('refuses decompression bombs before decoding', async () => {
    const [file] = await writeBadMedia(join(dir, 'bad'), { kinds: ['huge-jpeg'] });
    await expect(decodeImage(file?.path as string)).rejects.toMatchObject({
      code: 'REELSET_E_IMAGE_TOO_LARGE',
    });
    await expect(decodeImage(jpeg, { limitInputPixels: 1000 })).rejects.toMatchObject({
      code: 'REELSET_E_IMAGE_TOO_LARGE',
    });
  });

  it('refuses truncated, text, empty and unsupported content with typed errors', async () => {
    const bad: Array<[string, Uint8Array]> = [
      ['truncated', truncateJpeg(jpeg)],
      ['text', Buffer.from('<html>not an image</html>')],
      ['empty', new Uint8Array(0)],
      ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
      [
        'tiff',
        await sharp(raw, { raw: { width: 480, height: 270, channels: 3 } })
          .tiff()
          .toBuffer(),
      ],
      ['jpeg header only', jpeg.subarray(0, 3)],
      [
        'gif',
        await sharp(raw, { raw: { width: 480, height: 270, channels: 3 } })
          .gif()
          .toBuffer(),
      ],
    ];
    for (const [name, bytes] of bad) {
      await expect(decodeImage(bytes), name).rejects.toMatchObject({ code: 'REELSET_E_BAD_IMAGE' });
    }
    await expect(decodeImage(join(dir, 'missing.jpeg'))).rejects.toMatchObject({
      code: 'REELSET_E_NOT_FOUND',
    });
  });

  it('decodes many at once with the same results', async () => {
    const one = await decodeImage(jpeg, { height: 32, width: 32 });
    const many = await Promise.all(
      Array.from({ length: 16 }, () => decodeImage(jpeg, { height: 32, width: 32 })),
    );
    for (const image of many) expect(image.data).toEqual(one.data);
  });
});
