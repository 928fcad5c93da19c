/**
 * @module metrics — classification metrics from true label ids and probability rows (accuracy, top-5,
 * per-class precision / recall / F1, macro-F1, the confusion matrix), streamed so memory stays flat; no tfjs.
 */
import { LABELS } from '../loaders/layout/labels.js';
import { checkInteger, invalidArgument } from '../util/options.js';

/**
 * The metrics of one class.
 *
 * - `precision` = true positives / samples predicted as this class; **0 when nothing was predicted as it**
 *   (scikit-learn's `zero_division=0`).
 * - `recall` = true positives / `support`; 0 when `support` is 0.
 * - `f1` = 2PR / (P + R); 0 when P + R is 0.
 *
 * @example
 * ```ts
 * const beach: ClassMetrics = { id: 8, label: 'Beach', precision: 0.5, recall: 1, f1: 0.667, support: 3, predicted: 6 };
 * ```
 */
export interface ClassMetrics {
  /** The label id (the index of its probability). */
  id: number;
  /** The label's name (`LABELS[id].name` for the 31 labels, `class <id>` otherwise). */
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Samples whose true label is this class. */
  support: number;
  /** Samples predicted as this class (top-1). */
  predicted: number;
}

/**
 * A confusion matrix as JSON: `counts[t][p]` is the number of samples of true label `t` predicted as `p`
 * (rows: true labels, columns: predictions, both in label-id order); `labels[i]` names row and column `i`.
 *
 * @example
 * ```ts
 * const m: ConfusionMatrix = { labels: ['a', 'b'], counts: [[3, 1], [0, 2]] };
 * const wrongAsB = m.counts[0][1]; // 1
 * ```
 */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
}

/**
 * The metrics of a classifier over a set of samples.
 *
 * `macroF1` is the mean of `f1` over the classes with `support` > 0 only (`macroClasses` of them): a class
 * absent from the evaluated samples neither drags the mean to 0 nor counts as perfect. With no sample at
 * all every number is 0.
 *
 * @example
 * ```ts
 * const m: ClassificationMetrics = computeMetrics([0, 1], [[0.9, 0.1], [0.3, 0.7]]);
 * console.log(m.accuracy, m.top5, m.macroF1, m.perClass[1].recall, m.confusion.counts);
 * ```
 */
export interface ClassificationMetrics {
  /** How many samples were counted. */
  samples: number;
  /** Share of samples whose top-1 prediction is the true label. */
  accuracy: number;
  /** Share of samples whose true label is among the 5 most probable (all of them with 5 classes or fewer). */
  top5: number;
  /** One entry a class, in id order. */
  perClass: ClassMetrics[];
  /** Mean F1 over the classes with support (see above). */
  macroF1: number;
  /** How many classes `macroF1` averages (those with support > 0). */
  macroClasses: number;
  confusion: ConfusionMatrix;
}

/**
 * The probability rows of a batch: an array of rows, or one flat row-major array of `rows * numClasses`.
 *
 * @example
 * ```ts
 * const rows: ProbabilityRows = [[0.9, 0.1], [0.2, 0.8]];
 * const flat: ProbabilityRows = new Float32Array([0.9, 0.1, 0.2, 0.8]);
 * ```
 */
export type ProbabilityRows = ArrayLike<ArrayLike<number>> | Float32Array | Float64Array;

/**
 * The predicted class of a probability row: its largest entry, the lowest id on a tie (NaN never wins).
 *
 * @example
 * ```ts
 * argmax([0.1, 0.7, 0.2]); // 1
 * argmax([0.5, 0.5]); // 0
 * ```
 */
export function argmax(row: ArrayLike<number>, start = 0, length = row.length - start): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < length; k++) {
    const v = row[start + k] as number;
    if (v > bestValue) {
      best = k;
      bestValue = v;
    }
  }
  return best;
}

