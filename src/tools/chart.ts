/**
 * @module chart — a horizontal bar chart as an SVG string (every text from data escaped), rendered to PNG by
 * sharp: the picture of counts per label that `reelset stats --plot` writes.
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { prepareTextFonts, TEXT_FONT_FAMILIES } from './fonts.js';
import { escapeXml, truncateText } from './svg.js';

/**
 * One bar: its name (shown left of the bar) and its value.
 *
 * @example
 * ```ts
 * const row: BarRow = { name: 'Beach 海滩', value: 20113 };
 * ```
 */
export interface BarRow {
  name: string;
  value: number;
}

/**
 * What {@link barChartSvg} draws.
 *
 * @example
 * ```ts
 * const chart: BarChart = { title: 'Items per label', rows: [{ name: 'Beach', value: 3 }], axisLabel: 'items' };
 * ```
 */
export interface BarChart {
  title: string;
  /** A second, smaller line under the title. */
  subtitle?: string;
  rows: readonly BarRow[];
  /** The caption of the value axis. */
  axisLabel?: string;
  /** Width in pixels (default 1000, at least 400). */
  width?: number;
}

/**
 * An SVG document with its size in pixels.
 *
 * @example
 * ```ts
 * const { svg, width, height }: SvgImage = barChartSvg(chart);
 * ```
 */
export interface SvgImage {
  svg: string;
  width: number;
  height: number;
}

const ROW = 22;
const TOP = 72;
const BOTTOM = 56;
const NAME_WIDTH = 200;
const VALUE_WIDTH = 90;

/**
 * The pixel size of a chart of `rows` bars: `width` by `72 + 22 * rows + 56`.
 *
 * @example
 * ```ts
 * chartSize(31); // { width: 1000, height: 810 }
 * ```
 */
export function chartSize(rows: number, width = 1000): { width: number; height: number } {
  return { width: Math.max(400, Math.round(width)), height: TOP + ROW * rows + BOTTOM };
}

/** A "nice" tick step (1, 2 or 5 times a power of ten) giving about 5 ticks up to `max`. */
function tickStep(max: number): number {
  if (max <= 0) return 1;
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return Math.max(1, step);
}

function format(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * Builds a horizontal bar chart as an SVG string: a title, one bar a row with its name on the left and its
 * value at the end, a value axis with ticks and grid lines. Every text that comes from the caller (title,
 * subtitle, names, axis label) is XML-escaped, so data can never inject markup; names are cut to 28
 * columns (a CJK character counts two). Chinese is drawn with reelset's CJK font ({@link renderSvgPng}).
 *
 * @example
 * ```ts
 * const { svg, width, height } = barChartSvg({
 *   title: 'Items per label',
 *   rows: LABELS.map((l) => ({ name: l.name, value: counts[l.id] })),
 * });
 * ```
 */
export function barChartSvg(chart: BarChart): SvgImage {
  const { width, height } = chartSize(chart.rows.length, chart.width);
  const plotLeft = NAME_WIDTH;
  const plotWidth = width - NAME_WIDTH - VALUE_WIDTH;
  const max = Math.max(0, ...chart.rows.map((row) => (Number.isFinite(row.value) ? row.value : 0)));
  const step = tickStep(max);
  const axisMax = Math.max(step, Math.ceil(max / step) * step);
  const x = (value: number): number => plotLeft + (Math.max(0, value) / axisMax) * plotWidth;
  const plotBottom = TOP + ROW * chart.rows.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<g font-family="${TEXT_FONT_FAMILIES}" fill="#222222">`,
    `<text x="${width / 2}" y="30" font-size="20" font-weight="bold" text-anchor="middle">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle) {
    parts.push(
      `<text x="${width / 2}" y="52" font-size="13" fill="#555555" text-anchor="middle">${escapeXml(chart.subtitle)}</text>`,
    );
  }
  for (let tick = 0; tick <= axisMax; tick += step) {
    const tx = x(tick).toFixed(1);
    parts.push(
      `<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${plotBottom}" stroke="#e0e0e0" stroke-width="1"/>`,
      `<text x="${tx}" y="${plotBottom + 18}" font-size="12" text-anchor="middle">${format(tick)}</text>`,
    );
  }
  chart.rows.forEach((row, i) => {
    const y = TOP + ROW * i;
    const value = Number.isFinite(row.value) ? row.value : 0;
    const barEnd = x(value);
    parts.push(
      `<text x="${plotLeft - 8}" y="${y + 15}" font-size="13" text-anchor="end">${escapeXml(truncateText(row.name, 28))}</text>`,
      `<rect x="${plotLeft}" y="${y + 3}" width="${(barEnd - plotLeft).toFixed(1)}" height="${ROW - 6}" fill="${i % 2 === 0 ? '#3b75af' : '#5b95cf'}"/>`,
      `<text x="${(barEnd + 6).toFixed(1)}" y="${y + 15}" font-size="12">${escapeXml(format(value))}</text>`,
    );
  });
  parts.push(
    `<line x1="${plotLeft}" y1="${TOP - 4}" x2="${plotLeft}" y2="${plotBottom}" stroke="#222222" stroke-width="1.5"/>`,
    `<line x1="${plotLeft}" y1="${plotBottom}" x2="${plotLeft + plotWidth}" y2="${plotBottom}" stroke="#222222" stroke-width="1.5"/>`,
  );
  if (chart.axisLabel) {
    parts.push(
      `<text x="${plotLeft + plotWidth / 2}" y="${height - 10}" font-size="13" text-anchor="middle">${escapeXml(chart.axisLabel)}</text>`,
    );
  }
  parts.push('</g>', '</svg>');
  return { svg: parts.join('\n'), width, height };
}

/**
 * Renders an SVG string to a PNG file with sharp (librsvg), at 72 dpi so one SVG unit is one pixel.
 * Chinese text is drawn with reelset's CJK font ({@link prepareTextFonts}: registered first; a one-line
 * warning on stderr when no CJK font exists). Returns the PNG's size.
 *
 * @example
 * ```ts
 * await renderSvgPng(barChartSvg(chart).svg, 'stats.png');
 * ```
 */
export async function renderSvgPng(svg: string, file: string): Promise<{ width: number; height: number }> {
  await prepareTextFonts(svg);
  const { data, info } = await sharp(Buffer.from(svg, 'utf8'), { density: 72 })
    .png()
    .toBuffer({ resolveWithObject: true });
  await writeFile(file, data);
  return { width: info.width, height: info.height };
}
