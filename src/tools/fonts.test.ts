/**
 * @module fonts.test — Chinese text in charts and contact sheets: drawn with reelset's CJK font as real
 * glyphs (not boxes), also with no CJK font on the system; and the one-line warning when none is found.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelId } from '../loaders/layout/labels.js';
import { coverJpeg } from '../synth/cover.js';
import { txtLiteral } from '../synth/index.js';
import { barChartSvg, renderSvgPng } from './chart.js';
import {
  CJK_FONT_FAMILY,
  type CjkFont,
  cjkFontWarning,
  containsCjk,
  findCjkFont,
  NO_CJK_FONT_WARNING,
  packagedCjkFontFile,
  TEXT_FONT_FAMILIES,
} from './fonts.js';
import { previewSheet } from './preview.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const DEJAVU = '/usr/share/fonts/truetype/dejavu';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-fonts-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Region {
  data: Buffer;
  width: number;
  height: number;
}

async function grey(file: string, left: number, top: number, width: number, height: number): Promise<Region> {
  const part = await sharp(file).extract({ left, top, width, height }).png().toBuffer();
  const { data, info } = await sharp(part).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * How much a region's text looks like "tofu": the share of the border of its ink's bounding box that is
 * ink. Missing glyphs are drawn as hollow boxes (with the code in hex inside): their outline fills the
 * border (0.99-1 here); real Chinese characters touch their bounding box in a few places (0.15-0.4).
 */
function boxScore(region: Region, ink: (value: number) => boolean): { score: number; inked: number } {
  const at = (x: number, y: number): boolean => ink(region.data[y * region.width + x] as number);
  let [x0, y0, x1, y1] = [region.width, region.height, -1, -1];
  let inked = 0;
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      if (!at(x, y)) continue;
      inked++;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  if (inked === 0) return { score: 0, inked };
  const side = (points: Array<[number, number]>): number =>
    points.filter(([x, y]) => at(x, y)).length / points.length;
  const xs = Array.from({ length: x1 - x0 + 1 }, (_, i) => x0 + i);
  const ys = Array.from({ length: y1 - y0 + 1 }, (_, i) => y0 + i);
  const score =
    (side(xs.map((x) => [x, y0])) +
      side(xs.map((x) => [x, y1])) +
      side(ys.map((y) => [x0, y])) +
      side(ys.map((y) => [x1, y]))) /
    4;
  return { score, inked };
}

/** Pixels that differ by more than a quarter of the range between two regions of one size. */
function differing(a: Region, b: Region): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0)) > 64) n++;
  return n;
}

const onWhite = (v: number): boolean => v < 235; // the chart: dark text on white
const onDark = (v: number): boolean => v > 60; // the sheet: light text on rgb(30, 30, 30)

/** The chart of two rows named only in Chinese, and the regions of their names (right-aligned at x 192). */
const CHART = barChartSvg({
  title: 'Items',
  rows: [
    { name: '海滩', value: 3 },
    { name: '城市', value: 5 },
  ],
}).svg;
const chartNames = (file: string): Promise<Region[]> =>
  Promise.all([0, 1].map((row) => grey(file, 100, 72 + 22 * row + 2, 96, 18)));

describe('the CJK font shipped with reelset', () => {
  it('lies in fonts/ with its licence, under 2.5 MB, and is registered by findCjkFont', async () => {
    const file = packagedCjkFontFile();
    expect(file).toBe(join(ROOT, 'fonts', 'ReelsetCJKSC-Regular.otf'));
    expect(statSync(file as string).size).toBeLessThan(2.5 * 1024 * 1024);
    expect(await readFile(join(ROOT, 'fonts', 'OFL.txt'), 'utf8')).toContain(
      'SIL OPEN FONT LICENSE Version 1.1',
    );
    expect(await findCjkFont()).toEqual({ source: 'package', file, families: [CJK_FONT_FAMILY] });
    expect(TEXT_FONT_FAMILIES).toContain(CJK_FONT_FAMILY);
  });
});

