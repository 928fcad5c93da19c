import { describe, expect, it } from 'vitest';
import { LABELS } from '../loaders/layout/labels.js';
import { argmax, classNames, computeMetrics, MetricsAccumulator, rankOf } from './metrics.js';

/** A probability row of `n` classes that puts most of its mass on `c`. */
function row(c: number, n: number): number[] {
  const r = new Array<number>(n).fill(0.1 / (n - 1));
  r[c] = 0.9;
  return r;
}

describe('argmax and rankOf', () => {
  it('break ties by the lowest id, so that rank 0 is the argmax', () => {
    expect(argmax([0.1, 0.7, 0.2])).toBe(1);
    expect(argmax([0.5, 0.5])).toBe(0);
    expect(argmax([Number.NaN, 0.2])).toBe(1);
    expect(rankOf([0.1, 0.7, 0.2], 1)).toBe(0);
    expect(rankOf([0.1, 0.7, 0.2], 2)).toBe(1);
    expect(rankOf([0.1, 0.7, 0.2], 0)).toBe(2);
    expect(rankOf([0.5, 0.5], 0)).toBe(0);
    expect(rankOf([0.5, 0.5], 1)).toBe(1);
    expect(rankOf([0.2, Number.NaN], 1)).toBe(2);
    // Within a flat array.
    expect(argmax([9, 9, 0.1, 0.7, 0.2], 2, 3)).toBe(1);
    expect(rankOf([9, 9, 0.1, 0.7, 0.2], 0, 2, 3)).toBe(2);
  });
});