/**
 * The rank of class `label` in a probability row: how many classes come before it when the row is sorted
 * by probability, highest first, ties in id order (so rank 0 is {@link argmax}). Top-k is `rank < k`.
 *
 * @example
 * ```ts
 * rankOf([0.1, 0.7, 0.2], 2); // 1
 * rankOf([0.5, 0.5], 1); // 1 (the tie goes to id 0)
 * ```
 */
export function rankOf(
  row: ArrayLike<number>,
  label: number,
  start = 0,
  length = row.length - start,
): number {
  const p = row[start + label] as number;
  if (Number.isNaN(p)) return length;
  let rank = 0;
  for (let k = 0; k < length; k++) {
    const v = row[start + k] as number;
    if (v > p || (v === p && k < label)) rank++;
  }
  return rank;
}

/**
 * The names of `numClasses` classes: the 31 labels' English names (`LABELS`), or `class 0`, `class 1`, ...
 * for another count.
 *
 * @example
 * ```ts
 * classNames(31)[8]; // 'Beach'
 * classNames(3); // ['class 0', 'class 1', 'class 2']
 * ```
 */
export function classNames(numClasses: number): string[] {
  if (numClasses === LABELS.length) return LABELS.map((label) => label.name);
  return Array.from({ length: numClasses }, (_, i) => `class ${i}`);
}

/**
 * Accumulates predictions batch by batch and gives the {@link ClassificationMetrics} at any time. It keeps
 * only counters (a `numClasses`² confusion matrix and the top-5 hits), never the predictions, so the memory
 * of an evaluation does not grow with the number of samples.
 *
 * @example
 * ```ts
 * const acc = new MetricsAccumulator(31);
 * for (const { labels, probabilities } of batches) acc.add(labels, probabilities);
 * const metrics = acc.result();
 * ```
 */
export class MetricsAccumulator {
  /** The number of classes (the length of a probability row). */
  readonly numClasses: number;
  private readonly names: string[];
  /** `counts[t * n + p]`: samples of true label t predicted as p. */
  private readonly counts: Float64Array;
  private top5Hits = 0;
  private total = 0;

