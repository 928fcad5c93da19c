/**
 * @module confusion — a confusion matrix as a PNG a person can read: label names on both axes, counts in
 * the cells, cells shaded by their share of the row, recall and support beside each row.
 */

import { LABELS } from '../loaders/layout/labels.js';
import { renderSvgPng, type SvgImage } from '../tools/chart.js';
import { TEXT_FONT_FAMILIES } from '../tools/fonts.js';
import { escapeXml, truncateText } from '../tools/svg.js';
import { invalidArgument } from '../util/options.js';
import type { ClassificationMetrics, ConfusionMatrix } from './metrics.js';

/**
 * Options of {@link confusionSvg} and {@link writeConfusionPng}.
 *
 * @example
 * ```ts
 * const options: ConfusionPlotOptions = { chinese: true, title: 'Test split, epoch 5' };
 * ```
 */
export interface ConfusionPlotOptions {
  /** Show the Chinese name after the English one on both axes (drawn with reelset's CJK font). Default false. */
  chinese?: boolean;
  /** The title. Default `Confusion matrix`, followed by the accuracy when the metrics are given. */
  title?: string;
}

/** Pixel geometry of the picture. */
const CELL = 34;
const TITLE_H = 70;
const HEADER_H = 160;
const AXIS_W = 26;
const NAME_W = 190;
const RIGHT_W = 120;
const FOOT_H = 100;

/** The shading scale (ColorBrewer Blues), from a share of 0 to a share of 1 of the row. */
const STOPS: ReadonlyArray<readonly [number, number, number]> = [
  [0xf7, 0xfb, 0xff],
  [0xc6, 0xdb, 0xef],
  [0x6b, 0xae, 0xd6],
  [0x21, 0x71, 0xb5],
  [0x08, 0x30, 0x6b],
];

/**
 * The fill of a cell holding `share` of its row (0-1): white for an empty cell, then from a pale to a dark
 * blue (a non-empty cell is never white).
 *
 * @example
 * ```ts
 * cellColor(0); // '#ffffff'
 * cellColor(1); // '#08306b'
 * ```
 */
export function cellColor(share: number): string {
  if (!(share > 0)) return '#ffffff';
  const t = Math.min(1, 0.08 + 0.92 * share) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  const a = STOPS[i] as readonly number[];
  const b = STOPS[i + 1] as readonly number[];
  const hex = a.map((v, k) =>
    Math.round(v + ((b[k] as number) - v) * f)
      .toString(16)
      .padStart(2, '0'),
  );
  return `#${hex.join('')}`;
}

/** A count in at most 4 characters: 1234, 12k, 1.2M. */
function shortCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function isMetrics(input: ConfusionMatrix | ClassificationMetrics): input is ClassificationMetrics {
  return 'confusion' in input;
}

const CHINESE = new Map(LABELS.map((label) => [label.name, label.chinese]));

/**
 * The picture of a confusion matrix as an SVG string (see {@link writeConfusionPng}). Takes the metrics of
 * `evaluate` or `computeMetrics` (the title then gives accuracy, top-5, macro-F1 and the sample count), or
 * a bare {@link ConfusionMatrix}. Every label name is XML-escaped.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the matrix is not square or does not match its labels.
 * @example
 * ```ts
 * const { svg, width, height } = confusionSvg(result, { chinese: true });
 * ```
 */
