/** @module imageheader.test — headers of real JPEG, PNG and WebP files, truncated prefixes, hostile bytes. */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { truncateJpeg } from '../../synth/bad.js';
import { greyJpeg } from '../../synth/bad-media.js';
import { coverJpeg } from '../../synth/cover.js';
import { readImageHeader } from './image-header.js';

const BAD_IMAGE = expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE' });
const TRUNCATED = expect.objectContaining({
  code: 'REELSET_E_BAD_IMAGE',
  message: expect.stringMatching(/truncated/),
});

/** Deterministic noise, so that encoders write varied entropy-coded data (with 0xFF bytes in it). */
function noise(width: number, height: number, channels: number): Buffer {
  const out = Buffer.alloc(width * height * channels);
  let state = 12345;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function image(width: number, height: number, channels: 3 | 4): sharp.Sharp {
  return sharp(noise(width, height, channels), { raw: { width, height, channels } });
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/** A JPEG marker segment: FF, marker, length (including itself), body. */
function segment(marker: number, body: number[]): number[] {
  return [0xff, marker, ...u16(body.length + 2), ...body];
}

/** A copy of `bytes` with `values` written at `offset`. */
function patched(bytes: Uint8Array, offset: number, values: number[]): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy.set(values, offset);
  return copy;
}

/** The offset of the first `FF marker` pair at or after `from`. */
function markerAt(bytes: Uint8Array, marker: number, from = 0): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  }
  throw new Error(`no marker ${marker.toString(16)}`);
}

/** The pieces of greyJpeg(16, 16): SOI, DQT, SOF0, DHT, DHT, SOS (headers only). */
const DQT = segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
const SOF = (width: number, height: number) =>
  segment(0xc0, [8, ...u16(height), ...u16(width), 1, 1, 0x11, 0]);
const DHT = (tableClass: number) => segment(0xc4, [tableClass << 4, 1, ...new Array<number>(15).fill(0), 0]);
const SOS = segment(0xda, [1, 1, 0x00, 0, 63, 0]);

/**
 * A valid baseline grey JPEG with a restart interval of `interval` blocks (DRI), so that its scan holds
 * RST0-RST7 markers: each block costs 2 zero bits; each interval is padded with one bits to a byte.
 */
function greyJpegWithRestarts(width: number, height: number, interval: number): Uint8Array {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan: number[] = [];
  for (let first = 0, n = 0; first < blocks; first += interval, n++) {
    if (n > 0) scan.push(0xff, 0xd0 + ((n - 1) % 8));
    const bits = Math.min(interval, blocks - first) * 2;
    const bytes = new Array<number>(Math.ceil(bits / 8)).fill(0);
    const spare = bytes.length * 8 - bits;
    if (spare > 0) bytes[bytes.length - 1] = (1 << spare) - 1;
    scan.push(...bytes);
  }
  return Uint8Array.from([
    0xff,
    0xd8,
    ...DQT,
    ...SOF(width, height),
    ...segment(0xdd, u16(interval)),
    ...DHT(0),
    ...DHT(1),
    ...SOS,
    ...scan,
    0xff,
    0xd9,
  ]);
}

let cover: Buffer;
let small: Buffer; // 64x48 baseline JPEG from sharp

beforeAll(async () => {
  cover = await coverJpeg(8, 1234);
  small = await image(64, 48, 3).jpeg({ progressive: false, quality: 90 }).toBuffer();
});

