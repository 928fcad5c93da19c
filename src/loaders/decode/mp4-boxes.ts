/**
 * @module mp4-boxes — a small ISO-BMFF (MP4) reader: the `moov` box only, and from it the first video track's
 * metadata as ffprobe reports it, so that a clip needs no ffprobe process; `undefined` whenever unsure.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { parseSps, type SpsFacts } from './h264.js';

/**
 * The first video track of an MP4, with each field as ffprobe (FFmpeg's mov demuxer) reports it for
 * `-select_streams V:0`; the sample table read into presentation times and keyframes.
 *
 * @example
 * ```ts
 * const track: Mp4VideoTrack | undefined = await readMp4VideoTrack('clip.mp4');
 * // { codec: 'h264', fourcc: 'avc1', width: 640, height: 360, rotation: 0, timescale: 24000,
 * //   durationSec: 15.390375, frameCount: 369, baseFrameRate: { num: 24000, den: 1001 }, ... }
 * ```
 */
export interface Mp4VideoTrack {
  /** ffmpeg's codec name (`'h264'`). */
  codec: string;
  /** The sample entry's four-character code (`'avc1'`, `'avc3'`). */
  fourcc: string;
  /** Coded width in pixels after the SPS's cropping (ffprobe's `width`; before rotation). */
  width: number;
  /** Coded height in pixels after cropping (ffprobe's `height`). */
  height: number;
  /** Clockwise rotation in degrees applied on display (0, 90, 180 or 270), from the track header's matrix. */
  rotation: number;
  /** Ticks a second of the track's media (`mdhd`). */
  timescale: number;
  /** The stream's duration in ticks (ffprobe's `duration_ts`). */
  durationTicks: number;
  /** The stream's duration in seconds, as ffprobe prints it (six decimals). */
  durationSec: number;
  /** Samples (frames) in the track (ffprobe's `nb_frames`). */
  frameCount: number;
  /** ffprobe's `r_frame_rate`: timescale over the first sample duration (constant-duration tables only). */
  baseFrameRate: { num: number; den: number };
  /** ffprobe's `avg_frame_rate`: frames times timescale over the summed sample durations. */
  averageFrameRate: { num: number; den: number };
  /** Presentation time of each frame in ticks from the first presented frame, in presentation order. */
  presentationTicks: Float64Array;
  /** Indices (presentation order) of the keyframes (sync samples; every frame when there is no `stss`). */
  keyframes: Uint32Array;
  /** What the track's one SPS says (size, picture order, whether reordering and colour are stated). */
  sps: SpsFacts;
  /** True when the sample entry has a `colr` box (colour the demuxer gives the decoder). */
  colourBox: boolean;
  /** Where each frame's bytes lie in the file; `undefined` when the sample tables do not add up. */
  samples: Mp4Samples | undefined;
}

/**
 * The frames of an H.264 track as bytes in the file, for feeding a decoder without a demuxer.
 *
 * @example
 * ```ts
 * const { offsets, sizes, decodeIndex } = (await readMp4VideoTrack('clip.mp4'))?.samples ?? fail();
 * const firstShown = decodeIndex[0]; // the frame presented first, in decoding order
 * ```
 */
export interface Mp4Samples {
  /** Bytes of each NAL unit's length field inside a sample (1, 2 or 4). */
  lengthSize: number;
  /** The `avcC`'s parameter sets, its SPS first then its PPSs, each a NAL unit without a length field. */
  parameterSets: Buffer[];
  /** Byte offset in the file of each sample, in decoding order. */
  offsets: Float64Array;
  /** Byte size of each sample, in decoding order. */
  sizes: Uint32Array;
  /** For each presentation index, the decoding-order index of that frame's sample. */
  decodeIndex: Uint32Array;
}

/**
 * Limits of {@link readMp4VideoTrack}: what a file may ask it to read or hold before it gives up.
 *
 * @example
 * ```ts
 * const limits: Mp4Limits = { maxMoovBytes: 8 * 2 ** 20 };
 * ```
 */
export interface Mp4Limits {
  /** The largest `moov` box read, in bytes. Default 64 MiB. */
  maxMoovBytes?: number;
  /** The most samples (frames) a track may have. Default 2^21 (24 hours at 24 fps). */
  maxSamples?: number;
  /** The most top-level boxes walked. Default 1024. */
  maxTopLevelBoxes?: number;
}

