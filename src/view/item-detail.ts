/**
 * @module view/item-detail — one item as the item view shows it: its files (as the scanner found them), the
 * `.txt` fields, the brief's tokens, the clip's metadata, whether the cover decodes, and the frames the
 * loader samples with given options.
 */
import { readFile } from 'node:fs/promises';
import { isReelsetError, messageOf } from '../errors.js';
import { decodeImage } from '../loaders/decode/image.js';
import { tokenize } from '../loaders/decode/text.js';
import { decodeVideo, probeVideo, resolveVideoOptions, type VideoOptions } from '../loaders/decode/video.js';
import { readItemTxt } from '../loaders/layout/item-files.js';
import { MEDIA_KINDS, type MediaKind } from '../loaders/layout/naming.js';
import { parsePythonDict } from '../loaders/layout/py-literal.js';
import { type ItemFile, readItemFolder, type ScannedItem } from '../loaders/layout/scan.js';
import { checkInteger, invalidArgument } from '../util/options.js';
import { framesToJpeg } from './thumbs.js';
import type { ViewItem } from './view-index.js';

/**
 * The item view's data (JSON).
 *
 * @example
 * ```ts
 * const detail: ItemDetail = await itemDetail(item);
 * console.log(detail.files.mp4?.size, detail.tokens, detail.video);
 * ```
 */
export interface ItemDetail {
  label: string;
  labelId: number;
  name: string;
  id: string | null;
  brief: string;
  durationSec: number | null;
  files: Partial<Record<MediaKind, { name: string; size: number | null; urlNamed: boolean }>>;
  /** The `.txt` fields (a Python dict literal of strings), or null when it does not parse. */
  fields: Record<string, string> | null;
  txtProblem: string | null;
  tokens: string[];
  /** Whether the cover decodes (the cover pipeline), and why not. */
  cover: { ok: true; format: string } | { ok: false; reason: string } | null;
  /** The clip's metadata (ffprobe), or why it cannot be read. */
  video:
    | {
        ok: true;
        durationSec: number;
        frameRate: number;
        frameCount: number | null;
        width: number;
        height: number;
        codec: string;
      }
    | { ok: false; reason: string }
    | null;
}

/**
 * The files of an item folder (the layout's rules and its link rule): `undefined` for a folder the scanner
 * refuses (not an mp4_id, a link leaving the root, unlistable).
 *
 * @example
 * ```ts
 * const folder = await scannedFolder(item);
 * const mp4 = folder?.files.mp4?.openPath;
 * ```
 */
export async function scannedFolder(item: ViewItem): Promise<ScannedItem | undefined> {
  const folder = await readItemFolder(item.entry, { sizes: true });
  if (folder.id === undefined || folder.problems.some((p) => p.kind === 'folder')) return undefined;
  return folder;
}

/** The reason of a decoder's error with the file's path left out (the page says which file). */
function reasonOf(err: unknown, file: ItemFile): string {
  return messageOf(err).split(file.openPath).join(file.name);
}

/**
 * Reads everything the item view shows of one item. A bad file gives its reason in place, never an error.
 *
 * @example
 * ```ts
 * const detail = await itemDetail(index.find('Beach', '12')!);
 * ```
 */
