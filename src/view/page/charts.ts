/**
 * @module view/page/charts — the page's charts as inline SVG: horizontal bars (counts, bytes), vertical bars
 * (the duration histogram), and the confusion matrix whose cells are links to their items.
 */
import { svg } from './dom.js';

/**
 * One bar: its name, its value, and the text shown after it.
 *
 * @example
 * ```ts
 * const bar: Bar = { name: 'Beach', value: 100, text: '100' };
 * ```
 */
export interface Bar {
  name: string;
  value: number;
  text?: string;
}

/**
 * Horizontal bars, one a row, scaled to the largest value.
 *
 * @example
 * ```ts
 * stats.append(hBars(labels.map((l) => ({ name: l.label, value: l.count }))));
 * ```
 */
export function hBars(bars: readonly Bar[], width = 640): SVGElement {
  const row = 16;
  const nameWidth = 170;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const chart = svg('svg', { width, height: bars.length * row + 4, class: 'chart', role: 'img' });
  bars.forEach((bar, i) => {
    const y = i * row + 2;
    const w = ((width - nameWidth - 90) * bar.value) / max;
    chart.append(
      svg('text', { x: nameWidth - 6, y: y + 11, 'text-anchor': 'end' }, bar.name),
      svg('rect', { x: nameWidth, y: y + 2, width: Math.max(0, w), height: row - 5, fill: '#4da3ff', rx: 2 }),
      svg('text', { x: nameWidth + w + 5, y: y + 11 }, bar.text ?? String(bar.value)),
    );
  });
  return chart;
}

/**
 * Vertical bars (a histogram), one a bin, with its label under it and its count over it.
 *
 * @example
 * ```ts
 * stats.append(vBars(durations.bins.map((b) => ({ name: b.label, value: b.count }))));
 * ```
 */
export function vBars(bars: readonly Bar[], height = 180): SVGElement {
  const col = 64;
  const width = bars.length * col + 10;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const chart = svg('svg', { width, height: height + 40, class: 'chart', role: 'img' });
  bars.forEach((bar, i) => {
    const x = i * col + 10;
    const h = ((height - 10) * bar.value) / max;
    chart.append(
      svg('rect', { x, y: height - h + 10, width: col - 12, height: h, fill: '#5fd38d', rx: 2 }),
      svg(
        'text',
        { x: x + (col - 12) / 2, y: height - h + 5, 'text-anchor': 'middle' },
        bar.text ?? String(bar.value),
      ),
      svg('text', { x: x + (col - 12) / 2, y: height + 26, 'text-anchor': 'middle' }, bar.name),
    );
  });
  return chart;
}

/**
 * The confusion matrix (`matrix[true][predicted]`) of the labels that occur, darker for more; a click on a
 * non-empty cell calls `onCell(trueId, predictedId)`.
 *
 * @example
 * ```ts
 * view.append(confusionChart(matrix, labels, (t, p) => showCell(t, p)));
 * ```
 */
export function confusionChart(
  matrix: readonly number[][],
  labels: readonly string[],
  onCell: (truth: number, predicted: number) => void,
): SVGElement {
  const used = labels
    .map((_, i) => i)
    .filter((i) => (matrix[i] ?? []).some((v) => v > 0) || matrix.some((row) => (row[i] ?? 0) > 0));
  const cell = 26;
  const left = 150;
  const top = 110;
  const size = used.length * cell;
  const chart = svg('svg', {
    width: left + size + 10,
    height: top + size + 10,
    class: 'chart confusion',
    role: 'img',
  });
  const max = Math.max(1, ...matrix.flat());
  used.forEach((t, r) => {
    chart.append(
      svg('text', { x: left - 6, y: top + r * cell + 17, 'text-anchor': 'end' }, labels[t] ?? String(t)),
    );
    used.forEach((p, k) => {
      const value = matrix[t]?.[p] ?? 0;
      const shade = value === 0 ? 0 : 0.15 + (0.85 * value) / max;
      const fill = t === p ? `rgba(95, 211, 141, ${shade})` : `rgba(255, 107, 107, ${shade})`;
      const rect = svg('rect', {
        x: left + k * cell,
        y: top + r * cell,
        width: cell - 2,
        height: cell - 2,
        fill: value === 0 ? '#22262d' : fill,
        class: 'cell',
        'data-true': t,
        'data-pred': p,
      });
      rect.append(svg('title', {}, `${labels[t]} → ${labels[p]}: ${value}`));
      if (value > 0) rect.addEventListener('click', () => onCell(t, p));
      chart.append(rect);
      if (value > 0) {
        const text = svg(
          'text',
          { x: left + k * cell + 12, y: top + r * cell + 17, 'text-anchor': 'middle' },
          value,
        );
        text.setAttribute('pointer-events', 'none');
        chart.append(text);
      }
    });
  });
  used.forEach((p, k) => {
    const x = left + k * cell + 16;
    chart.append(
      svg('text', { x, y: top - 6, transform: `rotate(-60 ${x} ${top - 6})` }, labels[p] ?? String(p)),
    );
  });
  return chart;
}