/** Thrown inside this module for anything it cannot read with certainty; never escapes it. */
class Unsure extends Error {}

function unsure(why: string): never {
  throw new Unsure(why);
}

/** Codecs whose displayed size this reader can check against the bitstream's own parameter set. */
const CODECS: Readonly<Record<string, string>> = { avc1: 'h264', avc3: 'h264' };
const INT32_MAX = 2 ** 31 - 1;

interface Box {
  type: string;
  /** First byte of the payload (after the header). */
  start: number;
  /** One past the last byte of the box. */
  end: number;
}

/** The boxes in `buf[start, end)`, each checked to lie inside the range. */
function boxes(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) unsure('a box header runs past its parent');
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (end - at < 16) unsure('a large box header runs past its parent');
      const large = buf.readBigUInt64BE(at + 8);
      if (large > BigInt(end - at)) unsure('a box runs past its parent');
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || size > end - at) unsure('a box size is out of range');
    out.push({ type: buf.toString('latin1', at + 4, at + 8), start: at + header, end: at + size });
    at += size;
  }
  return out;
}

function only(list: Box[], type: string): Box | undefined {
  const found = list.filter((b) => b.type === type);
  if (found.length > 1) unsure(`more than one ${type}`);
  return found[0];
}

function need(list: Box[], type: string): Box {
  return only(list, type) ?? unsure(`no ${type}`);
}

/** A bounds-checked big-endian reader over one box's payload. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    private at: number,
    private readonly end: number,
  ) {}

  private take(n: number): number {
    if (this.end - this.at < n) unsure('a field runs past its box');
    const at = this.at;
    this.at += n;
    return at;
  }

  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  i32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  u64(): number {
    const value = this.buf.readBigUInt64BE(this.take(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) unsure('a 64-bit field is too large');
    return Number(value);
  }

  i64(): number {
    const value = this.buf.readBigInt64BE(this.take(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(-Number.MAX_SAFE_INTEGER)) {
      unsure('a 64-bit field is too large');
    }
    return Number(value);
  }

  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  /** A full box's version (flags skipped); only versions in `allowed`. */
  version(allowed: readonly number[]): number {
    const v = this.u8();
    this.skip(3);
    if (!allowed.includes(v)) unsure(`box version ${v}`);
    return v;
  }

  /** An entry count whose table of `entryBytes`-byte entries must fit in what is left of the box. */
  count(entryBytes: number): number {
    const n = this.u32();
    if (n * entryBytes > this.end - this.at) unsure('a table runs past its box');
    return n;
  }
}

function reader(buf: Buffer, box: Box): Reader {
  return new Reader(buf, box.start, box.end);
}

/** Reads `length` bytes at `position`, all of them or throws. */
async function readAt(file: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buf, done, length - done, position + done);
    if (bytesRead === 0) unsure('the file ended early');
    done += bytesRead;
  }
  return buf;
}

/**
 * Walks the top-level boxes with positioned reads (the `mdat` is skipped, never read) and returns the first
 * `moov`'s position; the walk goes to the end of the file, so a truncated or fragmented file is refused.
 */
async function findMoov(
  file: FileHandle,
  fileSize: number,
  maxBoxes: number,
): Promise<{ position: number; size: number }> {
  let at = 0;
  let moov: { position: number; size: number } | undefined;
  for (let n = 0; at < fileSize; n++) {
    if (n >= maxBoxes) unsure('too many top-level boxes');
    if (fileSize - at < 8) unsure('a truncated box header');
    const head = await readAt(file, Math.min(16, fileSize - at), at);
    let size = head.readUInt32BE(0);
    let header = 8;
    if (size === 1) {
      const large = head.length >= 16 ? head.readBigUInt64BE(8) : unsure('a truncated box header');
      size = large > BigInt(fileSize - at) ? unsure('a box runs past the end of the file') : Number(large);
      header = 16;
    } else if (size === 0) {
      size = fileSize - at;
    }
    if (size < header || size > fileSize - at) unsure('a box runs past the end of the file');
    const type = head.toString('latin1', 4, 8);
    if (n === 0 && type !== 'ftyp') unsure('not an MP4 (no ftyp first)');
    if (type === 'moof' || type === 'mfra' || type === 'sidx') unsure('a fragmented MP4');
    if (type === 'moov' && !moov) moov = { position: at + header, size: size - header };
    at += size;
  }
  return moov ?? unsure('no moov');
}

