/**
 * @module h264 — the few H.264 bitstream facts reelset reads itself: an SPS's frame size and the fields that
 * decide whether frames may be dropped safely (picture order, reordering depth, colour), and whether a
 * length-prefixed access unit (an MP4 sample) is referenced by other frames. Throws {@link H264Unsure}
 * whenever a field cannot be read with certainty.
 */

/**
 * Thrown for a bitstream this module cannot read with certainty; callers turn it into a fallback.
 *
 * @example
 * ```ts
 * try { parseSps(nal); } catch (err) { if (err instanceof H264Unsure) useFfprobe(); }
 * ```
 */
export class H264Unsure extends Error {}

function unsure(why: string): never {
  throw new H264Unsure(why);
}

/** Exp-Golomb and fixed-width reads over an RBSP (emulation prevention removed), bounds-checked. */
class Bits {
  private bit = 0;
  constructor(private readonly data: Uint8Array) {}

  u(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.data[this.bit >> 3] ?? unsure('the SPS ends early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) unsure('a bad Exp-Golomb code');
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

/** The RBSP of a NAL unit's payload: every emulation-prevention byte (the 03 of 00 00 03) removed. */
function rbsp(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length);
  let n = 0;
  let zeros = 0;
  for (const byte of payload) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

/**
 * What reelset needs from an H.264 sequence parameter set.
 *
 * @example
 * ```ts
 * const sps: SpsFacts = parseSps(spsNal);
 * // { width: 640, height: 360, pictureOrderType: 0, reorderBounded: true, colourDescribed: false }
 * ```
 */
export interface SpsFacts {
  /** Frame width after cropping (what FFmpeg's decoder reports). */
  width: number;
  /** Frame height after cropping. */
  height: number;
  /** `pic_order_cnt_type` (0, 1 or 2; 2 means frames are shown in decoding order). */
  pictureOrderType: number;
  /**
   * True when a decoder knows how far frames are reordered from the SPS alone (its VUI carries
   * `max_num_reorder_frames`, or `pictureOrderType` is 2), so it outputs every frame in order whatever the
   * container says.
   */
  reorderBounded: boolean;
  /**
   * True when the VUI states the colour signal in full (range, primaries, transfer and matrix), so that the
   * decoder sets them from the bitstream and a container's `colr` box cannot change the pixels.
   */
  colourDescribed: boolean;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingLists(r: Bits, chroma: number): void {
  if (r.u(1) === 0) return;
  for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
    if (r.u(1) === 0) continue;
    let last = 8;
    let next = 8;
    for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
      if (next !== 0) next = (last + r.se() + 256) % 256;
      last = next === 0 ? last : next;
    }
  }
}

function skipHrd(r: Bits): void {
  const cpbCount = r.ue() + 1;
  if (cpbCount > 32) unsure('a bad cpb_cnt');
  r.u(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i++) {
    r.ue(); // bit_rate_value_minus1
    r.ue(); // cpb_size_value_minus1
    r.u(1); // cbr_flag
  }
  r.u(20); // four delay / offset lengths of 5 bits
}

/** The VUI fields of {@link SpsFacts} (E.1.1): whether colour is described, the bitstream restriction. */
function readVui(r: Bits): { colourDescribed: boolean; restricted: boolean } {
  let colourDescribed = false;
  if (r.u(1) === 1 && r.u(8) === 255) r.u(32); // aspect_ratio_idc, then an explicit sample aspect ratio
  if (r.u(1) === 1) r.u(1); // overscan
  if (r.u(1) === 1) {
    r.u(4); // video_format, video_full_range_flag
    colourDescribed = r.u(1) === 1;
    if (colourDescribed) r.u(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.u(1) === 1) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (r.u(1) === 1) r.u(65); // num_units_in_tick, time_scale, fixed_frame_rate_flag
  const nalHrd = r.u(1) === 1;
  if (nalHrd) skipHrd(r);
  const vclHrd = r.u(1) === 1;
  if (vclHrd) skipHrd(r);
  if (nalHrd || vclHrd) r.u(1); // low_delay_hrd_flag
  r.u(1); // pic_struct_present_flag
  const restricted = r.u(1) === 1;
  if (restricted) {
    r.u(1); // motion_vectors_over_pic_boundaries_flag
    for (let i = 0; i < 6; i++) r.ue(); // ... max_num_reorder_frames, max_dec_frame_buffering
  }
  return { colourDescribed, restricted };
}

/**
 * Reads an SPS NAL unit (header byte included): the cropped frame size, the picture order type, whether
 * the reordering depth is stated, and the colour signal of its VUI.
 *
 * @throws H264Unsure for anything else than a progressive SPS whose fields up to the VUI it can read.
 * @example
 * ```ts
 * const { width, height } = parseSps(avcC.sps[0]); // 640, 360
 * ```
 */
export function parseSps(nal: Uint8Array): SpsFacts {
  if (nal.length < 4 || ((nal[0] as number) & 0x1f) !== 7) unsure('not an SPS');
  const r = new Bits(rbsp(nal.subarray(1)));
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  let separate = 0;
  if (HIGH_PROFILES.has(profile)) {
    chroma = r.ue();
    if (chroma > 3) unsure('a bad chroma_format_idc');
    if (chroma === 3) separate = r.u(1);
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.u(1); // qpprime_y_zero_transform_bypass_flag
    skipScalingLists(r, chroma);
  }
  r.ue(); // log2_max_frame_num_minus4
  const pictureOrderType = r.ue();
  if (pictureOrderType === 0) r.ue();
  else if (pictureOrderType === 1) {
    r.u(1);
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > 255) unsure('a bad POC cycle');
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pictureOrderType !== 2) unsure('a bad pic_order_cnt_type');
  r.ue(); // max_num_ref_frames
  r.u(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  if (r.u(1) !== 1) unsure('interlaced (frame_mbs_only_flag 0)');
  r.u(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.u(1) === 1) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  const mono = chroma === 0 || separate === 1;
  const unitX = mono ? 1 : chroma === 3 ? 1 : 2;
  const unitY = mono ? 1 : chroma === 1 ? 2 : 1;
  const [left, right, top, bottom] = crop as [number, number, number, number];
  const width = widthMbs * 16 - unitX * (left + right);
  const height = heightMapUnits * 16 - unitY * (top + bottom);
  if (!(width > 0 && height > 0)) unsure('a bad cropping');
  // A VUI this reader cannot follow to its end leaves both facts false: the size stands, nothing is pruned.
  let vui = { colourDescribed: false, restricted: false };
  try {
    if (r.u(1) === 1) vui = readVui(r);
  } catch (err) {
    if (!(err instanceof H264Unsure)) throw err;
  }
  return {
    width,
    height,
    pictureOrderType,
    reorderBounded: pictureOrderType === 2 || vui.restricted,
    colourDescribed: vui.colourDescribed,
  };
}

/** NAL unit types: coded slices (1-5), SPS (7), PPS (8). */
const SLICE_TYPES = new Set([1, 2, 3, 4, 5]);
const IDR = 5;

/**
 * The NAL units of one length-prefixed access unit (an MP4 sample), each without its length field.
 *
 * @throws H264Unsure when a length runs past the sample or the sample holds no NAL unit.
 * @example
 * ```ts
 * for (const nal of splitNalUnits(sample, 4)) console.log(nal[0] & 0x1f);
 * ```
 */
export function splitNalUnits(sample: Uint8Array, lengthSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < sample.length) {
    if (sample.length - at < lengthSize) unsure('a NAL length runs past its sample');
    let length = 0;
    for (let i = 0; i < lengthSize; i++) length = length * 256 + (sample[at + i] as number);
    at += lengthSize;
    if (length === 0 || length > sample.length - at) unsure('a NAL unit runs past its sample');
    out.push(sample.subarray(at, at + length));
    at += length;
  }
  if (out.length === 0) unsure('an empty sample');
  return out;
}

/**
 * Whether no other frame can refer to this access unit: it holds coded slices and every NAL unit in it has
 * `nal_ref_idc` 0 (parameter sets never do). Decoding a stream without such units gives every other frame
 * bit-exactly, since nothing predicts from them.
 *
 * @example
 * ```ts
 * isDisposable(splitNalUnits(sample, 4)); // true for x264's non-reference B-frames
 * ```
 */
export function isDisposable(nals: readonly Uint8Array[]): boolean {
  let slices = false;
  for (const nal of nals) {
    const header = nal[0] as number;
    if ((header & 0x60) !== 0) return false;
    if (SLICE_TYPES.has(header & 0x1f)) slices = true;
  }
  return slices;
}

/**
 * Whether the access unit holds an IDR slice (a clean start: nothing before it is needed).
 *
 * @example
 * ```ts
 * isIdr(splitNalUnits(firstSample, 4)); // true for x264's first frame
 * ```
 */
export function isIdr(nals: readonly Uint8Array[]): boolean {
  return nals.some((nal) => ((nal[0] as number) & 0x1f) === IDR);
}
