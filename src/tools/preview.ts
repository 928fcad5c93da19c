/**
 * @module preview — a contact sheet of a label's items: each cover as a thumbnail with its id and brief
 * under it, and optionally a strip of uniformly sampled frames of its clip; written as JPEG or PNG by sharp.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { isReelsetError, ReelsetError } from '../errors.js';
import { decodeImage } from '../loaders/decode/image.js';
import { decodeVideo } from '../loaders/decode/video.js';
import { readItemTxt } from '../loaders/layout/item-files.js';
import { labelId } from '../loaders/layout/labels.js';
import { type ItemEntry, readItemFolder, scanLayout } from '../loaders/layout/scan.js';
import { forEachLimit } from '../util/concurrency.js';
import { checkInteger } from '../util/options.js';
import { prepareTextFonts, TEXT_FONT_FAMILIES } from './fonts.js';
import { escapeXml, wrapText } from './svg.js';

/**
 * Options of {@link previewSheet}.
 *
 * @example
 * ```ts
 * const options: PreviewOptions = { label: 'Beach', out: 'sheet.jpg', limit: 12, columns: 4, frames: 6 };
 * ```
 */
export interface PreviewOptions {
  /** The label folder to show (English name). */
  label: string;
  /** The output file: `.jpg` / `.jpeg` writes JPEG, `.png` writes PNG. */
  out: string;
  /** The first N items of the label (numeric id order). Default 24, at most 1000. */
  limit?: number;
  /** Tiles a row (1-50). Default 6; never more than the items shown. */
  columns?: number;
  /** Frames of each clip in a strip under its cover (0-16). Default 0: no strip. */
  frames?: number;
  /** Items decoded at once. Default 4. */
  concurrency?: number;
}

/**
 * What {@link previewSheet} wrote.
 *
 * @example
 * ```ts
 * const result: PreviewResult = await previewSheet('data', { label: 'Beach', out: 'sheet.jpg' });
 * console.log(result.out, result.items, result.width, result.height);
 * ```
 */
export interface PreviewResult {
  /** The output file, resolved. */
  out: string;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  /** Tiles on the sheet. */
  items: number;
  /** Tiles whose cover is missing or does not decode (a placeholder says so). */
  missingCovers: number;
  /** Tiles whose frame strip could not be made (with `frames`). */
  missingClips: number;
}

/**
 * The geometry of a sheet: tile sizes and the sheet's pixel size for `count` tiles.
 *
 * @example
 * ```ts
 * const g = sheetGeometry(12, 4, 0); // { columns: 4, rows: 3, width: 1010, height: ... }
 * ```
 */
export interface SheetGeometry {
  columns: number;
  rows: number;
  width: number;
  height: number;
  tileWidth: number;
  coverHeight: number;
  frameWidth: number;
  frameHeight: number;
  /** Height of the strip of frames (0 without frames). */
  stripHeight: number;
  captionHeight: number;
  tileHeight: number;
}

const TILE_WIDTH = 240;
const COVER_HEIGHT = 135; // 16:9, as the 480x270 covers
const CAPTION_HEIGHT = 54;
const PAD = 10;
const HEADER = 40;

/**
 * Computes the layout of a sheet of `count` tiles in `columns` columns (fewer when there are fewer tiles),
 * with `frames` frames in each tile's strip: tiles of 240 x 135 covers, strips of 16:9 frames, a caption of
 * 54 pixels, 10 pixels of padding and a 40-pixel header.
 *
 * @example
 * ```ts
 * sheetGeometry(5, 3, 4); // columns 3, rows 2, frameWidth 60, frameHeight 34
 * ```
 */
export function sheetGeometry(count: number, columns: number, frames: number): SheetGeometry {
  const cols = Math.max(1, Math.min(columns, count));
  const rows = Math.max(1, Math.ceil(count / cols));
  const frameWidth = frames > 0 ? Math.floor(TILE_WIDTH / frames) : 0;
  const frameHeight = frames > 0 ? Math.max(2, Math.round((frameWidth * 9) / 16)) : 0;
  const stripHeight = frames > 0 ? frameHeight + 4 : 0;
  const tileHeight = COVER_HEIGHT + stripHeight + CAPTION_HEIGHT;
  return {
    columns: cols,
    rows,
    width: PAD + cols * (TILE_WIDTH + PAD),
    height: HEADER + rows * (tileHeight + PAD) + PAD,
    tileWidth: TILE_WIDTH,
    coverHeight: COVER_HEIGHT,
    frameWidth,
    frameHeight,
    stripHeight,
    captionHeight: CAPTION_HEIGHT,
    tileHeight,
  };
}