/** The 3x3 matrix of a `mvhd` or `tkhd` (a, b, u, c, d, v, x, y, w). */
function matrix(r: Reader): number[] {
  return Array.from({ length: 9 }, () => r.i32());
}

const ONE = 0x10000;
const W_ONE = 0x40000000;

/**
 * The clockwise rotation of a track matrix that is an exact multiple of 90 degrees, no scale, no flip
 * (translation allowed); ffprobe's `rotation` side data is the counter-clockwise angle of the same matrix.
 */
function rotationOf(m: number[]): number {
  const [a, b, u, c, d, v, , , w] = m;
  if (u !== 0 || v !== 0 || w !== W_ONE) unsure('a projective matrix');
  const key = `${a},${b},${c},${d}`;
  const table: Record<string, number> = {
    [`${ONE},0,0,${ONE}`]: 0,
    [`0,${-ONE},${ONE},0`]: 270,
    [`${-ONE},0,0,${-ONE}`]: 180,
    [`0,${ONE},${-ONE},0`]: 90,
  };
  const rotation = table[key];
  return rotation ?? unsure(`an unusual matrix ${key}`);
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num/den reduced, as av_reduce gives it when both fit in an int (otherwise unsure). */
function reduce(num: bigint, den: bigint): { num: number; den: number } {
  if (num <= 0n || den <= 0n) unsure('a non-positive rate');
  const g = gcd(num, den);
  const n = num / g;
  const d = den / g;
  if (n > BigInt(INT32_MAX) || d > BigInt(INT32_MAX)) unsure('a rate past av_reduce exactness');
  return { num: Number(n), den: Number(d) };
}

/**
 * The `avcC` of an `avc1`/`avc3` sample entry: its one SPS (read), the NAL length size and the parameter
 * sets (SPS, then PPS) as the decoder gets them.
 */
function avcConfig(buf: Buffer, entry: Box): { sps: SpsFacts; lengthSize: number; parameterSets: Buffer[] } {
  // VisualSampleEntry: 6 reserved + 2 data_reference_index + 70 bytes of visual fields, then child boxes.
  const avcC = need(boxes(buf, entry.start + 78, entry.end), 'avcC');
  const r = reader(buf, avcC);
  if (r.u8() !== 1) unsure('an avcC version');
  r.skip(3); // profile, compatibility, level
  const lengthSize = (r.u8() & 3) + 1;
  if (lengthSize === 3) unsure('a NAL length size of 3');
  const spsCount = r.u8() & 0x1f;
  if (spsCount !== 1) unsure(`${spsCount} SPS in avcC`);
  const sps = r.bytes(r.u16());
  const parameterSets = [sps];
  const ppsCount = r.u8();
  for (let i = 0; i < ppsCount; i++) parameterSets.push(r.bytes(r.u16()));
  return { sps: parseSps(sps), lengthSize, parameterSets };
}

interface Table {
  counts: number[];
  values: number[];
}

/** `stts` or `ctts`: runs of (count, value). */
function runs(buf: Buffer, box: Box, signed: boolean): Table {
  const r = reader(buf, box);
  const version = r.version(signed ? [0, 1] : [0]);
  const n = r.count(8);
  const counts: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    counts.push(r.u32());
    values.push(signed && version === 1 ? r.i32() : r.u32());
  }
  return { counts, values };
}

function total(counts: readonly number[]): number {
  return counts.reduce((sum, c) => sum + c, 0);
}

/** Seconds as ffprobe prints a duration: ticks times the double 1/timescale, `%f` (six decimals). */
function ffprobeSeconds(ticks: number, timescale: number): number {
  return Number((ticks * (1 / timescale)).toFixed(6));
}

/**
 * Reads the first video track (`hdlr` `vide`) of an MP4 file from its `moov` box alone: positioned reads
 * find the `moov` (at the start or the end; the media data is never read), then `tkhd` (rotation), `mdhd`
 * (timescale, duration), `stsd` (codec; the size from the H.264 SPS), `stts`, `ctts`, `elst` (frame count,
 * rates, presentation times) and `stss` (keyframes). Every field agrees with what ffprobe reports.
 *
 * Returns `undefined`, never a guess, for anything it cannot read with certainty: not an MP4 (`ftyp`
 * first), truncated, fragmented (`moof`, `mvex`), no video track, a codec other than H.264, more than one
 * sample description or SPS, interlaced video, sample durations that vary (ffprobe then estimates its base
 * rate from decoded timestamps), an edit list of more than one entry or one that drops frames, a
 * rotation matrix other than a multiple of 90 degrees, a `moov` over `maxMoovBytes`, more than
 * `maxSamples` frames, or any box that does not fit its parent or the file. It never throws.
 *
 * @example
 * ```ts
 * const track = await readMp4VideoTrack('clip.mp4');
 * if (track) console.log(track.frameCount, track.keyframes); // 369 Uint32Array [0, 250]
 * ```
 */
