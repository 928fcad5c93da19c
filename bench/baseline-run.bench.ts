/**
 * @module baseline-run.bench — the baseline's full check: a synthesized set of 31 labels x 40 clips (seed 3,
 * 2 s clips; 70% of clips show their label's pattern, 80% of briefs name their label, covers only the pair)
 * split 0.8/0.1/0.1 by id as `reelset train` splits it, `lite` trained 30 epochs on the backend
 * `selectBackend` picks, then evaluated with the per-modality ablation. Rows: training time against the
 * 10-minute limit, test accuracy against 90%, the fused model against its best single modality.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../src/adapters/backend.js';
import { evaluate } from '../src/baseline/evaluate.js';
import { createBaseline } from '../src/baseline/model.js';
import { decodeOptionsFor, presetPreprocessing } from '../src/baseline/preprocessing.js';
import { trainBaseline } from '../src/baseline/train.js';
import { decodeSamples } from '../src/loaders/decode/stage.js';
import { buildVocab } from '../src/loaders/decode/text.js';
import { openDataset } from '../src/loaders/open.js';
import { synthesize } from '../src/synth/index.js';
import { type BenchResult, now, result, secondsSince } from './harness.js';

const EPOCHS = 30;
const LIMIT_S = 600;

export default async function bench(): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'reelset-bench-baseline-'));
  try {
    const synthStart = now();
    await synthesize(root, { perLabel: 40, seconds: 2, seed: 3, videoSignal: 0.7, textSignal: 0.8 });
    const synthS = secondsSince(synthStart);
    const refs = openDataset(root).split({ train: 0.8, validation: 0.1, test: 0.1, seed: 1 });
    const vocab = await buildVocab(refs.train, { lowercase: true });
    const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
    const model = createBaseline({ preprocessing: pre, seed: 1 });
    const trainStart = now();
    const choice = await selectBackend({ training: true, model });
    const decode = decodeOptionsFor(pre, vocab);
    const trained = await trainBaseline(model, decodeSamples(refs.train, decode), {
      validation: decodeSamples(refs.validation, decode),
      epochs: EPOCHS,
      seed: 1,
      backend: 'current',
    });
    const trainS = secondsSince(trainStart);
    const test = await evaluate(model, refs.test, { preprocessing: decode, ablation: true });
    model.dispose();
    const a = test.ablation;
    if (a === undefined) throw new Error('evaluate gave no ablation');
    const singles = { text: a.text.accuracy, cover: a.image.accuracy, video: a.video.accuracy };
    const [bestName, best] = Object.entries(singles).reduce((x, y) => (y[1] > x[1] ? y : x));
    const setup =
      `31 labels x 40 synthesized clips (seed 3, 2 s, videoSignal 0.7, textSignal 0.8; synthesized in ${synthS.toFixed(0)} s), ` +
      `train ${trained.samples.train} / validation ${trained.samples.validation} / test ${test.samples} (0.8/0.1/0.1 by id, seed 1), ` +
      `lite ${model.countParams().toLocaleString('en-US')} parameters, ${EPOCHS} epochs on ${choice.tfBackend}, ` +
      `${os.availableParallelism()} cores`;
    return [
      result({
        name: 'baseline: lite 31x40 training time vs the 10-minute limit',
        reelset: trainS,
        peer: LIMIT_S,
        ratio: LIMIT_S / trainS,
        goal: 1,
        unit: 's',
        notes: `ratio = limit / seconds from backend choice to the last epoch, decoding included. ${setup}`,
      }),
      result({
        name: 'baseline: lite 31x40 test accuracy vs 90%',
        reelset: test.accuracy,
        peer: 0.9,
        ratio: test.accuracy / 0.9,
        goal: 1,
        unit: 'accuracy',
        notes: `ratio = accuracy / 0.9; top-5 ${test.top5.toFixed(3)}, macro-F1 ${test.macroF1.toFixed(3)}. ${setup}`,
      }),
      result({
        name: 'baseline: fused vs its best single modality (ablation)',
        reelset: test.accuracy,
        peer: best,
        ratio: test.accuracy / best,
        goal: 1.01,
        unit: 'accuracy',
        notes:
          `ratio = all three / best alone (${bestName}); alone: text ${singles.text.toFixed(3)}, cover ${singles.cover.toFixed(3)}, ` +
          `video ${singles.video.toFixed(3)} (chance ${(1 / 31).toFixed(3)}). ${setup}`,
      }),
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