describe('readImageHeader: JPEG', () => {
  it('reads the progressive cover JPEG, whose scans hold stuffed bytes', () => {
    expect(readImageHeader(cover, 'cover.jpeg')).toEqual({ format: 'jpeg', width: 480, height: 270 });
    // Several scans (progressive), and 0xFF 0x00 in the entropy-coded data.
    let scans = 0;
    for (let i = markerAt(cover, 0xda); i >= 0 && i + 1 < cover.length; i = cover.indexOf(0xff, i + 2)) {
      if (cover[i + 1] === 0xda) scans++;
    }
    expect(scans).toBeGreaterThan(1);
    expect(cover.indexOf(Buffer.from([0xff, 0x00]))).toBeGreaterThan(0);
  });

  it('reads a baseline JPEG from sharp (plain Uint8Array, and a view at an offset)', () => {
    expect(small[markerAt(small, 0xc0) + 1]).toBe(0xc0); // baseline frame header
    expect(readImageHeader(small, 'small.jpeg')).toEqual({ format: 'jpeg', width: 64, height: 48 });
    expect(readImageHeader(Uint8Array.from(small), 'small.jpeg')).toEqual({
      format: 'jpeg',
      width: 64,
      height: 48,
    });
    const shifted = Buffer.concat([Buffer.from('0123456'), small]).subarray(7);
    expect(readImageHeader(shifted, 'small.jpeg')).toEqual({ format: 'jpeg', width: 64, height: 48 });
  });

  it('reads a JPEG with restart markers in its scan (hand-built: sharp has no restart option)', async () => {
    const withRestarts = greyJpegWithRestarts(64, 48, 5);
    expect(markerAt(withRestarts, 0xd7)).toBeGreaterThan(0); // RST wrapped around to RST0 again
    const decoded = await sharp(withRestarts, { failOn: 'error' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([decoded.info.width, decoded.info.height]).toEqual([64, 48]);
    expect(readImageHeader(withRestarts, 'rst.jpeg')).toEqual({ format: 'jpeg', width: 64, height: 48 });
    const rst = markerAt(withRestarts, 0xd3); // fill bytes before a restart marker, inside the scan
    const filled = Uint8Array.from([
      ...withRestarts.subarray(0, rst),
      0xff,
      0xff,
      ...withRestarts.subarray(rst),
    ]);
    expect(readImageHeader(filled, 'rst.jpeg')).toEqual({ format: 'jpeg', width: 64, height: 48 });
    for (let cut = 3; cut < withRestarts.length; cut++) {
      expect(() => readImageHeader(withRestarts.subarray(0, cut), 'rst.jpeg')).toThrow(TRUNCATED);
    }
  });

  it('reads the declared size of a 400-Mpixel JPEG without decoding it', () => {
    const bomb = greyJpeg(20000, 20000);
    expect(readImageHeader(bomb, 'bomb.jpeg')).toEqual({ format: 'jpeg', width: 20000, height: 20000 });
  });

  it('refuses every prefix of a JPEG, and accepts the whole file with or without trailing bytes', () => {
    expect(() => readImageHeader(small.subarray(0, 0), 'small.jpeg')).toThrow(
      expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: 'The image small.jpeg is empty' }),
    );
    for (let cut = 1; cut < 3; cut++) {
      expect(() => readImageHeader(small.subarray(0, cut), 'small.jpeg')).toThrow(BAD_IMAGE);
    }
    for (let cut = 3; cut < small.length; cut++) {
      expect(() => readImageHeader(small.subarray(0, cut), 'small.jpeg')).toThrow(TRUNCATED);
    }
    const trailing = Buffer.concat([small, Buffer.from([0xff, 0x00, 0x12, 0xff, 0xd8, 0xff, 0xc0, 0x00])]);
    expect(readImageHeader(trailing, 'small.jpeg')).toEqual({ format: 'jpeg', width: 64, height: 48 });
  });

  it('refuses the progressive cover cut at several points, truncateJpeg included', () => {
    const cuts = [3, 20, 200, markerAt(cover, 0xda) + 5, truncateJpeg(cover).length, cover.length - 2];
    for (let i = 1; i < 20; i++) cuts.push(Math.floor((cover.length * i) / 20));
    for (let cut = cover.length - 600; cut < cover.length; cut++) cuts.push(cut);
    for (const cut of cuts) {
      expect(() => readImageHeader(cover.subarray(0, cut), 'cover.jpeg')).toThrow(TRUNCATED);
    }
    expect(() => readImageHeader(truncateJpeg(cover), 'cover.jpeg')).toThrow(
      expect.objectContaining({
        code: 'REELSET_E_BAD_IMAGE',
        message: expect.stringMatching(/^The image cover\.jpeg is truncated: /),
      }),
    );
  });

  it('accepts fill bytes before markers, in and out of scans', () => {
    const sof = markerAt(small, 0xc0);
    const eoi = small.length - 2;
    const filled = Buffer.concat([
      small.subarray(0, sof),
      Buffer.from([0xff, 0xff, 0xff]),
      small.subarray(sof, eoi),
      Buffer.from([0xff, 0xff]),
      small.subarray(eoi),
    ]);
    expect(readImageHeader(filled, 'filled.jpeg')).toEqual({ format: 'jpeg', width: 64, height: 48 });
  });

  describe('hostile JPEGs', () => {
    const grey = Uint8Array.from(greyJpeg(16, 16));
    const dqtLength = 4; // offset of the DQT length, after SOI and FF DB

    it('starts from a valid file', () => {
      expect(readImageHeader(grey, 'grey.jpeg')).toEqual({ format: 'jpeg', width: 16, height: 16 });
    });

    it('refuses a segment length past the end', () => {
      expect(() => readImageHeader(patched(grey, dqtLength, [0xff, 0xff]), 'x')).toThrow(TRUNCATED);
    });

    it('refuses a segment length of 0 or 1', () => {
      for (const length of [0, 1]) {
        expect(() => readImageHeader(patched(grey, dqtLength, u16(length)), 'x')).toThrow(
          expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: expect.stringMatching(/length/) }),
        );
      }
    });

    it('refuses a scan before the frame header', () => {
      const bytes = Uint8Array.from([0xff, 0xd8, ...DQT, ...DHT(0), ...DHT(1), ...SOS, 0x00, 0xff, 0xd9]);
      expect(() => readImageHeader(bytes, 'x')).toThrow(
        expect.objectContaining({
          code: 'REELSET_E_BAD_IMAGE',
          message: expect.stringMatching(/scan before/),
        }),
      );
    });

    it('refuses a width or height of 0 (DNL)', () => {
      for (const [w, h] of [
        [0, 16],
        [16, 0],
      ] as const) {
        expect(() => readImageHeader(greyJpeg(w, h), 'x')).toThrow(
          expect.objectContaining({
            code: 'REELSET_E_BAD_IMAGE',
            message: `The image x declares a size of ${w}x${h}`,
          }),
        );
      }
    });

    it('refuses garbage where a marker is expected', () => {
      const sof = markerAt(grey, 0xc0);
      expect(() => readImageHeader(patched(grey, sof, [0x12]), 'x')).toThrow(
        expect.objectContaining({
          code: 'REELSET_E_BAD_IMAGE',
          message: expect.stringMatching(/corrupt marker/),
        }),
      );
      expect(() => readImageHeader(patched(grey, sof, [0xff, 0x00]), 'x')).toThrow(
        expect.objectContaining({
          code: 'REELSET_E_BAD_IMAGE',
          message: expect.stringMatching(/corrupt marker/),
        }),
      );
    });

    it('refuses an end of image before any scan, and two frame headers', () => {
      expect(() => readImageHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]), 'x')).toThrow(BAD_IMAGE);
      const noScan = Uint8Array.from([0xff, 0xd8, ...DQT, ...SOF(16, 16), 0xff, 0xd9]);
      expect(() => readImageHeader(noScan, 'x')).toThrow(BAD_IMAGE);
      const twoFrames = Uint8Array.from([0xff, 0xd8, ...SOF(16, 16), ...grey.subarray(2)]);
      expect(() => readImageHeader(twoFrames, 'x')).toThrow(
        expect.objectContaining({
          code: 'REELSET_E_BAD_IMAGE',
          message: expect.stringMatching(/two JPEG frame/),
        }),
      );
    });
  });
});