export async function readMp4VideoTrack(
  path: string,
  limits: Mp4Limits = {},
): Promise<Mp4VideoTrack | undefined> {
  const maxMoov = limits.maxMoovBytes ?? 64 * 2 ** 20;
  const maxSamples = limits.maxSamples ?? 2 ** 21;
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const { size } = await file.stat();
    const at = await findMoov(file, size, limits.maxTopLevelBoxes ?? 1024);
    if (at.size > maxMoov) unsure('the moov is too large');
    return parseMoov(await readAt(file, at.size, at.position), { maxSamples, fileSize: size });
  } catch {
    // Unsure, an I/O error, or anything else: ffprobe decides (and reports the file's error if any).
    return undefined;
  } finally {
    await file?.close().catch(() => undefined);
  }
}

/** The first video track of a `moov` box's payload. */
function parseMoov(buf: Buffer, file: TrackLimits): Mp4VideoTrack {
  const moov = boxes(buf, 0, buf.length);
  if (moov.some((b) => b.type === 'mvex')) unsure('a fragmented MP4 (mvex)');
  const mvhd = reader(buf, need(moov, 'mvhd'));
  const mvhdVersion = mvhd.version([0, 1]);
  mvhd.skip(mvhdVersion === 1 ? 16 : 8); // creation, modification times
  const movieTimescale = mvhd.u32();
  mvhd.skip(mvhdVersion === 1 ? 8 : 4); // duration
  mvhd.skip(4 + 2 + 10); // rate, volume, reserved
  if (rotationOf(matrix(mvhd)) !== 0) unsure('a movie matrix');
  for (const trak of moov.filter((b) => b.type === 'trak')) {
    const children = boxes(buf, trak.start, trak.end);
    const mdia = boxes(buf, ...range(need(children, 'mdia')));
    const hdlr = reader(buf, need(mdia, 'hdlr'));
    hdlr.version([0]);
    hdlr.skip(4);
    if (hdlr.bytes(4).toString('latin1') !== 'vide') continue;
    return parseTrack(buf, children, mdia, movieTimescale, file);
  }
  return unsure('no video track');
}

/** The most samples a track may have, and the file's size (every sample must lie inside it). */
interface TrackLimits {
  maxSamples: number;
  fileSize: number;
}

function range(box: Box): [number, number] {
  return [box.start, box.end];
}