export function confusionSvg(
  input: ConfusionMatrix | ClassificationMetrics,
  options: ConfusionPlotOptions = {},
): SvgImage {
  const matrix = isMetrics(input) ? input.confusion : input;
  const n = matrix.labels.length;
  if (n === 0 || matrix.counts.length !== n || matrix.counts.some((row) => row.length !== n)) {
    throw invalidArgument(`a confusion matrix must be ${n} x ${n}, like its labels`);
  }
  const names = matrix.labels.map((label) => {
    const chinese = CHINESE.get(label);
    return options.chinese && chinese !== undefined && chinese !== label ? `${label} ${chinese}` : label;
  });
  const rowSums = matrix.counts.map((row) => row.reduce((s, v) => s + v, 0));
  const colSums = names.map((_, c) => matrix.counts.reduce((s, row) => s + (row[c] as number), 0));
  const total = rowSums.reduce((s, v) => s + v, 0);
  const left = AXIS_W + NAME_W;
  const top = TITLE_H + HEADER_H;
  const grid = CELL * n;
  const width = left + grid + RIGHT_W;
  const height = top + grid + FOOT_H;
  const font = `font-family="${TEXT_FONT_FAMILIES}"`;

  let title = options.title ?? 'Confusion matrix';
  let subtitle = `${total.toLocaleString('en-US')} samples`;
  if (isMetrics(input)) {
    if (options.title === undefined) title = `Confusion matrix: accuracy ${percent(input.accuracy)}`;
    subtitle =
      `top-5 ${percent(input.top5)}, macro-F1 ${input.macroF1.toFixed(3)} (over ${input.macroClasses} ` +
      `labels present), ${input.samples.toLocaleString('en-US')} samples`;
  }
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<g ${font} fill="#222222">`,
    `<text x="${width / 2}" y="30" font-size="22" font-weight="bold" text-anchor="middle">${escapeXml(title)}</text>`,
    `<text x="${width / 2}" y="54" font-size="14" fill="#555555" text-anchor="middle">${escapeXml(subtitle)}</text>`,
    // Axis titles.
    `<text x="${left + grid / 2}" y="${TITLE_H + 16}" font-size="15" font-weight="bold" text-anchor="middle">predicted label</text>`,
    `<text transform="translate(${AXIS_W - 8} ${top + grid / 2}) rotate(-90)" font-size="15" font-weight="bold" text-anchor="middle">true label</text>`,
  ];
  // Column names: rotated, reading upwards from the top of each column.
  names.forEach((name, c) => {
    const x = left + CELL * c + CELL / 2 + 4;
    parts.push(
      `<text transform="translate(${x} ${top - 6}) rotate(-50)" font-size="12">${escapeXml(truncateText(name, 22))}</text>`,
    );
  });
  // Row names.
  names.forEach((name, r) => {
    parts.push(
      `<text x="${left - 8}" y="${top + CELL * r + CELL / 2 + 4}" font-size="12" text-anchor="end">${escapeXml(truncateText(name, 26))}</text>`,
    );
  });
  // Cells.
  for (let r = 0; r < n; r++) {
    const row = matrix.counts[r] as number[];
    const sum = rowSums[r] as number;
    for (let c = 0; c < n; c++) {
      const count = row[c] as number;
      const share = sum > 0 ? count / sum : 0;
      const x = left + CELL * c;
      const y = top + CELL * r;
      parts.push(`<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="${cellColor(share)}"/>`);
      if (count > 0) {
        const text = shortCount(count);
        const size = text.length <= 3 ? 12 : 11;
        const ink = share > 0.45 ? '#ffffff' : '#222222';
        parts.push(
          `<text x="${x + CELL / 2}" y="${y + CELL / 2 + size * 0.36}" font-size="${size}" fill="${ink}" text-anchor="middle">${text}</text>`,
        );
      }
    }
  }
  // Grid lines, then the diagonal (correct predictions) outlined.
  for (let k = 0; k <= n; k++) {
    const p = CELL * k;
    const heavy = k === 0 || k === n;
    const stroke = heavy ? 'stroke="#444444" stroke-width="1.5"' : 'stroke="#d9d9d9" stroke-width="1"';
    parts.push(
      `<line x1="${left + p}" y1="${top}" x2="${left + p}" y2="${top + grid}" ${stroke}/>`,
      `<line x1="${left}" y1="${top + p}" x2="${left + grid}" y2="${top + p}" ${stroke}/>`,
    );
  }
  for (let k = 0; k < n; k++) {
    parts.push(
      `<rect x="${left + CELL * k + 1}" y="${top + CELL * k + 1}" width="${CELL - 2}" height="${CELL - 2}" fill="none" stroke="#e6550d" stroke-width="2"/>`,
    );
  }
  // Right of each row: its support and recall.
  const rx = left + grid + 10;
  parts.push(
    `<text x="${rx + 38}" y="${top - 8}" font-size="12" font-weight="bold" text-anchor="end">n</text>`,
    `<text x="${rx + 100}" y="${top - 8}" font-size="12" font-weight="bold" text-anchor="end">recall</text>`,
  );
  for (let r = 0; r < n; r++) {
    const sum = rowSums[r] as number;
    const y = top + CELL * r + CELL / 2 + 4;
    const recall = sum > 0 ? percent((matrix.counts[r]?.[r] as number) / sum) : '–';
    parts.push(
      `<text x="${rx + 38}" y="${y}" font-size="11" text-anchor="end">${shortCount(sum)}</text>`,
      `<text x="${rx + 100}" y="${y}" font-size="11" text-anchor="end">${recall}</text>`,
    );
  }
  // Under each column: its precision (in percent, no sign, to fit the cell).
  const py = top + grid + 16;
  parts.push(
    `<text x="${left - 8}" y="${py}" font-size="11" font-weight="bold" text-anchor="end">precision %</text>`,
  );
  for (let c = 0; c < n; c++) {
    const predicted = colSums[c] as number;
    const text =
      predicted > 0 ? String(Math.round((100 * (matrix.counts[c]?.[c] as number)) / predicted)) : '–';
    parts.push(
      `<text x="${left + CELL * c + CELL / 2}" y="${py}" font-size="10" text-anchor="middle">${text}</text>`,
    );
  }
  // The legend: the shading scale.
  const ly = top + grid + 40;
  const lw = 240;
  const lx = left;
  for (let k = 0; k < 24; k++) {
    parts.push(
      `<rect x="${lx + (lw / 24) * k}" y="${ly}" width="${lw / 24 + 0.5}" height="14" fill="${cellColor((k + 0.5) / 24)}"/>`,
    );
  }
  parts.push(
    `<rect x="${lx}" y="${ly}" width="${lw}" height="14" fill="none" stroke="#444444" stroke-width="1"/>`,
    `<text x="${lx}" y="${ly + 30}" font-size="11">0%</text>`,
    `<text x="${lx + lw}" y="${ly + 30}" font-size="11" text-anchor="end">100% of the row</text>`,
    `<text x="${lx + lw + 16}" y="${ly + 11}" font-size="12">cells: number of samples of the true label (row) predicted as the column's label; ` +
      'shade: share of the row; blank: 0</text>',
    `<rect x="${lx + lw + 16}" y="${ly + 20}" width="14" height="14" fill="none" stroke="#e6550d" stroke-width="2"/>`,
    `<text x="${lx + lw + 36}" y="${ly + 31}" font-size="12">correct predictions (the diagonal); n: samples of the row</text>`,
    '</g>',
    '</svg>',
  );
  return { svg: parts.join('\n'), width, height };
}

/**
 * Writes the confusion matrix of `input` (the result of `evaluate`, or a {@link ConfusionMatrix}) as a
 * PNG: one row a true label, one column a predicted label (label names on both axes, Chinese too with
 * `chinese`), the count in each non-empty cell, cells shaded by their share of the row (so a small class
 * reads as well as a large one), the diagonal outlined, each row's support and recall on the right, each
 * column's precision below, and the accuracy in the title. 1,390 x 1,384 pixels for the 31 labels.
 *
 * @returns the PNG's size.
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the matrix is not square.
 * @example
 * ```ts
 * const result = await evaluate(model, test);
 * await writeConfusionPng(result, 'confusion.png', { chinese: true });
 * ```
 */
export async function writeConfusionPng(
  input: ConfusionMatrix | ClassificationMetrics,
  file: string,
  options: ConfusionPlotOptions = {},
): Promise<{ width: number; height: number }> {
  return renderSvgPng(confusionSvg(input, options).svg, file);
}
