import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellColor, confusionSvg, writeConfusionPng } from './confusion.js';
import { computeMetrics } from './metrics.js';

function oneHot(c: number): number[] {
  const row = new Array<number>(31).fill(0);
  row[c] = 1;
  return row;
}

// Row 0 (360VR): 10 right, 1 taken for 4k, 5 for Abstract, 0 for Aerial; row 8 (Beach): 4 right.
const labels = [...new Array<number>(16).fill(0), 8, 8, 8, 8];
const preds = [...new Array<number>(10).fill(0), 1, 2, 2, 2, 2, 2, 8, 8, 8, 8];
const metrics = computeMetrics(labels, preds.map(oneHot));

/** The cells of the SVG, row-major: position and fill. */
function cells(svg: string): { x: number; y: number; fill: string }[] {
  return [...svg.matchAll(/<rect x="(\d+)" y="(\d+)" width="34" height="34" fill="(#[0-9a-f]{6})"\/>/g)].map(
    (m) => ({ x: Number(m[1]), y: Number(m[2]), fill: m[3] as string }),
  );
}

function rgb(hex: string): number[] {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
}

describe('confusion matrix picture', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reelset-confusion-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a PNG of the expected size, cells shaded by their share of the row', async () => {
    const file = join(dir, 'confusion.png');
    const size = await writeConfusionPng(metrics, file, { chinese: true });
    expect(size).toEqual({ width: 1390, height: 1384 });
    const meta = await sharp(file).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 1390, height: 1384 });

    const { svg } = confusionSvg(metrics, { chinese: true });
    const grid = cells(svg);
    expect(grid).toHaveLength(31 * 31);
    const at = (r: number, c: number): { x: number; y: number; fill: string } =>
      grid[r * 31 + c] as { x: number; y: number; fill: string };
    // Different counts of one row, different shades; more is darker; 0 is white.
    const fills = [at(0, 0), at(0, 1), at(0, 2), at(0, 3)].map((cell) => cell.fill);
    expect(new Set(fills).size).toBe(4);
    const darkness = fills.map((f) => 765 - rgb(f).reduce((s, v) => s + v, 0));
    expect(darkness[0]).toBeGreaterThan(darkness[2] as number); // 10 / 16
    expect(darkness[2]).toBeGreaterThan(darkness[1] as number); // 5 / 16
    expect(darkness[1]).toBeGreaterThan(0); // 1 / 16: tinted, not white
    expect(fills[3]).toBe('#ffffff'); // 0
    // Row-normalised: Beach's 4 of 4 is as dark as can be, darker than 360VR's 10 of 16.
    expect(at(8, 8).fill).toBe(cellColor(1));
    expect(at(1, 1).fill).toBe('#ffffff'); // a row without samples
    // The PNG has those colours in the cells (sampled in a corner, away from the count and the outline).
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number): number[] => {
      const i = (y * info.width + x) * info.channels;
      return [data[i], data[i + 1], data[i + 2]] as number[];
    };
    for (const [r, c] of [
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 0],
      [8, 8],
    ] as const) {
      const cell = at(r, c);
      const got = pixel(cell.x + 6, cell.y + 6);
      const want = rgb(cell.fill);
      for (let k = 0; k < 3; k++)
        expect(Math.abs((got[k] as number) - (want[k] as number))).toBeLessThanOrEqual(2);
    }
    const sampled = [at(0, 0), at(0, 1), at(0, 2), at(0, 3)].map((cell) =>
      pixel(cell.x + 6, cell.y + 6).join(),
    );
    expect(new Set(sampled).size).toBe(4);
  });

  it('puts counts in cells, label names on both axes, accuracy in the title, recall and precision around', () => {
    const { svg, width, height } = confusionSvg(metrics, { chinese: true });
    expect([width, height]).toEqual([1390, 1384]);
    expect(svg).toContain('Confusion matrix: accuracy 70.0%');
    expect(svg).toContain('top-5 100.0%, macro-F1');
    expect(svg).toContain('20 samples');
    expect(svg).toContain('predicted label');
    expect(svg).toContain('true label');
    expect(svg).toMatch(/>10<\/text>/);
    expect(svg).toMatch(/>5<\/text>/);
    expect(svg.match(/Beach 海滩/g)).toHaveLength(2); // row and column
    expect(svg).toContain('62.5%'); // recall of 360VR: 10 / 16
    expect(svg).toContain('Reelset CJK SC');
    const english = confusionSvg(metrics).svg;
    expect(english).not.toContain('海滩');
    expect(english).toContain('>Beach<');
    expect(confusionSvg(metrics, { title: 'Test split' }).svg).toContain('>Test split<');
  });

  it('draws a bare matrix, escapes names, shortens big counts, refuses a matrix that is not square', () => {
    const { svg, width } = confusionSvg({
      labels: ['<script>', 'a & b'],
      counts: [
        [123456, 2],
        [0, 2_500_000],
      ],
    });
    expect(width).toBe(216 + 68 + 120);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('>123k<');
    expect(svg).toContain('>2.5M<');
    expect(svg).toContain('2,623,458 samples');
    expect(() => confusionSvg({ labels: ['a', 'b'], counts: [[1, 2]] })).toThrow(/must be 2 x 2/);
    expect(() => confusionSvg({ labels: [], counts: [] })).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
    expect(cellColor(0)).toBe('#ffffff');
    expect(cellColor(1)).toBe('#08306b');
    expect(cellColor(0.001)).not.toBe('#ffffff');
  });
});