function parseTrack(
  buf: Buffer,
  trak: Box[],
  mdia: Box[],
  movieTimescale: number,
  { maxSamples, fileSize }: TrackLimits,
): Mp4VideoTrack {
  // tkhd: version, flags, times, track id, reserved, duration, reserved, layer, group, volume, reserved.
  const tkhd = reader(buf, need(trak, 'tkhd'));
  const tkhdVersion = tkhd.version([0, 1]);
  tkhd.skip(tkhdVersion === 1 ? 16 + 4 + 4 + 8 : 8 + 4 + 4 + 4);
  tkhd.skip(8 + 2 + 2 + 2 + 2);
  const rotation = rotationOf(matrix(tkhd));

  const mdhd = reader(buf, need(mdia, 'mdhd'));
  const mdhdVersion = mdhd.version([0, 1]);
  mdhd.skip(mdhdVersion === 1 ? 16 : 8);
  const timescale = mdhd.u32();
  const mediaDuration = mdhdVersion === 1 ? mdhd.u64() : mdhd.u32();
  if (timescale === 0 || timescale > INT32_MAX) unsure('a bad timescale');

  const minf = boxes(buf, ...range(need(mdia, 'minf')));
  const stbl = boxes(buf, ...range(need(minf, 'stbl')));

  // stsd: one sample entry, a codec whose size we can check.
  const stsd = reader(buf, need(stbl, 'stsd'));
  stsd.version([0]);
  if (stsd.u32() !== 1) unsure('not exactly one sample description');
  const stsdBox = need(stbl, 'stsd');
  const [entry] = boxes(buf, stsdBox.start + 8, stsdBox.end);
  if (!entry) unsure('no sample entry');
  const codec = CODECS[entry.type] ?? unsure(`codec ${entry.type}`);
  const visual = new Reader(buf, entry.start, entry.end);
  visual.skip(8 + 16);
  const declared = { width: visual.u16(), height: visual.u16() };
  const avc = avcConfig(buf, entry);
  const { sps } = avc;
  if (sps.width !== declared.width || sps.height !== declared.height) unsure('SPS and stsd sizes differ');
  const colourBox = boxes(buf, entry.start + 78, entry.end).some((b) => b.type === 'colr');

  // Sample table: stts (durations), stsz (count), ctts (offsets), stss (keyframes), chunks present.
  const stts = runs(buf, need(stbl, 'stts'), false);
  const frameCount = total(stts.counts);
  if (frameCount === 0 || frameCount > maxSamples) unsure('a sample count out of range');
  if (stts.values.some((d) => d === 0 || d > INT32_MAX)) unsure('a zero or negative sample duration');
  const [first] = stts.values as [number];
  const constant =
    stts.values.length === 1 || (stts.values.length === 2 && stts.counts[1] === 1 && stts.counts[0] !== 0);
  if (!constant) unsure('sample durations vary (ffprobe estimates r_frame_rate from decoding)');
  const stsz = reader(buf, need(stbl, 'stsz'));
  stsz.version([0]);
  const sampleSize = stsz.u32();
  if (stsz.count(sampleSize === 0 ? 4 : 0) !== frameCount)
    unsure('stsz and stts disagree on the sample count');
  const sizes = new Uint32Array(frameCount);
  if (sampleSize === 0) for (let i = 0; i < frameCount; i++) sizes[i] = stsz.u32();
  else sizes.fill(sampleSize);
  const stsc = need(stbl, 'stsc');
  const stco = only(stbl, 'stco');
  const co64 = only(stbl, 'co64');
  if (!stco === !co64) unsure('not exactly one of stco and co64');

  const dts = new Float64Array(frameCount);
  const pts = new Float64Array(frameCount);
  let sum = 0;
  let k = 0;
  stts.counts.forEach((count, i) => {
    for (let j = 0; j < count; j++, k++) {
      dts[k] = sum;
      sum += stts.values[i] as number;
    }
  });
  const cttsBox = only(stbl, 'ctts');
  if (cttsBox) {
    const ctts = runs(buf, cttsBox, true);
    if (total(ctts.counts) !== frameCount) unsure('ctts and stts disagree on the sample count');
    if (ctts.values.some((v) => v < 0)) unsure('negative composition offsets');
    k = 0;
    ctts.counts.forEach((count, i) => {
      for (let j = 0; j < count; j++, k++) pts[k] = (dts[k] as number) + (ctts.values[i] as number);
    });
  } else {
    pts.set(dts);
  }
  // Decoding-order indices in presentation order, and the presentation times in that order.
  const decodeIndex = Uint32Array.from(pts.keys()).sort((a, b) => (pts[a] as number) - (pts[b] as number));
  const sorted = Float64Array.from(decodeIndex, (d) => pts[d] as number);
  const minPts = sorted[0] as number;
  const maxPts = sorted[frameCount - 1] as number;
  for (let i = 1; i < frameCount; i++) {
    if (sorted[i] === sorted[i - 1]) unsure('two frames share a presentation time');
  }

  // The edit list: none, or one edit that starts at the first presented frame and drops none.
  let duration = Math.min(mediaDuration, sum);
  const edts = only(trak, 'edts');
  if (edts) {
    const elst = reader(buf, need(boxes(buf, ...range(edts)), 'elst'));
    const elstVersion = elst.version([0, 1]);
    if (elst.count(elstVersion === 1 ? 20 : 12) !== 1) unsure('an edit list of other than one entry');
    const segment = elstVersion === 1 ? elst.u64() : elst.u32();
    const mediaTime = elstVersion === 1 ? elst.i64() : elst.i32();
    if (elst.u32() !== ONE) unsure('an edit rate other than 1');
    if (movieTimescale === 0 || segment === 0) unsure('an edit without duration');
    if (mediaTime !== minPts) unsure('an edit that does not start at the first frame');
    // av_rescale (round to nearest, halves away from zero) into the media timescale, as mov_fix_index does.
    const scaled =
      (BigInt(segment) * BigInt(timescale) + BigInt(movieTimescale) / 2n) / BigInt(movieTimescale);
    if (scaled > BigInt(Number.MAX_SAFE_INTEGER)) unsure('an edit too long');
    const editTicks = Number(scaled);
    if (maxPts >= mediaTime + editTicks) unsure('an edit that drops frames');
    duration = Math.min(duration, editTicks);
  } else if (minPts !== 0) {
    unsure('a first presentation time other than 0 without an edit list');
  }
  if (!(duration > 0)) unsure('no duration');

  for (let i = 0; i < frameCount; i++) sorted[i] = (sorted[i] as number) - minPts;
  const stssBox = only(stbl, 'stss');
  let keyframes: Uint32Array;
  if (stssBox) {
    const stss = reader(buf, stssBox);
    stss.version([0]);
    const n = stss.count(4);
    if (n === 0) unsure('an empty stss');
    keyframes = new Uint32Array(n);
    const presentationOf = new Uint32Array(frameCount);
    decodeIndex.forEach((d, p) => {
      presentationOf[d] = p;
    });
    let previous = 0;
    for (let i = 0; i < n; i++) {
      const sample = stss.u32();
      if (sample <= previous || sample > frameCount) unsure('sync samples out of order or range');
      previous = sample;
      keyframes[i] = presentationOf[sample - 1] as number;
    }
    keyframes.sort();
  } else {
    keyframes = Uint32Array.from({ length: frameCount }, (_, i) => i);
  }

  return {
    codec,
    fourcc: entry.type,
    width: sps.width,
    height: sps.height,
    rotation,
    timescale,
    durationTicks: duration,
    durationSec: ffprobeSeconds(duration, timescale),
    frameCount,
    baseFrameRate: reduce(BigInt(timescale), BigInt(first)),
    averageFrameRate: reduce(BigInt(timescale) * BigInt(frameCount), BigInt(sum)),
    presentationTicks: sorted,
    keyframes,
    sps,
    colourBox,
    samples: sampleTable(
      buf,
      { stsc, chunks: (stco ?? co64) as Box, wide: !stco },
      sizes,
      decodeIndex,
      fileSize,
      avc,
    ),
  };
}