describe('readImageHeader: PNG', () => {
  let rgb: Buffer;

  beforeAll(async () => {
    rgb = await image(33, 17, 3).png().toBuffer();
  });

  it('reads RGB, RGBA and 16-bit PNGs', async () => {
    expect(readImageHeader(rgb, 'rgb.png')).toEqual({ format: 'png', width: 33, height: 17 });
    const rgba = await image(40, 30, 4).png().toBuffer();
    expect(rgba[25]).toBe(6); // colour type RGBA
    expect(readImageHeader(rgba, 'rgba.png')).toEqual({ format: 'png', width: 40, height: 30 });
    const deep = await image(21, 22, 3).toColourspace('rgb16').png().toBuffer();
    expect(deep[24]).toBe(16); // bit depth
    expect(readImageHeader(deep, 'deep.png')).toEqual({ format: 'png', width: 21, height: 22 });
  });

  it('refuses every prefix, and accepts trailing bytes after IEND', () => {
    for (let cut = 1; cut < 8; cut++) {
      expect(() => readImageHeader(rgb.subarray(0, cut), 'rgb.png')).toThrow(BAD_IMAGE);
    }
    for (let cut = 8; cut < rgb.length; cut++) {
      expect(() => readImageHeader(rgb.subarray(0, cut), 'rgb.png')).toThrow(TRUNCATED);
    }
    const trailing = Buffer.concat([rgb, Buffer.from('garbage')]);
    expect(readImageHeader(trailing, 'rgb.png')).toEqual({ format: 'png', width: 33, height: 17 });
  });

  it('refuses a first chunk that is not IHDR, and a width or height out of range', () => {
    expect(() => readImageHeader(patched(rgb, 15, [0x58]), 'x')).toThrow(
      expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: expect.stringMatching(/IHDR/) }),
    );
    expect(() => readImageHeader(patched(rgb, 11, [14]), 'x')).toThrow(BAD_IMAGE); // IHDR length 14
    expect(() => readImageHeader(patched(rgb, 16, [0, 0, 0, 0]), 'x')).toThrow(
      expect.objectContaining({
        code: 'REELSET_E_BAD_IMAGE',
        message: 'The image x declares a size of 0x17',
      }),
    );
    expect(() => readImageHeader(patched(rgb, 20, [0x80, 0, 0, 0]), 'x')).toThrow(
      expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: expect.stringMatching(/2147483648/) }),
    );
  });

  it('refuses a PNG whose IEND comes without image data', () => {
    const iend = [0, 0, 0, 0, ...Buffer.from('IEND'), 0xae, 0x42, 0x60, 0x82];
    const bytes = Uint8Array.from([...rgb.subarray(0, 33), ...iend]);
    expect(() => readImageHeader(bytes, 'x')).toThrow(
      expect.objectContaining({
        code: 'REELSET_E_BAD_IMAGE',
        message: expect.stringMatching(/without image/),
      }),
    );
  });
});

