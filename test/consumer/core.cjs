// The CommonJS twin of core.mjs: the same program through require().
const { isReelsetError, LABELS, openDataset, toNdarray } = require('reelset');
const { synthesize } = require('reelset/synth');
const { computeStats } = require('reelset/tools');

async function main() {
  const root = process.argv[2];
  const report = await synthesize(root, { labels: ['Beach', 'City'], perLabel: 2, seconds: 0.5, seed: 1 });
  const decoded = openDataset(root, {
    text: true,
    image: { height: 32, width: 32 },
    video: { frames: 2, height: 32, width: 32 },
  });
  let samples = 0;
  for await (const _ of decoded) samples++;
  const shapes = [];
  for await (const batch of toNdarray(decoded, { batchSize: 2, layout: 'channels-first' })) {
    shapes.push(`${batch.image.shape.join('x')} ${batch.video.shape.join('x')}`);
  }
  const stats = await computeStats(root);

  let tf;
  try {
    const { toTfDataset } = require('reelset/tf');
    toTfDataset(decoded, { batchSize: 2 });
    tf = { thrown: false };
  } catch (err) {
    tf = { thrown: true, code: err.code, message: err.message, reelsetError: isReelsetError(err) };
  }
  console.log(
    JSON.stringify({
      labels: LABELS.length,
      items: report.items.length,
      samples,
      shapes,
      stats: stats.items,
      tf,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
