/** @module preview.test — `previewSheet` and `reelset preview`: sizes, placeholders, frame strips. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, toolsDataset } from '../../test/helpers.js';
import { registerPreview } from '../cli/preview.js';
import { isReelsetError } from '../errors.js';
import type { SynthReport } from '../synth/index.js';
import { previewSheet, sheetGeometry } from './preview.js';

let tmp: string;
let report: SynthReport;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-preview-'));
  // Beach gets 3 good items, the truncated cover and the missing .txt (bad kinds 0 and 4).
  report = await toolsDataset(join(tmp, 'ds'), { seconds: 0.5 });
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function region(file: string, left: number, top: number, width: number, height: number) {
  // stats() reads its input, not the pipeline's output: extract to a buffer first.
  const part = await sharp(file).extract({ left, top, width, height }).png().toBuffer();
  return (await sharp(part).stats()).channels;
}

describe('previewSheet', () => {
  it('writes a JPEG of the expected size for N covers in C columns', async () => {
    const out = join(tmp, 'sheet.jpg');
    const result = await previewSheet(report.root, { label: 'Beach', out, limit: 4, columns: 3 });
    const g = sheetGeometry(4, 3, 0);
    expect(g).toMatchObject({ columns: 3, rows: 2, width: 760, height: 40 + 2 * (135 + 54 + 10) + 10 });
    expect(result).toMatchObject({ out, format: 'jpeg', width: g.width, height: g.height, items: 4 });
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', g.width, g.height]);
    // The first tile's cover area is a picture (not the flat background).
    const cover = await region(out, 10, 40, 240, 135);
    expect(cover[0]?.stdev ?? 0).toBeGreaterThan(3);
    expect(await readdir(tmp)).not.toContain(expect.stringMatching(/\.part$/));
  });

  it('adds a strip of K frames per clip and a placeholder for a cover that does not decode', async () => {
    const out = join(tmp, 'frames.png');
    const beach = report.items.filter((item) => item.label === 'Beach');
    const result = await previewSheet(report.root, { label: 'Beach', out, columns: 2, frames: 3 });
    const g = sheetGeometry(beach.length, 2, 3);
    expect(g.frameWidth).toBe(80);
    expect(g.frameHeight).toBe(45);
    expect(result).toMatchObject({ format: 'png', width: g.width, height: g.height, items: beach.length });
    expect(result.missingCovers).toBe(beach.filter((item) => item.bad === 'truncated-jpeg').length);
    expect(result.missingCovers).toBe(1);
    expect(result.missingClips).toBe(0);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', g.width, g.height]);
    // The strip under the first cover holds frames: not the flat background.
    const strip = await region(out, 10, 40 + g.coverHeight + 2, g.tileWidth - 1, g.frameHeight);
    expect(strip[0]?.stdev ?? 0).toBeGreaterThan(3);
    // The truncated cover's tile is the grey placeholder (#555555) with its text.
    const order = beach.map((item) => item).sort((a, b) => Number(a.id) - Number(b.id)); // tiles: numeric id order
    const index = order.findIndex((item) => item.bad === 'truncated-jpeg');
    const left = 10 + (index % 2) * 250;
    const top = 40 + Math.floor(index / 2) * (g.tileHeight + 10);
    const placeholder = await region(out, left, top, 240, 30);
    expect(placeholder[0]?.mean).toBeCloseTo(0x55, 0);
  });

  it('refuses an unknown label, a bad extension and an empty label folder', async () => {
    const cases: Array<[Promise<unknown>, string]> = [
      [previewSheet(report.root, { label: 'Cats', out: join(tmp, 'x.jpg') }), 'REELSET_E_UNKNOWN_LABEL'],
      [previewSheet(report.root, { label: 'Beach', out: join(tmp, 'x.gif') }), 'REELSET_E_INVALID_ARGUMENT'],
      [
        previewSheet(report.root, { label: 'Beach', out: join(tmp, 'x.jpg'), frames: 17 }),
        'REELSET_E_INVALID_ARGUMENT',
      ],
      [previewSheet(report.root, { label: 'Nature', out: join(tmp, 'x.jpg') }), 'REELSET_E_NOT_FOUND'],
    ];
    for (const [promise, code] of cases) {
      const err = await promise.catch((e: unknown) => e);
      expect(isReelsetError(err, code as 'REELSET_E_NOT_FOUND'), code).toBe(true);
    }
  });
});

describe('reelset preview', () => {
  it('writes the sheet and prints its path, size and counts', async () => {
    const out = join(tmp, 'cli.jpg');
    const chunks = await runCli(registerPreview, [
      'preview',
      report.root,
      '--label',
      'Beach',
      '--out',
      out,
      '--limit',
      '2',
    ]);
    const g = sheetGeometry(2, 6, 0);
    expect(chunks.join('')).toBe(`preview: 2 items -> ${out} (${g.width}x${g.height} jpeg)\n`);
    expect((await sharp(out).metadata()).width).toBe(g.width);
  });
});
