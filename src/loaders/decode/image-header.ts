/** @module imageheader — format and size of JPEG, PNG and WebP bytes without decoding; truncation refused. */
import { ReelsetError } from '../../errors.js';

/**
 * Formats the cover pipeline decodes.
 *
 * @example
 * ```ts
 * const format: ImageFormat = 'webp';
 * ```
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/**
 * What {@link readImageHeader} reads: the format (from the first bytes, never the file name) and the size
 * the file declares, in pixels.
 *
 * @example
 * ```ts
 * const header: ImageHeader = { format: 'jpeg', width: 480, height: 270 };
 * ```
 */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The largest width or height a PNG may declare (2^31 - 1). */
const PNG_MAX_SIDE = 0x7fffffff;

/**
 * Reads format, width and height from the first bytes and checks the file is complete: a JPEG must reach
 * its end-of-image marker after at least one scan, a PNG its `IEND` chunk, a WebP the end its RIFF header
 * announces. No pixel is decoded, so the declared size can be checked against a pixel limit before any
 * decoder runs. Bytes after the end of the image are ignored.
 *
 * @param bytes the whole file
 * @param where a human name of the file, used in messages
 * @throws ReelsetError `REELSET_E_BAD_IMAGE` when the bytes are empty, are not a JPEG, PNG or WebP (GIF
 *   included), are truncated, declare a width or height of 0, or have a corrupt structure.
 * @example
 * ```ts
 * const { format, width, height } = readImageHeader(await readFile('12.jpeg'), '12.jpeg');
 * if (width * height > 50_000_000) throw new Error('too many pixels');
 * ```
 */
export function readImageHeader(bytes: Uint8Array, where: string): ImageHeader {
  if (bytes.length === 0) throw bad(`The image ${where} is empty`);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return readJpeg(bytes, where);
  if (hasAscii(bytes, 0, '\x89PNG\r\n\x1a\n')) return readPng(bytes, where);
  if (hasAscii(bytes, 0, 'RIFF') && hasAscii(bytes, 8, 'WEBP')) return readWebp(bytes, where);
  if (hasAscii(bytes, 0, 'GIF87a') || hasAscii(bytes, 0, 'GIF89a')) {
    throw bad(`The image ${where} is a GIF, which the cover pipeline does not decode`);
  }
  const hex = Buffer.from(bytes.subarray(0, 8)).toString('hex');
  throw bad(`The image ${where} is not a JPEG, PNG or WebP (first bytes ${hex})`);
}

function bad(message: string): ReelsetError {
  return new ReelsetError('REELSET_E_BAD_IMAGE', message);
}

function truncated(where: string, detail: string): ReelsetError {
  return bad(`The image ${where} is truncated: ${detail}`);
}