/**
 * Where each sample's bytes lie (`stsc` runs over the chunk offsets), checked to lie inside the file, with
 * the presentation-to-decoding order; `undefined` when the tables do not add up (the metadata above stays
 * good: ffmpeg demuxes such a file itself).
 */
function sampleTable(
  buf: Buffer,
  boxesOf: { stsc: Box; chunks: Box; wide: boolean },
  sizes: Uint32Array,
  decodeIndex: Uint32Array,
  fileSize: number,
  avc: { lengthSize: number; parameterSets: Buffer[] },
): Mp4Samples | undefined {
  try {
    const chunks = reader(buf, boxesOf.chunks);
    chunks.version([0]);
    const chunkCount = chunks.count(boxesOf.wide ? 8 : 4);
    const stsc = reader(buf, boxesOf.stsc);
    stsc.version([0]);
    const runCount = stsc.count(12);
    const runs = Array.from({ length: runCount }, () => ({
      first: stsc.u32(),
      perChunk: stsc.u32(),
      id: stsc.u32(),
    }));
    const offsets = new Float64Array(sizes.length);
    let sample = 0;
    let run = 0;
    for (let chunk = 1; chunk <= chunkCount; chunk++) {
      while (run + 1 < runCount && (runs[run + 1] as { first: number }).first <= chunk) run++;
      const current = runs[run] ?? unsure('no stsc entry');
      if (current.first > chunk || current.perChunk === 0 || current.id !== 1) unsure('a bad stsc entry');
      let at = boxesOf.wide ? chunks.u64() : chunks.u32();
      for (let j = 0; j < current.perChunk; j++, sample++) {
        if (sample >= sizes.length) unsure('chunks hold more samples than the track');
        const size = sizes[sample] as number;
        if (size === 0 || at + size > fileSize) unsure('a sample outside the file');
        offsets[sample] = at;
        at += size;
      }
    }
    if (sample !== sizes.length) unsure('chunks hold fewer samples than the track');
    return { ...avc, offsets, sizes, decodeIndex };
  } catch (err) {
    if (err instanceof Unsure) return undefined;
    throw err;
  }
}
