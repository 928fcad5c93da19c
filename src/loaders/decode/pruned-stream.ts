/**
 * @module pruned-stream — exact frames for less decoding: the H.264 stream of an MP4 up to the last wanted
 * frame, without the frames nothing refers to (x264's non-reference B-frames, about 40% of a typical clip)
 * unless they are wanted, as an Annex B byte stream for ffmpeg's standard input. Every frame kept decodes
 * bit-exactly as in the whole file, since no frame predicts from a dropped one.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { H264Unsure, isDisposable, isIdr, splitNalUnits } from './h264.js';
import type { Mp4VideoTrack } from './mp4-boxes.js';

/**
 * The stream to decode, and where the wanted frames are among the frames it gives.
 *
 * @example
 * ```ts
 * const pruned: PrunedStream | undefined = await prunedStream('clip.mp4', track, [23, 69, 115]);
 * // { annexB: <Buffer 00 00 00 01 67 ...>, outputIndices: [12, 36, 60], decoded: 76, dropped: 40 }
 * ```
 */
export interface PrunedStream {
  /** Parameter sets, then the kept access units in decoding order, each NAL unit after a start code. */
  annexB: Buffer;
  /** For each wanted frame, its index among the decoded frames in presentation order. */
  outputIndices: number[];
  /** Frames in the stream. */
  decoded: number;
  /** Frames left out (up to the last wanted frame, in decoding order). */
  dropped: number;
}

/** The most bytes read for one clip's stream; a longer span is left to ffmpeg's own demuxer. */
export const MAX_PRUNED_BYTES = 256 * 2 ** 20;

const START_CODE = Buffer.from([0, 0, 0, 1]);

/**
 * Whether a track's frames can be fed to the decoder without the container and still give the frames
 * ffmpeg gives from the file: readable sample tables, no rotation (the container's matrix is what turns
 * frames), a stated reordering depth (so that frames come out in order whatever is dropped), and no `colr`
 * box unless the SPS states the colour itself.
 */
function prunable(
  track: Mp4VideoTrack,
): track is Mp4VideoTrack & { samples: NonNullable<Mp4VideoTrack['samples']> } {
  return (
    track.samples !== undefined &&
    track.rotation === 0 &&
    track.sps.reorderBounded &&
    (!track.colourBox || track.sps.colourDescribed)
  );
}

/**
 * Builds the stream that decodes the frames at presentation indices `wanted` exactly, skipping every frame
 * no other frame refers to unless it is wanted; frames after the last wanted one (in decoding order) are
 * not read. Returns `undefined`, for ffmpeg's own demuxer to decode the file, whenever this is not sure to
 * give the same frames: see {@link prunable}, a first frame that is not an IDR, a sample whose NAL units
 * do not fit it, or more than {@link MAX_PRUNED_BYTES} to read.
 *
 * @param wanted Presentation indices (0-based) of the frames to decode, each below `track.frameCount`.
 * @example
 * ```ts
 * const track = await readMp4VideoTrack('clip.mp4');
 * const pruned = track && (await prunedStream('clip.mp4', track, [23, 69, 115]));
 * if (pruned) await runFfmpeg(['-f', 'h264', '-i', 'pipe:0', ...], { input: pruned.annexB });
 * ```
 */
export async function prunedStream(
  path: string,
  track: Mp4VideoTrack,
  wanted: readonly number[],
): Promise<PrunedStream | undefined> {
  if (!prunable(track) || wanted.length === 0) return undefined;
  const { samples } = track;
  const wantedDecode = new Set(wanted.map((p) => samples.decodeIndex[p] as number));
  const last = Math.max(...wantedDecode);
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let i = 0; i <= last; i++) {
    start = Math.min(start, samples.offsets[i] as number);
    end = Math.max(end, (samples.offsets[i] as number) + (samples.sizes[i] as number));
  }
  if (end - start > MAX_PRUNED_BYTES) return undefined;
  let file: FileHandle | undefined;
  let span: Buffer;
  try {
    file = await open(path, 'r');
    span = Buffer.allocUnsafe(end - start);
    const { bytesRead } = await file.read(span, 0, span.length, start);
    if (bytesRead !== span.length) return undefined;
  } catch {
    return undefined; // ffmpeg reads the file itself and reports what is wrong with it
  } finally {
    await file?.close().catch(() => undefined);
  }
  const parts: Buffer[] = samples.parameterSets.flatMap((nal) => [START_CODE, nal]);
  const kept = new Uint8Array(last + 1);
  try {
    for (let i = 0; i <= last; i++) {
      const at = (samples.offsets[i] as number) - start;
      const nals = splitNalUnits(span.subarray(at, at + (samples.sizes[i] as number)), samples.lengthSize);
      if (i === 0 && !isIdr(nals)) return undefined;
      if (!wantedDecode.has(i) && isDisposable(nals)) continue;
      kept[i] = 1;
      for (const nal of nals) parts.push(START_CODE, nal as Buffer);
    }
  } catch (err) {
    if (err instanceof H264Unsure) return undefined;
    throw err;
  }
  // Rank of each kept frame in presentation order: the decoder outputs the kept frames in that order.
  const rank = new Map<number, number>();
  for (let p = 0, n = 0; p < track.frameCount; p++) {
    if (kept[samples.decodeIndex[p] as number] === 1) rank.set(p, n++);
  }
  const decoded = rank.size;
  return {
    annexB: Buffer.concat(parts),
    outputIndices: wanted.map((p) => rank.get(p) as number),
    decoded,
    dropped: last + 1 - decoded,
  };
}