describe('readImageHeader: WebP', () => {
  const fourcc = (bytes: Uint8Array) => Buffer.from(bytes.subarray(12, 16)).toString('latin1');

  it('reads lossy (VP8), lossless (VP8L) and alpha (VP8X) WebPs', async () => {
    const lossy = await image(50, 31, 3).webp().toBuffer();
    expect(fourcc(lossy)).toBe('VP8 ');
    expect(readImageHeader(lossy, 'lossy.webp')).toEqual({ format: 'webp', width: 50, height: 31 });
    const lossless = await image(37, 29, 3).webp({ lossless: true }).toBuffer();
    expect(fourcc(lossless)).toBe('VP8L');
    expect(readImageHeader(lossless, 'lossless.webp')).toEqual({ format: 'webp', width: 37, height: 29 });
    const alpha = await image(45, 23, 4).webp().toBuffer();
    expect(fourcc(alpha)).toBe('VP8X');
    expect(readImageHeader(alpha, 'alpha.webp')).toEqual({ format: 'webp', width: 45, height: 23 });
  });

  it('refuses every prefix of a WebP', async () => {
    for (const webp of [await image(50, 31, 3).webp().toBuffer(), await image(45, 23, 4).webp().toBuffer()]) {
      for (let cut = 1; cut < 12; cut++) {
        expect(() => readImageHeader(webp.subarray(0, cut), 'x.webp')).toThrow(BAD_IMAGE);
      }
      for (let cut = 12; cut < webp.length; cut++) {
        expect(() => readImageHeader(webp.subarray(0, cut), 'x.webp')).toThrow(TRUNCATED);
      }
    }
  });

  it('refuses an unknown first chunk, a bad VP8 signature and a zero size', async () => {
    const lossy = await image(50, 31, 3).webp().toBuffer();
    expect(() => readImageHeader(patched(lossy, 12, [...Buffer.from('ALPH')]), 'x')).toThrow(
      expect.objectContaining({
        code: 'REELSET_E_BAD_IMAGE',
        message: expect.stringMatching(/unknown first chunk/),
      }),
    );
    expect(() => readImageHeader(patched(lossy, 23, [0x00]), 'x')).toThrow(BAD_IMAGE);
    expect(() => readImageHeader(patched(lossy, 26, [0, 0]), 'x')).toThrow(
      expect.objectContaining({
        code: 'REELSET_E_BAD_IMAGE',
        message: 'The image x declares a size of 0x31',
      }),
    );
    const lossless = await image(37, 29, 3).webp({ lossless: true }).toBuffer();
    expect(() => readImageHeader(patched(lossless, 20, [0x2e]), 'x')).toThrow(BAD_IMAGE);
  });
});

describe('readImageHeader: other content', () => {
  it('refuses empty bytes, text, SVG, TIFF and GIF', async () => {
    expect(() => readImageHeader(new Uint8Array(0), 'x')).toThrow(
      expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: 'The image x is empty' }),
    );
    expect(() => readImageHeader(Buffer.from('hello, world'), 'x')).toThrow(
      expect.objectContaining({
        code: 'REELSET_E_BAD_IMAGE',
        message: 'The image x is not a JPEG, PNG or WebP (first bytes 68656c6c6f2c2077)',
      }),
    );
    expect(() => readImageHeader(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'x')).toThrow(
      BAD_IMAGE,
    );
    const tiff = await image(8, 8, 3).tiff().toBuffer();
    expect(() => readImageHeader(tiff, 'x')).toThrow(
      expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: expect.stringMatching(/not a JPEG/) }),
    );
    const gif = await image(8, 8, 3).gif().toBuffer();
    for (const bytes of [gif, Buffer.from('GIF87a\x08\x00\x08\x00')]) {
      expect(() => readImageHeader(bytes, 'x')).toThrow(
        expect.objectContaining({ code: 'REELSET_E_BAD_IMAGE', message: expect.stringMatching(/GIF/) }),
      );
    }
    expect(() => readImageHeader(Buffer.from('RIFF\x04\x00\x00\x00WEBP'), 'x')).toThrow(BAD_IMAGE);
  });
});