/** Whether `text` (one byte per character) is at `offset` of `bytes`. */
function hasAscii(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether a JPEG marker stands alone, without a length: SOI, RST0-RST7, TEM, EOI. */
function isStandaloneMarker(marker: number): boolean {
  return marker === 0xd8 || marker === 0xd9 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/** Whether a JPEG marker starts a frame (SOF0-SOF15, except DHT, JPG and DAC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Walks the marker segments of a JPEG from SOI to EOI. After each SOS header, the entropy-coded data runs
 * to the next 0xFF that is not followed by 0x00 (a stuffed byte), a restart marker or another 0xFF.
 */
function readJpeg(bytes: Uint8Array, where: string): ImageHeader {
  const view = viewOf(bytes);
  const length = bytes.length;
  let size: { width: number; height: number } | undefined;
  let scans = 0;
  let pos = 2; // after SOI
  for (;;) {
    if (pos >= length) throw truncated(where, 'the JPEG ends before its end-of-image marker');
    if (bytes[pos] !== 0xff) {
      throw bad(`The image ${where} has a corrupt marker structure (byte ${pos} is not a JPEG marker)`);
    }
    while (pos < length && bytes[pos] === 0xff) pos++; // fill bytes
    if (pos >= length) throw truncated(where, 'the JPEG ends inside a marker');
    const marker = bytes[pos] as number;
    const markerAt = pos - 1;
    pos++;
    if (marker === 0xd9) {
      if (size === undefined || scans === 0) throw bad(`The image ${where} ends before any image data`);
      return { format: 'jpeg', ...size };
    }
    if (isStandaloneMarker(marker)) continue;
    if (marker === 0x00) {
      throw bad(`The image ${where} has a corrupt marker structure (FF 00 at byte ${markerAt})`);
    }
    if (pos + 2 > length) throw truncated(where, 'the JPEG ends inside a segment length');
    const segmentLength = view.getUint16(pos);
    if (segmentLength < 2) {
      throw bad(`The image ${where} has a JPEG segment of length ${segmentLength} at byte ${markerAt}`);
    }
    const end = pos + segmentLength;
    if (end > length) throw truncated(where, `a JPEG segment at byte ${markerAt} runs past the end`);
    if (isStartOfFrame(marker)) {
      if (size !== undefined) throw bad(`The image ${where} has two JPEG frame headers`);
      if (segmentLength < 8) throw bad(`The image ${where} has a JPEG frame header that is too short`);
      const height = view.getUint16(pos + 3);
      const width = view.getUint16(pos + 5);
      if (width === 0 || height === 0) {
        throw bad(`The image ${where} declares a size of ${width}x${height}`);
      }
      size = { width, height };
    }
    pos = end;
    if (marker === 0xda) {
      if (size === undefined) throw bad(`The image ${where} has a JPEG scan before its frame header`);
      scans++;
      pos = endOfEntropyData(bytes, pos, where);
    }
  }
}

/** The offset of the marker that ends the entropy-coded data starting at `pos`. */
function endOfEntropyData(bytes: Uint8Array, pos: number, where: string): number {
  for (;;) {
    const ff = bytes.indexOf(0xff, pos);
    if (ff < 0 || ff + 1 >= bytes.length) throw truncated(where, 'the JPEG ends inside a scan');
    const next = bytes[ff + 1] as number;
    if (next === 0xff) {
      pos = ff + 1; // a fill byte: look again from the next 0xFF
    } else if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
      pos = ff + 2; // a stuffed byte or a restart marker: still data
    } else {
      return ff;
    }
  }
}

/** Reads IHDR, then walks the chunks (length, type, data, CRC; the CRC is not checked) to IEND. */
function readPng(bytes: Uint8Array, where: string): ImageHeader {
  const view = viewOf(bytes);
  const length = bytes.length;
  if (length < 8 + 8 + 13) throw truncated(where, 'the PNG ends inside its IHDR chunk');
  if (view.getUint32(8) !== 13 || !hasAscii(bytes, 12, 'IHDR')) {
    throw bad(`The image ${where} is a PNG whose first chunk is not a valid IHDR`);
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width < 1 || width > PNG_MAX_SIDE || height < 1 || height > PNG_MAX_SIDE) {
    throw bad(`The image ${where} declares a size of ${width}x${height}`);
  }
  let hasData = false;
  let pos = 8;
  for (;;) {
    if (pos + 8 > length) throw truncated(where, 'the PNG ends before its IEND chunk');
    const chunkLength = view.getUint32(pos);
    if (chunkLength > PNG_MAX_SIDE) {
      throw bad(`The image ${where} has a PNG chunk of length ${chunkLength} at byte ${pos}`);
    }
    const end = pos + 8 + chunkLength + 4;
    if (end > length) throw truncated(where, `a PNG chunk at byte ${pos} runs past the end`);
    if (hasAscii(bytes, pos + 4, 'IDAT')) hasData = true;
    if (hasAscii(bytes, pos + 4, 'IEND')) {
      if (!hasData) throw bad(`The image ${where} is a PNG without image data`);
      return { format: 'png', width, height };
    }
    pos = end;
  }
}

/** Checks the RIFF size against the bytes, then reads the size from the first chunk: VP8, VP8L or VP8X. */
function readWebp(bytes: Uint8Array, where: string): ImageHeader {
  const view = viewOf(bytes);
  const riffEnd = view.getUint32(4, true) + 8;
  if (riffEnd > bytes.length) {
    throw truncated(where, `the WebP declares ${riffEnd} bytes but has ${bytes.length}`);
  }
  if (riffEnd < 20) throw bad(`The image ${where} is a WebP without an image chunk`);
  const chunkSize = view.getUint32(16, true);
  const data = 20;
  if (data + chunkSize > riffEnd) throw truncated(where, 'the first WebP chunk runs past the end');
  let width: number;
  let height: number;
  if (hasAscii(bytes, 12, 'VP8 ')) {
    if (chunkSize < 10 || bytes[data + 3] !== 0x9d || bytes[data + 4] !== 0x01 || bytes[data + 5] !== 0x2a) {
      throw bad(`The image ${where} has a corrupt WebP VP8 header`);
    }
    width = view.getUint16(data + 6, true) & 0x3fff;
    height = view.getUint16(data + 8, true) & 0x3fff;
  } else if (hasAscii(bytes, 12, 'VP8L')) {
    if (chunkSize < 5 || bytes[data] !== 0x2f) throw bad(`The image ${where} has a corrupt WebP VP8L header`);
    const bits = view.getUint32(data + 1, true);
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (hasAscii(bytes, 12, 'VP8X')) {
    if (chunkSize < 10) throw bad(`The image ${where} has a corrupt WebP VP8X header`);
    width = readU24le(bytes, data + 4) + 1;
    height = readU24le(bytes, data + 7) + 1;
  } else {
    const fourcc = Buffer.from(bytes.subarray(12, 16)).toString('latin1');
    throw bad(`The image ${where} is a WebP with an unknown first chunk ${JSON.stringify(fourcc)}`);
  }
  if (width === 0 || height === 0) throw bad(`The image ${where} declares a size of ${width}x${height}`);
  return { format: 'webp', width, height };
}

function readU24le(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8) | ((bytes[offset + 2] as number) << 16)
  );
}