/**
 * One tile's content: id, brief (as stored) and, when missing, why the cover or clip is not shown.
 *
 * @example
 * ```ts
 * const tile: PreviewTile = { id: '12', brief: ' Waves at dusk', coverProblem: 'no cover' };
 * ```
 */
export interface PreviewTile {
  id: string;
  brief: string;
  coverProblem?: string;
  clipProblem?: string;
}

/**
 * The SVG overlay of a sheet: the header, each tile's id and brief (XML-escaped, wrapped to two lines of
 * the tile's width, Chinese between any two characters, and cut with `…`), and a grey placeholder with the
 * reason for a missing cover or strip. Chinese is drawn with reelset's CJK font (see `prepareTextFonts`).
 *
 * @example
 * ```ts
 * const svg = sheetOverlaySvg('Beach', tiles, sheetGeometry(tiles.length, 6, 0));
 * ```
 */
export function sheetOverlaySvg(title: string, tiles: readonly PreviewTile[], g: SheetGeometry): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}">`,
    `<g font-family="${TEXT_FONT_FAMILIES}">`,
    `<text x="${PAD}" y="27" font-size="18" font-weight="bold" fill="#f0f0f0">${escapeXml(title)}</text>`,
  ];
  // Columns of 6.6 px: a Latin letter of the 11 px brief takes about that, a CJK character (11 px) two.
  const maxColumns = Math.floor((g.tileWidth - 4) / 6.6);
  tiles.forEach((tile, i) => {
    const left = PAD + (i % g.columns) * (g.tileWidth + PAD);
    const top = HEADER + Math.floor(i / g.columns) * (g.tileHeight + PAD);
    const placeholder = (y: number, h: number, text: string): void => {
      parts.push(
        `<rect x="${left}" y="${y}" width="${g.tileWidth}" height="${h}" fill="#555555"/>`,
        `<text x="${left + g.tileWidth / 2}" y="${y + h / 2 + 4}" font-size="${h < 30 ? 10 : 13}" fill="#eeeeee" text-anchor="middle">${escapeXml(wrapText(text, h < 30 ? 38 : 34, 1)[0] ?? '')}</text>`,
      );
    };
    if (tile.coverProblem !== undefined) placeholder(top, g.coverHeight, tile.coverProblem);
    if (g.stripHeight > 0 && tile.clipProblem !== undefined) {
      placeholder(top + g.coverHeight + 2, g.frameHeight, tile.clipProblem);
    }
    const captionTop = top + g.coverHeight + g.stripHeight;
    parts.push(
      `<text x="${left + 2}" y="${captionTop + 15}" font-size="12" font-weight="bold" fill="#ffffff">${escapeXml(tile.id)}</text>`,
    );
    const lines = wrapText(tile.brief, maxColumns, 2);
    lines.forEach((line, k) => {
      parts.push(
        `<text x="${left + 2}" y="${captionTop + 31 + 15 * k}" font-size="11" fill="#cccccc">${escapeXml(line)}</text>`,
      );
    });
  });
  parts.push('</g>', '</svg>');
  return parts.join('\n');
}

function formatOf(out: string): 'jpeg' | 'png' {
  const ext = path.extname(out).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.png') return 'png';
  throw new ReelsetError(
    'REELSET_E_INVALID_ARGUMENT',
    `out must end in .jpg, .jpeg or .png, got ${JSON.stringify(out)}`,
  );
}

function reasonOf(err: unknown): string {
  if (isReelsetError(err)) {
    if (err.code === 'REELSET_E_BAD_IMAGE') return 'cover does not decode';
    if (err.code === 'REELSET_E_IMAGE_TOO_LARGE') return 'cover too large';
    return `clip: ${err.code.replace('REELSET_E_', '').toLowerCase().replace(/_/g, ' ')}`;
  }
  return 'cannot decode';
}

interface TileData extends PreviewTile {
  cover?: Uint8Array;
  frames?: Uint8Array[];
}

/**
 * Writes a contact sheet of the first `limit` items of one label folder: each tile is the cover (240 x 135,
 * cropped to fill), an optional strip of `frames` frames sampled uniformly over the clip (one ffmpeg
 * process per clip), and the id and brief (from the `.txt`, parsed safely; escaped, wrapped to two lines,
 * cut with `…`). An item without a decodable cover (or clip) gets a placeholder that says so. Covers and
 * clips are decoded by reelset's own pipelines (`decodeImage`, `decodeVideo`); the text is an SVG overlay
 * composited by sharp. The file is written to a temporary name, then renamed.
 *
 * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` for an unknown label; `REELSET_E_NOT_FOUND` when the label
 *   folder has no item; `REELSET_E_INVALID_ARGUMENT` for a bad option or output extension.
 * @example
 * ```ts
 * const result = await previewSheet('data', { label: 'Beach', out: 'sheet.jpg', limit: 12, frames: 6 });
 * console.log(`${result.items} items -> ${result.out} (${result.width}x${result.height})`);
 * ```
 */