describe('Chinese text', () => {
  it('draws 海滩 and 城市 in a chart as two different glyph pairs, not boxes', async () => {
    const file = join(tmp, 'chart.png');
    await renderSvgPng(CHART, file);
    const [beach, city] = (await chartNames(file)) as [Region, Region];
    for (const name of [beach, city]) {
      const { score, inked } = boxScore(name, onWhite);
      expect(inked).toBeGreaterThan(60);
      expect(score).toBeLessThan(0.6);
    }
    expect(differing(beach, city)).toBeGreaterThan(60);
  });

  it('draws Chinese briefs on a contact sheet as glyphs, wrapped within the tile', async () => {
    const root = join(tmp, 'layout');
    const briefs: Array<[string, string]> = [
      ['101', ' 海滩日落时分的海浪和游客'],
      ['102', ' 城市夜景航拍'],
    ];
    for (const [id, brief] of briefs) {
      const dir = join(root, 'Beach', id);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${id}.txt`), txtLiteral(id, '0:10', brief));
      await writeFile(join(dir, `${id}.jpeg`), await coverJpeg(labelId('Beach'), Number(id)));
    }
    const out = join(tmp, 'sheet.png');
    const result = await previewSheet(root, { label: 'Beach', out, columns: 2 });
    expect(result).toMatchObject({ items: 2, missingCovers: 0 });
    // Tile i: left 10 + 250 i; its brief's first line has its baseline 31 px under the cover (top 40 + 135).
    const lines = await Promise.all([0, 1].map((i) => grey(out, 10 + 250 * i, 194, 160, 16)));
    for (const line of lines) {
      const { score, inked } = boxScore(line, onDark);
      expect(inked).toBeGreaterThan(40);
      expect(score).toBeLessThan(0.6);
    }
    expect(differing(lines[0] as Region, lines[1] as Region)).toBeGreaterThan(40);
    // Nothing is drawn in the gap between the two tiles (a line too long would spill into it).
    const gap = await grey(out, 250, 175, 10, 54);
    expect(boxScore(gap, onDark).inked).toBe(0);
  });
});

/** Runs a script with tsx in a child process; returns its stderr. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (err, _stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stderr)),
    );
  });
}

describe('on a system without CJK fonts (a child process whose fontconfig sees DejaVu only)', () => {
  let script: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    script = join(tmp, 'render.mts');
    const chart = JSON.stringify(join(HERE, 'chart.ts'));
    await writeFile(
      script,
      `import { barChartSvg, renderSvgPng } from ${chart};\n` +
        `const svg = barChartSvg(${JSON.stringify({
          title: 'Items',
          rows: [
            { name: '海滩', value: 3 },
            { name: '城市', value: 5 },
          ],
        })}).svg;\n` +
        'await renderSvgPng(svg, process.argv[2]);\nawait renderSvgPng(svg, process.argv[2]);\n',
    );
    const conf = join(tmp, 'fonts.conf');
    await writeFile(
      conf,
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n  <dir>${DEJAVU}</dir>\n  <cachedir>${join(tmp, 'fc-cache')}</cachedir>\n</fontconfig>\n`,
    );
    env = { ...process.env, FONTCONFIG_FILE: conf };
    delete env.REELSET_CJK_FONT;
  });

  it.skipIf(!existsSync(DEJAVU))('still draws glyphs with reelset’s font, and warns nothing', async () => {
    const file = join(tmp, 'child-font.png');
    const stderr = await runScript(script, [file], env);
    expect(stderr).not.toContain('reelset: warning');
    for (const name of await chartNames(file)) expect(boxScore(name, onWhite).score).toBeLessThan(0.6);
  });

  it.skipIf(!existsSync(DEJAVU))(
    'without it (REELSET_CJK_FONT=system): boxes, and one warning line',
    async () => {
      const file = join(tmp, 'child-none.png');
      const stderr = await runScript(script, [file], { ...env, REELSET_CJK_FONT: 'system' });
      const warnings = stderr.split('\n').filter((line) => line.startsWith('reelset:'));
      expect(warnings).toEqual([NO_CJK_FONT_WARNING]);
      const [beach, city] = (await chartNames(file)) as [Region, Region];
      // The detector sees the boxes: this is what the tests above would see without the font.
      for (const name of [beach, city]) expect(boxScore(name, onWhite).score).toBeGreaterThan(0.85);
    },
  );
});

describe('finding a CJK font and the warning', () => {
  const none: CjkFont = { source: 'none', families: [] };

  it('falls back to the system fonts, then to none', async () => {
    expect(await findCjkFont({ fontFile: null, systemFonts: async () => ['Noto Sans CJK SC'] })).toEqual({
      source: 'system',
      families: ['Noto Sans CJK SC'],
    });
    expect(await findCjkFont({ fontFile: null, systemFonts: async () => [] })).toEqual(none);
    const missing = join(tmp, 'missing.otf');
    expect(await findCjkFont({ fontFile: missing, systemFonts: async () => [] })).toEqual({
      ...none,
      problem: `${missing} is not a readable font file`,
    });
  });

  it('warns in one line with the install command, only for CJK text without a CJK font', async () => {
    const line = cjkFontWarning('Beach 海滩', none) as string;
    expect(line).toBe(NO_CJK_FONT_WARNING);
    expect(line).not.toContain('\n');
    expect(line).toContain('apt-get install fonts-noto-cjk');
    expect(cjkFontWarning('Beach', none)).toBeUndefined();
    expect(cjkFontWarning('海滩', await findCjkFont())).toBeUndefined();
    const bad = await findCjkFont({
      fontFile: join(tmp, 'x.otf'),
      systemFonts: async () => ['Noto Sans CJK SC'],
    });
    expect(cjkFontWarning('海滩', bad)).toMatch(
      /^reelset: warning: REELSET_CJK_FONT: .*x\.otf is not a readable/,
    );
  });

  it('tells CJK text from Latin', () => {
    expect(['海滩', 'ひらがな', '한국어', '「」', 'Beach 城市'].map(containsCjk)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['Beach', 'Café', '😀', ''].map(containsCjk)).toEqual([false, false, false, false]);
  });
});
