/**
 * @module statsplot — the picture of a data set's counts per label (like the original's analysis chart):
 * {@link DatasetStats} to a bar chart, written as PNG.
 */

import path from 'node:path';
import { checkExtension } from '../util/files.js';
import { type BarChart, barChartSvg, renderSvgPng } from './chart.js';
import type { DatasetStats } from './stats.js';

/**
 * Options of {@link statsChart} and {@link plotStats}.
 *
 * @example
 * ```ts
 * const options: StatsPlotOptions = { chinese: true, title: 'My data set' };
 * ```
 */
export interface StatsPlotOptions {
  /** Show the Chinese name after the English one (drawn with reelset's own CJK font). Default false. */
  chinese?: boolean;
  /** The title. Default `Items per label`. */
  title?: string;
}

/**
 * The bar chart of counts per label of a {@link DatasetStats}: 31 rows in label id order.
 *
 * @example
 * ```ts
 * const chart = statsChart(await computeStats('data'), { chinese: true });
 * ```
 */
export function statsChart(stats: DatasetStats, options: StatsPlotOptions = {}): BarChart {
  const from = stats.source === 'catalog' ? 'catalog' : 'folder';
  return {
    title: options.title ?? 'Items per label',
    subtitle: `${stats.items.toLocaleString('en-US')} items, ${stats.distinctIds.toLocaleString('en-US')} distinct ids (${from} ${path.basename(stats.input)})`,
    rows: stats.labels.map((label) => ({
      name:
        options.chinese && label.chinese !== label.label ? `${label.label} ${label.chinese}` : label.label,
      value: label.count,
    })),
    axisLabel: 'items',
  };
}

/**
 * Writes the PNG bar chart of counts per label (SVG built by {@link barChartSvg}, rendered by sharp).
 * Returns the image's size: 1000 x 810 pixels for the 31 labels.
 *
 * @example
 * ```ts
 * const { width, height } = await plotStats(await computeStats('data'), 'stats.png');
 * ```
 */
export async function plotStats(
  stats: DatasetStats,
  file: string,
  options: StatsPlotOptions = {},
): Promise<{ width: number; height: number }> {
  checkExtension('plotStats', file, ['.png'], 'a PNG chart');
  return renderSvgPng(barChartSvg(statsChart(stats, options)).svg, file);
}
