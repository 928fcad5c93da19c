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
 * The stream to decode, which frames it gives and where they are among the frames it decodes.
 *
 * @example
 * ```ts
 * const pruned: PrunedStream | undefined = await prunedStream('clip.mp4', track, [23, 69, 115]);
 * // { stream: [<Buffer 00 00 00 01>, <Buffer 67 64 ...>, ...], frames: [23, 69, 115],
 * //   outputIndices: [12, 36, 60], decoded: 76, dropped: 40 }
 * ```
 */
export interface PrunedStream {
  /**
   * The Annex B stream in chunks to write in order (start codes, and views into the bytes read, not copies):
   * the parameter sets, then the kept access units in decoding order, each NAL unit after a start code.
   */
  stream: Uint8Array[];
  /**
   * The frames given for the wanted ones, as presentation indices, ascending and distinct: the wanted frames
   * themselves, or with `nearestReference` the first reference frame at or after each.
   */
  frames: number[];
  /** For each of `frames`, its index among the frames the stream decodes to (in presentation order). */
  outputIndices: number[];
  /** Frames in the stream. */
  decoded: number;
  /** Frames left out (up to the last one kept, in decoding order). */
  dropped: number;
}

/**
 * Options of {@link prunedStream}.
 *
 * @example
 * ```ts
 * const options: PruneOptions = { nearestReference: true, maxBytes: 64 * 2 ** 20 };
 * ```
 */
export interface PruneOptions {
  /** The most bytes read for the clip; more is left to ffmpeg's demuxer. Default {@link MAX_PRUNED_BYTES}. */
  maxBytes?: number;
  /**
   * Give the first reference frame at or after each wanted frame instead of the frame itself, so that no
   * frame nothing refers to is decoded at all (`accuracy: 'nearest-reference'`). Default false.
   */
  nearestReference?: boolean;
}

/**
 * The most bytes read for one clip's stream by default (about 10 minutes at the real clips' 0.8 Mbit/s): the
 * span is held in memory while ffmpeg reads it, so a longer one is left to ffmpeg's own demuxer.
 *
 * @example
 * ```ts
 * await prunedStream('clip.mp4', track, [23, 69], { maxBytes: MAX_PRUNED_BYTES / 4 });
 * ```
 */
export const MAX_PRUNED_BYTES = 64 * 2 ** 20;

const START_CODE = Buffer.from([0, 0, 0, 1]);

type PrunableTrack = Mp4VideoTrack & { samples: NonNullable<Mp4VideoTrack['samples']> };

/**
 * Whether a track's frames can be fed to the decoder without the container and still give the frames
 * ffmpeg gives from the file: readable sample tables, no rotation (the container's matrix is what turns
 * frames), a stated reordering depth (so that frames come out in order whatever is dropped), and no `colr`
 * box unless the SPS states the colour itself.
 */
function prunable(track: Mp4VideoTrack): track is PrunableTrack {
  return (
    track.samples !== undefined &&
    track.rotation === 0 &&
    track.sps.reorderBounded &&
    (!track.colourBox || track.sps.colourDescribed)
  );
}

/** The bytes of samples 0..last (decoding order) in one read, with the offset of the first; or undefined. */
async function readSpan(
  path: string,
  track: PrunableTrack,
  last: number,
  maxBytes: number,
): Promise<{ span: Buffer; start: number } | undefined> {
  const { offsets, sizes } = track.samples;
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let i = 0; i <= last; i++) {
    start = Math.min(start, offsets[i] as number);
    end = Math.max(end, (offsets[i] as number) + (sizes[i] as number));
  }
  if (end - start > maxBytes) return undefined;
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
    const span = Buffer.allocUnsafe(end - start);
    const { bytesRead } = await file.read(span, 0, span.length, start);
    return bytesRead === span.length ? { span, start } : undefined;
  } catch {
    return undefined; // ffmpeg reads the file itself and reports what is wrong with it
  } finally {
    await file?.close().catch(() => undefined);
  }
}