export async function itemDetail(item: ViewItem): Promise<ItemDetail> {
  const detail: ItemDetail = {
    label: item.label,
    labelId: item.labelId,
    name: item.name,
    id: item.id ?? null,
    brief: '',
    durationSec: null,
    files: {},
    fields: null,
    txtProblem: null,
    tokens: [],
    cover: null,
    video: null,
  };
  const folder = await scannedFolder(item);
  if (folder === undefined) return detail;
  const id = folder.id as string;
  detail.id = id;
  for (const kind of MEDIA_KINDS) {
    const file = folder.files[kind];
    if (file !== undefined)
      detail.files[kind] = { name: file.name, size: file.size ?? null, urlNamed: file.urlNamed };
  }
  const { txt, jpeg, mp4 } = folder.files;
  if (txt !== undefined) {
    const result = await readItemTxt(txt.openPath, id);
    if (result.ok) {
      detail.brief = result.brief;
      detail.durationSec = result.durationSec;
      detail.tokens = tokenize(result.brief);
      // readItemTxt has checked the file (size, UTF-8, a dict of strings): its fields, for the catalog view.
      detail.fields = parsePythonDict(await readFile(txt.openPath, 'utf8'));
    } else {
      detail.txtProblem = result.reason;
    }
  }
  const [cover, video] = await Promise.all([
    jpeg === undefined
      ? null
      : decodeImage(jpeg.openPath, { height: 8, width: 8 }).then(
          (image) => ({ ok: true as const, format: image.format }),
          (err: unknown) => ({ ok: false as const, reason: reasonOf(err, jpeg) }),
        ),
    mp4 === undefined
      ? null
      : probeVideo(mp4.openPath, { timeoutMs: 20_000 }).then(
          (info) => ({
            ok: true as const,
            durationSec: info.durationSec,
            frameRate: info.frameRate.num / info.frameRate.den,
            frameCount: info.frameCount,
            width: info.width,
            height: info.height,
            codec: info.codec,
          }),
          (err: unknown) => {
            if (isReelsetError(err, 'REELSET_E_FFMPEG_NOT_FOUND')) throw err;
            return { ok: false as const, reason: reasonOf(err, mp4) };
          },
        ),
  ]);
  detail.cover = cover;
  detail.video = video;
  return detail;
}

/**
 * The options of the frames strip from a request's query (`frames`, `sampling`, `height`, `width`, `fps`,
 * `seed`): the loader's video options (checked by `resolveVideoOptions`), with at most 32 frames of at most
 * 640 pixels a side in the viewer.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad value.
 * @example
 * ```ts
 * frameOptions(new URLSearchParams('frames=4&sampling=first')); // { frames: 4, sampling: 'first', ... }
 * ```
 */
export function frameOptions(query: URLSearchParams): VideoOptions {
  const number = (name: string): number | undefined => {
    const value = query.get(name);
    if (value === null || value === '') return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed))
      throw invalidArgument(`${name} must be a number, got ${JSON.stringify(value)}`);
    return parsed;
  };
  const options: VideoOptions = {};
  const frames = number('frames');
  if (frames !== undefined) options.frames = checkInteger('frames', frames, 1, 32);
  const height = number('height');
  if (height !== undefined) options.height = checkInteger('height', height, 8, 640);
  const width = number('width');
  if (width !== undefined) options.width = checkInteger('width', width, 8, 640);
  const fps = number('fps');
  if (fps !== undefined) options.fps = fps;
  const seed = number('seed');
  if (seed !== undefined) options.seed = seed;
  const sampling = query.get('sampling');
  if (sampling !== null && sampling !== '') options.sampling = sampling as VideoOptions['sampling'];
  resolveVideoOptions(options);
  return options;
}

/**
 * The frames of a clip exactly as the loader samples them (`decodeVideo` with the item's id as the key of
 * random sampling), as JPEG data URLs with their times.
 *
 * @throws ReelsetError what `decodeVideo` throws for a bad clip.
 * @example
 * ```ts
 * const strip = await sampledFrames('/data/Beach/12/12.mp4', '12', { frames: 8 });
 * console.log(strip.timesSec, strip.frames.length);
 * ```
 */
export async function sampledFrames(
  file: string,
  id: string,
  options: VideoOptions,
): Promise<{ frames: string[]; timesSec: number[]; padded: number; options: VideoOptions; shape: number[] }> {
  const resolved = resolveVideoOptions({
    ...options,
    dtype: 'uint8',
    layout: 'channels-last',
    channels: 'rgb',
  });
  const clip = await decodeVideo(file, resolved, { key: id });
  const jpegs = await framesToJpeg(clip.data as Uint8Array, clip.shape);
  return {
    frames: jpegs.map((bytes) => `data:image/jpeg;base64,${bytes.toString('base64')}`),
    timesSec: clip.timesSec,
    padded: clip.padded,
    shape: clip.shape,
    options: {
      frames: resolved.frames,
      sampling: resolved.sampling,
      height: resolved.height,
      width: resolved.width,
      fps: resolved.fps,
      seed: resolved.seed,
    },
  };
}