export async function previewSheet(root: string, options: PreviewOptions): Promise<PreviewResult> {
  labelId(options.label);
  const format = formatOf(options.out);
  const limit = checkInteger('limit', options.limit ?? 24, 1, 1000);
  const columns = checkInteger('columns', options.columns ?? 6, 1, 50);
  const frames = checkInteger('frames', options.frames ?? 0, 0, 16);
  const concurrency = checkInteger('concurrency', options.concurrency ?? 4, 1, 64);

  const entries: ItemEntry[] = [];
  for await (const entry of scanLayout(root, { labels: [options.label] })) {
    if (entry.type === 'problem') continue;
    entries.push(entry);
    if (entries.length === limit) break;
  }
  if (entries.length === 0) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `No item in ${path.join(root, options.label)}`);
  }
  const g = sheetGeometry(entries.length, columns, frames);

  const tiles: TileData[] = new Array(entries.length);
  await forEachLimit(entries.entries(), concurrency, async ([index, entry]) => {
    const item = await readItemFolder(entry);
    const tile: TileData = { id: item.id ?? item.name, brief: '' };
    tiles[index] = tile;
    if (item.id !== undefined && item.files.txt) {
      const txt = await readItemTxt(item.files.txt.openPath, item.id);
      tile.brief = txt.ok ? txt.brief : `(txt: ${txt.reason})`;
    } else {
      tile.brief = '(no txt)';
    }
    if (item.files.jpeg) {
      try {
        const image = await decodeImage(item.files.jpeg.openPath, {
          height: g.coverHeight,
          width: g.tileWidth,
          fit: 'cover',
        });
        tile.cover = image.data as Uint8Array;
      } catch (err) {
        tile.coverProblem = reasonOf(err);
      }
    } else {
      tile.coverProblem = 'no cover';
    }
    if (frames > 0) {
      if (item.files.mp4) {
        try {
          const clip = await decodeVideo(item.files.mp4.openPath, {
            frames,
            height: g.frameHeight,
            width: g.frameWidth,
            sampling: 'uniform',
          });
          const size = g.frameHeight * g.frameWidth * 3;
          const data = clip.data as Uint8Array;
          tile.frames = Array.from({ length: frames }, (_, k) => data.subarray(k * size, (k + 1) * size));
        } catch (err) {
          if (isReelsetError(err, 'REELSET_E_FFMPEG_NOT_FOUND')) throw err;
          tile.clipProblem = reasonOf(err);
        }
      } else {
        tile.clipProblem = 'no clip';
      }
    }
  });

  const layers: sharp.OverlayOptions[] = [];
  tiles.forEach((tile, i) => {
    const left = PAD + (i % g.columns) * (g.tileWidth + PAD);
    const top = HEADER + Math.floor(i / g.columns) * (g.tileHeight + PAD);
    if (tile.cover) {
      layers.push({
        input: Buffer.from(tile.cover.buffer, tile.cover.byteOffset, tile.cover.byteLength),
        raw: { width: g.tileWidth, height: g.coverHeight, channels: 3 },
        left,
        top,
      });
    }
    tile.frames?.forEach((frame, k) => {
      layers.push({
        input: Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength),
        raw: { width: g.frameWidth, height: g.frameHeight, channels: 3 },
        left: left + k * g.frameWidth,
        top: top + g.coverHeight + 2,
      });
    });
  });
  const title = `${options.label}: ${tiles.length} item${tiles.length === 1 ? '' : 's'}`;
  const overlay = sheetOverlaySvg(title, tiles, g);
  await prepareTextFonts(overlay);
  layers.push({ input: Buffer.from(overlay, 'utf8'), left: 0, top: 0 });

  const out = path.resolve(options.out);
  await mkdir(path.dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.${Date.now()}.part`;
  let sheet = sharp({
    create: { width: g.width, height: g.height, channels: 3, background: { r: 30, g: 30, b: 30 } },
  }).composite(layers);
  sheet = format === 'jpeg' ? sheet.jpeg({ quality: 88 }) : sheet.png();
  try {
    await sheet.toFile(temp);
    await rename(temp, out);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return {
    out,
    format,
    width: g.width,
    height: g.height,
    items: tiles.length,
    missingCovers: tiles.filter((tile) => tile.coverProblem !== undefined).length,
    missingClips: tiles.filter((tile) => tile.clipProblem !== undefined).length,
  };
}