  /**
   * @param numClasses classes of the probability rows (default 31).
   * @param names the class names (default {@link classNames}).
   */
  constructor(numClasses: number = LABELS.length, names?: readonly string[]) {
    checkInteger('numClasses', numClasses, 1);
    if (names !== undefined && names.length !== numClasses) {
      throw invalidArgument(`names must have ${numClasses} entries, got ${names.length}`);
    }
    this.numClasses = numClasses;
    this.names = names === undefined ? classNames(numClasses) : [...names];
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Samples counted so far. */
  get samples(): number {
    return this.total;
  }

  /**
   * Counts one sample: its true label id and its probability row (`row[start .. start + numClasses)`).
   *
   * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the label is not an id of 0..numClasses-1.
   */
  addOne(label: number, row: ArrayLike<number>, start = 0): void {
    const n = this.numClasses;
    this.checkLabel(label);
    if (row.length - start < n) throw invalidArgument(`a probability row must have ${n} entries`);
    this.count(label, row, start);
  }

  private checkLabel(label: number): void {
    const n = this.numClasses;
    if (!Number.isInteger(label) || label < 0 || label >= n) {
      throw invalidArgument(`label must be an integer from 0 to ${n - 1}, got ${label}`);
    }
  }

  private count(label: number, row: ArrayLike<number>, start: number): void {
    const n = this.numClasses;
    const predicted = argmax(row, start, n);
    this.counts[label * n + predicted] = (this.counts[label * n + predicted] as number) + 1;
    if (rankOf(row, label, start, n) < 5) this.top5Hits++;
    this.total++;
  }

  /**
   * Counts a batch: `labels[i]` and the probability row `i` (rows, or one flat array of
   * `labels.length * numClasses`).
   *
   * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when the rows do not match the labels or a label is
   *   out of range.
   * @example
   * ```ts
   * acc.add([0, 1], new Float32Array([0.9, 0.1, 0.3, 0.7]));
   * ```
   */
  add(labels: ArrayLike<number>, probabilities: ProbabilityRows): void {
    const n = this.numClasses;
    const b = labels.length;
    // Everything is checked before anything is counted: a refused batch leaves the counters as they were.
    for (let i = 0; i < b; i++) this.checkLabel(labels[i] as number);
    const first = probabilities[0];
    if (typeof first === 'number' || (b === 0 && probabilities.length === 0)) {
      const flat = probabilities as ArrayLike<number>;
      if (flat.length !== b * n) {
        throw invalidArgument(`${b} labels need ${b * n} probabilities (${n} a row), got ${flat.length}`);
      }
      for (let i = 0; i < b; i++) this.count(labels[i] as number, flat, i * n);
      return;
    }
    const rows = probabilities as ArrayLike<ArrayLike<number>>;
    if (rows.length !== b)
      throw invalidArgument(`${b} labels need ${b} probability rows, got ${rows.length}`);
    for (let i = 0; i < b; i++) {
      const row = rows[i] as ArrayLike<number>;
      if (row.length !== n) throw invalidArgument(`probability row ${i} has ${row.length} entries, not ${n}`);
    }
    for (let i = 0; i < b; i++) this.count(labels[i] as number, rows[i] as ArrayLike<number>, 0);
  }

  /**
   * The metrics of the samples counted so far (see {@link ClassificationMetrics}).
   *
   * @example
   * ```ts
   * const { accuracy, macroF1 } = acc.result();
   * ```
   */
  result(): ClassificationMetrics {
    const n = this.numClasses;
    const counts: number[][] = [];
    for (let t = 0; t < n; t++) counts.push(Array.from(this.counts.subarray(t * n, (t + 1) * n)));
    const perClass: ClassMetrics[] = [];
    let correct = 0;
    let f1Sum = 0;
    let macroClasses = 0;
    for (let c = 0; c < n; c++) {
      const tp = counts[c]?.[c] as number;
      let support = 0;
      let predicted = 0;
      for (let k = 0; k < n; k++) {
        support += counts[c]?.[k] as number;
        predicted += counts[k]?.[c] as number;
      }
      const precision = predicted === 0 ? 0 : tp / predicted;
      const recall = support === 0 ? 0 : tp / support;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      perClass.push({ id: c, label: this.names[c] as string, precision, recall, f1, support, predicted });
      correct += tp;
      if (support > 0) {
        f1Sum += f1;
        macroClasses++;
      }
    }
    const total = this.total;
    return {
      samples: total,
      accuracy: total === 0 ? 0 : correct / total,
      top5: total === 0 ? 0 : this.top5Hits / total,
      perClass,
      macroF1: macroClasses === 0 ? 0 : f1Sum / macroClasses,
      macroClasses,
      confusion: { labels: [...this.names], counts },
    };
  }
}

/**
 * The {@link ClassificationMetrics} of true label ids and their probability rows, in one call (a
 * {@link MetricsAccumulator} fed once). `numClasses` defaults to the length of a row.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` when rows and labels disagree or a label is out of range.
 * @example
 * ```ts
 * const m = computeMetrics([0, 1, 1], [[0.8, 0.2], [0.6, 0.4], [0.1, 0.9]]);
 * m.accuracy; // 2 / 3
 * m.perClass[0].precision; // 0.5
 * ```
 */
export function computeMetrics(
  labels: ArrayLike<number>,
  probabilities: ProbabilityRows,
  numClasses?: number,
): ClassificationMetrics {
  const first = probabilities[0];
  const n =
    numClasses ??
    (first !== undefined && typeof first !== 'number'
      ? first.length
      : labels.length > 0
        ? probabilities.length / labels.length
        : LABELS.length);
  const acc = new MetricsAccumulator(n);
  acc.add(labels, probabilities);
  return acc.result();
}
