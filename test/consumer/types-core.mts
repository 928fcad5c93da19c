// A strict TypeScript program (nodenext, ESM) of a user who installed reelset alone. It is compiled, not run,
// with skipLibCheck false: every published .d.ts it reaches (and the types they import) must compile.
import { isReelsetError, type NdarrayBatch, openDataset, type ReelsetErrorCode, toNdarray } from 'reelset';
import { type SynthReport, synthesize } from 'reelset/synth';
import { computeStats, type DatasetStats } from 'reelset/tools';

const report: SynthReport = await synthesize('data', { labels: ['Beach'], perLabel: 1, seed: 1 });
const decoded = openDataset(report.root, { text: true, image: { height: 32, width: 32 } });
for await (const sample of decoded) {
  const tokens: Int32Array = sample.tokens;
  const shape: readonly number[] = sample.image.shape;
  console.log(sample.id, sample.labelId, tokens.length, shape);
}
for await (const batch of toNdarray(decoded, { batchSize: 2, layout: 'channels-first' })) {
  const b: NdarrayBatch = batch;
  console.log(b.image?.shape, b.labels.get(0));
}
const stats: DatasetStats = await computeStats(report.root);
const code: ReelsetErrorCode = 'REELSET_E_MISSING_PEER';
try {
  openDataset(`${report.root}/missing`);
} catch (err) {
  if (isReelsetError(err, code)) console.log(err.code, err.message);
}
console.log(stats);