/**
 * Builds the stream that decodes the frames at presentation indices `wanted` exactly, skipping every frame
 * no other frame refers to unless it is wanted; frames after the last one kept (in decoding order) are not
 * decoded (nor read, for exact frames). Returns `undefined`, for ffmpeg's own demuxer to decode the file, whenever this is not sure to give
 * the same frames: see {@link prunable}, a wanted index outside the track, a first frame that is not an
 * IDR, a sample whose NAL units do not fit it, more than `maxBytes` to read, or (with `nearestReference`,
 * which reads the whole track to find them) a wanted frame with no reference frame at or after it.
 *
 * @param wanted Presentation indices (0-based) of the frames to decode, each below `track.frameCount`.
 * @example
 * ```ts
 * const track = await readMp4VideoTrack('clip.mp4');
 * const pruned = track && (await prunedStream('clip.mp4', track, [23, 69, 115]));
 * if (pruned) await runFfmpeg(['-f', 'h264', '-i', 'pipe:0', ...], { input: pruned.stream });
 * ```
 */
export async function prunedStream(
  path: string,
  track: Mp4VideoTrack,
  wanted: readonly number[],
  { maxBytes = MAX_PRUNED_BYTES, nearestReference = false }: PruneOptions = {},
): Promise<PrunedStream | undefined> {
  if (!prunable(track) || wanted.length === 0) return undefined;
  if (wanted.some((p) => !Number.isInteger(p) || p < 0 || p >= track.frameCount)) return undefined;
  const { decodeIndex, offsets, sizes, lengthSize } = track.samples;
  // The nearest references may lie anywhere after the wanted frames: every sample is read and classified.
  const last = nearestReference
    ? track.frameCount - 1
    : Math.max(...wanted.map((p) => decodeIndex[p] as number));
  const read = await readSpan(path, track, last, maxBytes);
  if (!read) return undefined;
  const units: Uint8Array[][] = [];
  const disposable = new Uint8Array(last + 1);
  try {
    for (let i = 0; i <= last; i++) {
      const at = (offsets[i] as number) - read.start;
      const nals = splitNalUnits(read.span.subarray(at, at + (sizes[i] as number)), lengthSize);
      if (i === 0 && !isIdr(nals)) return undefined;
      units.push(nals);
      disposable[i] = isDisposable(nals) ? 1 : 0;
    }
  } catch (err) {
    if (err instanceof H264Unsure) return undefined;
    throw err;
  }
  /** The first frame at or after presentation index `p` that other frames refer to. */
  const nearest = (p: number): number | undefined => {
    for (let q = p; q < track.frameCount; q++) if (disposable[decodeIndex[q] as number] === 0) return q;
    return undefined;
  };
  const chosen = nearestReference ? wanted.map(nearest) : wanted;
  if (chosen.some((p) => p === undefined)) return undefined;
  const frames = [...new Set(chosen as number[])].sort((a, b) => a - b);
  const keep = new Set(frames.map((p) => decodeIndex[p] as number));
  const lastKept = Math.max(...keep);
  const parts: Uint8Array[] = track.samples.parameterSets.flatMap((nal) => [START_CODE, nal]);
  const kept = new Uint8Array(lastKept + 1);
  for (let i = 0; i <= lastKept; i++) {
    if (!keep.has(i) && disposable[i] === 1) continue;
    kept[i] = 1;
    for (const nal of units[i] as Uint8Array[]) parts.push(START_CODE, nal);
  }
  // Rank of each kept frame in presentation order: the decoder outputs the kept frames in that order.
  const rank = new Map<number, number>();
  for (let p = 0, n = 0; p < track.frameCount; p++) {
    if (kept[decodeIndex[p] as number] === 1) rank.set(p, n++);
  }
  return {
    stream: parts,
    frames,
    outputIndices: frames.map((p) => rank.get(p) as number),
    decoded: rank.size,
    dropped: lastKept + 1 - rank.size,
  };
}
