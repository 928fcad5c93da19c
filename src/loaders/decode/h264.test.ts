import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264Unsure, isDisposable, isIdr, parseSps, splitNalUnits } from './h264.js';
import { readMp4VideoTrack } from './mp4-boxes.js';
import { encodeClip } from './testing.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-h264-'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The SPS x264 writes for a 96x64 clip encoded with `extra` options. */
async function x264Sps(name: string, extra: string[]): Promise<Uint8Array> {
  const path = join(dir, name);
  await encodeClip(path, '24', 24, extra);
  const sps = (await readMp4VideoTrack(path))?.samples?.parameterSets[0];
  if (!sps) throw new Error(`no SPS read from ${name}`);
  return sps;
}

/** Writes bits, Exp-Golomb codes and the rbsp trailing bits: hand-made parameter sets. */
class BitWriter {
  private bits: number[] = [];

  u(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const code = value + 1;
    const length = Math.floor(Math.log2(code));
    return this.u(length, 0).u(length + 1, code);
  }

  nal(header: number): Uint8Array {
    const bits = [...this.bits, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const bytes = [header];
    for (let i = 0; i < bits.length; i += 8) bytes.push(bits.slice(i, i + 8).reduce((a, b) => a * 2 + b, 0));
    return Uint8Array.from(bytes);
  }
}

/** A Baseline SPS of `widthMbs` x `heightMbs` macroblocks, POC type 0, up to the VUI flag. */
function baselineSps(widthMbs: number, heightMbs: number, frameMbsOnly = 1): BitWriter {
  return new BitWriter()
    .u(8, 66) // profile_idc Baseline
    .u(16, 30) // constraint flags, level 3.0
    .ue(0) // seq_parameter_set_id
    .ue(0) // log2_max_frame_num_minus4
    .ue(0) // pic_order_cnt_type
    .ue(0) // log2_max_pic_order_cnt_lsb_minus4
    .ue(1) // max_num_ref_frames
    .u(1, 0) // gaps_in_frame_num_value_allowed_flag
    .ue(widthMbs - 1)
    .ue(heightMbs - 1)
    .u(1, frameMbsOnly)
    .u(1, 1) // direct_8x8_inference_flag
    .u(1, 0); // frame_cropping_flag
}

describe('parseSps', () => {
  it("x264's defaults: size, POC type 0 (B-frames), the reordering depth stated, no colour", async () => {
    expect(parseSps(await x264Sps('default.mp4', []))).toEqual({
      width: 96,
      height: 64,
      pictureOrderType: 0,
      reorderBounded: true,
      colourDescribed: false,
    });
  });

  it('without B-frames x264 uses POC type 2 (decoding order is display order)', async () => {
    expect(parseSps(await x264Sps('no-b.mp4', ['-bf', '0']))).toMatchObject({
      pictureOrderType: 2,
      reorderBounded: true,
    });
  });

  it('reads the colour description and goes past HRD parameters to the bitstream restriction', async () => {
    const colour = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'];
    expect(parseSps(await x264Sps('bt709.mp4', colour))).toMatchObject({ colourDescribed: true });
    const hrd = ['-b:v', '200k', '-maxrate', '200k', '-bufsize', '400k', '-x264-params', 'nal-hrd=vbr'];
    expect(parseSps(await x264Sps('hrd.mp4', [...colour, ...hrd]))).toMatchObject({
      reorderBounded: true,
      colourDescribed: true,
    });
  });

  it('a hand-made SPS: no VUI, so the reordering depth is unknown', () => {
    const sps = baselineSps(6, 4).u(1, 0).nal(0x67);
    expect(parseSps(sps)).toEqual({
      width: 96,
      height: 64,
      pictureOrderType: 0,
      reorderBounded: false,
      colourDescribed: false,
    });
  });

  it('a VUI cut short keeps the size and states nothing', () => {
    const sps = baselineSps(6, 4).u(1, 1).u(1, 1).nal(0x67).subarray(0, 7); // aspect_ratio_idc cut off
    expect(parseSps(sps)).toMatchObject({ width: 96, height: 64, reorderBounded: false });
  });

  it('throws H264Unsure for interlaced streams, other NAL types and truncated fields', () => {
    expect(() => parseSps(baselineSps(6, 4, 0).u(1, 1).u(1, 0).nal(0x67))).toThrow(H264Unsure);
    expect(() => parseSps(baselineSps(6, 4).u(1, 0).nal(0x68))).toThrow(H264Unsure);
    expect(() => parseSps(Uint8Array.from([0x67, 66, 0, 30]))).toThrow(H264Unsure);
  });
});

describe('access units', () => {
  const unit = (lengthSize: number, nals: number[][]): Uint8Array =>
    Uint8Array.from(
      nals.flatMap((nal) => {
        const length = Array.from(
          { length: lengthSize },
          (_, i) => (nal.length >> (8 * (lengthSize - 1 - i))) & 255,
        );
        return [...length, ...nal];
      }),
    );

  it('splitNalUnits reads 1-, 2- and 4-byte lengths', () => {
    for (const size of [1, 2, 4]) {
      const nals = splitNalUnits(
        unit(size, [
          [0x09, 0xf0],
          [0x06, 1, 2, 3],
          [0x01, 0x9a],
        ]),
        size,
      );
      expect(nals.map((n) => Array.from(n))).toEqual([
        [0x09, 0xf0],
        [0x06, 1, 2, 3],
        [0x01, 0x9a],
      ]);
    }
  });

  it('splitNalUnits throws H264Unsure for lengths past the sample, zero lengths and empty samples', () => {
    const cut = unit(4, [[0x01, 0x9a, 0x00]]).subarray(0, 6);
    expect(() => splitNalUnits(cut, 4)).toThrow(H264Unsure);
    expect(() => splitNalUnits(Uint8Array.from([0, 0, 0, 0, 1]), 4)).toThrow(H264Unsure);
    expect(() => splitNalUnits(Uint8Array.from([0, 0]), 4)).toThrow(H264Unsure);
    expect(() => splitNalUnits(new Uint8Array(0), 4)).toThrow(H264Unsure);
  });

  it('isDisposable: slices with nal_ref_idc 0 and nothing referenced beside them', () => {
    const nal = (header: number): Uint8Array => Uint8Array.from([header, 0x88]);
    expect(isDisposable([nal(0x01)])).toBe(true); // non-reference slice
    expect(isDisposable([nal(0x09), nal(0x06), nal(0x01), nal(0x01)])).toBe(true); // AUD, SEI, two slices
    expect(isDisposable([nal(0x21)])).toBe(false); // nal_ref_idc 1
    expect(isDisposable([nal(0x01), nal(0x41)])).toBe(false); // one slice referenced
    expect(isDisposable([nal(0x67), nal(0x01)])).toBe(false); // an SPS travels with it
    expect(isDisposable([nal(0x06)])).toBe(false); // no slice at all
  });

  it('isIdr finds an IDR slice', () => {
    expect(isIdr([Uint8Array.from([0x06]), Uint8Array.from([0x65])])).toBe(true);
    expect(isIdr([Uint8Array.from([0x41])])).toBe(false);
  });
});
