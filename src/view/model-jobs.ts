/**
 * @module view/model-jobs — the model's predictions as the viewer keeps them: the parts of the recorded
 * split predicted in the background on demand (for the confusion matrix and the model filters), and one
 * item at a time for the item view; only the top 5 of each prediction is kept.
 */
import type { Dataset } from '../loaders/dataset/dataset.js';
import { readItemTxt } from '../loaders/layout/item-files.js';
import { MEDIA_KINDS } from '../loaders/layout/naming.js';
import { readItemFolder } from '../loaders/layout/scan.js';
import type { Sample } from '../loaders/sample.js';
import { Limiter } from '../util/concurrency.js';
import type { ClassifierOutput, ViewModel } from './classifier.js';
import type { ViewIndex, ViewItem } from './view-index.js';

/**
 * A prediction as the viewer keeps it: the predicted label id, its probability, and the 5 most probable
 * labels with theirs.
 *
 * @example
 * ```ts
 * const p: StoredPrediction = { labelId: 8, confidence: 0.91, top: [[8, 0.91], [20, 0.05]] };
 * ```
 */
export interface StoredPrediction {
  labelId: number;
  confidence: number;
  top: Array<[number, number]>;
}

/**
 * The parts of a split.
 *
 * @example
 * ```ts
 * const part: SplitPart = 'test';
 * ```
 */
export type SplitPart = 'train' | 'validation' | 'test';

/**
 * The parts of a split, in order.
 *
 * @example
 * ```ts
 * SPLIT_PARTS.includes('test'); // true
 * ```
 */
export const SPLIT_PARTS: readonly SplitPart[] = Object.freeze(['train', 'validation', 'test']);

/**
 * The state of the background prediction of one part of the split.
 *
 * @example
 * ```ts
 * const job: SplitJob = { part: 'test', state: 'running', positions: [], failed: 0 };
 * ```
 */
export interface SplitJob {
  part: SplitPart;
  state: 'running' | 'done' | 'failed';
  /** Positions in the index of the part's items predicted so far, in scan order. */
  positions: number[];
  /** Samples of the part that could not be decoded. */
  failed: number;
  error?: string;
}

/**
 * Keeps only the top 5 of a classifier's output.
 *
 * @example
 * ```ts
 * storePrediction({ labelId: 1, probabilities: [0.2, 0.7, 0.1] }).top; // [[1, 0.7], [0, 0.2], [2, 0.1]]
 * ```
 */
export function storePrediction(out: ClassifierOutput): StoredPrediction {
  const top = out.probabilities
    .map((p, id): [number, number] => [id, p])
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 5);
  return { labelId: out.labelId, confidence: out.probabilities[out.labelId] ?? 0, top };
}

/**
 * The predictions of one model over one index: split parts predicted on demand in the background, single
 * items on request; one batch through the model at a time.
 *
 * @example
 * ```ts
 * const jobs = new ModelJobs(index, model);
 * const job = jobs.split('test'); // starts it
 * const prediction = await jobs.predictItem(index.item(0)!);
 * ```
 */
export class ModelJobs {
  readonly predictions = new Map<number, StoredPrediction>();
  /** Which part of the split each predicted position is in. */
  readonly partOf = new Map<number, SplitPart>();
  readonly #jobs = new Map<SplitPart, SplitJob>();
  readonly #limiter = new Limiter(1);
  /** Bumped whenever predictions are added (for caches of filtered lists). */
  version = 0;

  constructor(
    readonly index: ViewIndex,
    readonly model: ViewModel,
  ) {}

  /**
   * The job of one part of the split, started on the first call.
   *
   * @example
   * ```ts
   * jobs.split('test').state; // 'running'
   * ```
   */
  split(part: SplitPart): SplitJob {
    let job = this.#jobs.get(part);
    if (job === undefined) {
      job = { part, state: 'running', positions: [], failed: 0 };
      this.#jobs.set(part, job);
      this.#run(job).catch((err: unknown) => {
        (job as SplitJob).state = 'failed';
        (job as SplitJob).error = err instanceof Error ? err.message : String(err);
      });
    }
    return job;
  }

  async #run(job: SplitJob): Promise<void> {
    const { openDataset } = await import('../loaders/open.js');
    const parts = openDataset(this.index.root).split(this.model.split);
    const data: Dataset<Sample> = parts[job.part];
    let batch: Sample[] = [];
    const flush = async (): Promise<void> => {
      const samples = batch;
      batch = [];
      const outs = await this.#limiter.run(() => this.model.classifier.predict(samples));
      samples.forEach((sample, k) => {
        const n = this.index.positionOfSample(sample);
        const out = outs[k];
        if (n === undefined) return;
        this.partOf.set(n, job.part);
        if (out === undefined) {
          job.failed++;
          return;
        }
        this.predictions.set(n, storePrediction(out));
        job.positions.push(n);
      });
      this.version++;
    };
    for await (const sample of data) {
      batch.push(sample);
      if (batch.length === 32) await flush();
    }
    if (batch.length > 0) await flush();
    job.state = 'done';
  }

  /**
   * The prediction of one item: the stored one, else one forward pass now (undefined when the item cannot
   * be decoded or is not a good item folder).
   *
   * @example
   * ```ts
   * const p = await jobs.predictItem(item);
   * ```
   */
  async predictItem(item: ViewItem): Promise<StoredPrediction | undefined> {
    const known = this.predictions.get(item.n);
    if (known !== undefined) return known;
    const sample = await sampleOf(item);
    if (sample === undefined) return undefined;
    const [out] = await this.#limiter.run(() => this.model.classifier.predict([sample]));
    if (out === undefined) return undefined;
    const stored = storePrediction(out);
    this.predictions.set(item.n, stored);
    this.version++;
    return stored;
  }

  /**
   * The confusion matrix of the part's predictions so far: `matrix[true][predicted]` counts over every
   * label id of the model, and the accuracy.
   *
   * @example
   * ```ts
   * const { matrix, accuracy, samples } = jobs.confusion('test');
   * ```
   */
  confusion(part: SplitPart): { matrix: number[][]; samples: number; accuracy: number | null } {
    const size = this.model.classifier.labels.length;
    const matrix = Array.from({ length: size }, () => new Array<number>(size).fill(0));
    let right = 0;
    const job = this.split(part);
    for (const n of job.positions) {
      const item = this.index.items[n];
      const p = this.predictions.get(n);
      if (item === undefined || p === undefined) continue;
      const row = matrix[item.labelId];
      if (row !== undefined && p.labelId < size) row[p.labelId] = (row[p.labelId] ?? 0) + 1;
      if (item.labelId === p.labelId) right++;
    }
    const samples = job.positions.length;
    return { matrix, samples, accuracy: samples === 0 ? null : right / samples };
  }
}

/**
 * The sample of an item as the layout source makes it (brief and duration from the `.txt`, the files as
 * listed), or undefined for an item the source would skip (bad folder, bad `.txt`).
 */
async function sampleOf(item: ViewItem): Promise<Sample | undefined> {
  const folder = await readItemFolder(item.entry);
  const id = folder.id;
  if (id === undefined || folder.problems.length > 0 || folder.files.txt === undefined) return undefined;
  const txt = await readItemTxt(folder.files.txt.openPath, id);
  if (!txt.ok) return undefined;
  const source: Sample['source'] = {};
  for (const kind of MEDIA_KINDS) {
    const file = folder.files[kind];
    if (file !== undefined) source[kind] = file.path;
  }
  return {
    id,
    label: item.label,
    labelId: item.labelId,
    brief: txt.brief,
    durationSec: txt.durationSec,
    source,
  };
}