describe('computeMetrics', () => {
  // Labels and top-1 predictions (4 classes, class 3 absent from both):
  //   true  0 0 0 1 1 2
  //   pred  0 0 1 1 0 0
  // confusion [[2,1,0,0],[1,1,0,0],[1,0,0,0],[0,0,0,0]]
  // class 0: tp 2, predicted 4, support 3 -> P 1/2, R 2/3, F1 4/7
  // class 1: tp 1, predicted 2, support 2 -> P 1/2, R 1/2, F1 1/2
  // class 2: tp 0, predicted 0, support 1 -> P 0 (never predicted), R 0, F1 0
  // class 3: no support -> left out of macro-F1
  // macro-F1 = (4/7 + 1/2 + 0) / 3 = 5/14
  const labels = [0, 0, 0, 1, 1, 2];
  const preds = [0, 0, 1, 1, 0, 0];
  const rows = preds.map((p) => row(p, 4));

  it('gives hand-computed accuracy, per-class precision / recall / F1, macro-F1 and the confusion matrix', () => {
    const m = computeMetrics(labels, rows);
    expect(m.samples).toBe(6);
    expect(m.accuracy).toBe(0.5);
    expect(m.top5).toBe(1); // 4 classes: the true label is always among the top 5
    expect(m.confusion).toEqual({
      labels: ['class 0', 'class 1', 'class 2', 'class 3'],
      counts: [
        [2, 1, 0, 0],
        [1, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    });
    const [c0, c1, c2, c3] = m.perClass;
    expect(c0).toMatchObject({ id: 0, label: 'class 0', precision: 0.5, support: 3, predicted: 4 });
    expect(c0?.recall).toBeCloseTo(2 / 3, 12);
    expect(c0?.f1).toBeCloseTo(4 / 7, 12);
    expect(c1).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2, predicted: 2 });
    expect(c2).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1, predicted: 0 });
    expect(c3).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 });
    expect(m.macroClasses).toBe(3);
    expect(m.macroF1).toBeCloseTo(5 / 14, 12);
  });

  it('takes a flat row-major array as well as rows', () => {
    const flat = new Float32Array(rows.flat());
    expect(computeMetrics(labels, flat, 4)).toEqual(computeMetrics(labels, rows));
    expect(computeMetrics(labels, flat)).toEqual(computeMetrics(labels, rows)); // 24 / 6 = 4 classes
  });

  it('counts a class predicted but absent (support 0): precision 0, not in macro-F1', () => {
    // true 0 0 1 ; pred 0 2 1 -> class 2: predicted 1, support 0.
    const m = computeMetrics([0, 0, 1], [row(0, 3), row(2, 3), row(1, 3)]);
    expect(m.perClass[2]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
    // class 0: P 1, R 1/2, F1 2/3; class 1: F1 1 -> macro (2/3 + 1) / 2 = 5/6
    expect(m.macroClasses).toBe(2);
    expect(m.macroF1).toBeCloseTo(5 / 6, 12);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('counts top-5 by rank, ties in id order', () => {
    // 7 classes; the true label's rank decides: rank 4 is a hit, rank 5 a miss.
    const hit = [0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05]; // label 4 has rank 4
    const miss = [0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05]; // label 5 has rank 5
    const flat = new Array<number>(7).fill(1 / 7); // all tied: label 4 rank 4, label 6 rank 6
    const m = computeMetrics([4, 5, 4, 6], [hit, miss, flat, flat]);
    expect(m.top5).toBe(0.5);
    expect(m.accuracy).toBe(0);
  });

  it('names the 31 labels, and gives zeros for no sample at all', () => {
    const acc = new MetricsAccumulator();
    const m = acc.result();
    expect(m).toMatchObject({ samples: 0, accuracy: 0, top5: 0, macroF1: 0, macroClasses: 0 });
    expect(m.perClass).toHaveLength(31);
    expect(m.perClass[8]?.label).toBe('Beach');
    expect(m.confusion.labels).toEqual(LABELS.map((l) => l.name));
    expect(m.confusion.counts).toHaveLength(31);
    expect(m.confusion.counts.every((r) => r.length === 31 && r.every((v) => v === 0))).toBe(true);
    expect(classNames(2)).toEqual(['class 0', 'class 1']);
    expect(new MetricsAccumulator(2, ['cat', 'dog']).result().perClass[1]?.label).toBe('dog');
  });

  it('streams: batches of any size give the same metrics as one call, with no growth of state', () => {
    const acc = new MetricsAccumulator(4);
    acc.add(labels.slice(0, 1), rows.slice(0, 1));
    acc.add(labels.slice(1, 4), new Float32Array(rows.slice(1, 4).flat()));
    acc.add([], []);
    acc.addOne(labels[4] as number, rows[4] as number[]);
    acc.addOne(labels[5] as number, new Float32Array([9, ...(rows[5] as number[])]), 1);
    expect(acc.samples).toBe(6);
    expect(acc.result()).toEqual(computeMetrics(labels, rows));
    // The result is plain JSON.
    expect(JSON.parse(JSON.stringify(acc.result()))).toEqual(acc.result());
  });

  it('refuses labels out of range and rows that do not match', () => {
    const acc = new MetricsAccumulator(3);
    expect(() => acc.add([3], [row(0, 3)])).toThrow(/label must be an integer from 0 to 2, got 3/);
    expect(() => acc.add([0.5], [row(0, 3)])).toThrow(/got 0.5/);
    expect(() => acc.add([0, 1], [row(0, 3)])).toThrow(/2 labels need 2 probability rows, got 1/);
    expect(() => acc.add([0], [[0.5, 0.5]])).toThrow(/row 0 has 2 entries, not 3/);
    expect(() => acc.add([0, 1], new Float32Array(5))).toThrow(/2 labels need 6 probabilities/);
    expect(() => new MetricsAccumulator(0)).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
    expect(() => new MetricsAccumulator(2, ['a'])).toThrow(/names must have 2 entries/);
    // A refused batch counts nothing, not even its good first rows.
    expect(() => acc.add([0, 7], [row(0, 3), row(1, 3)])).toThrow(/got 7/);
    expect(acc.samples).toBe(0);
    expect(
      acc
        .result()
        .confusion.counts.flat()
        .every((v) => v === 0),
    ).toBe(true);
  });
});
