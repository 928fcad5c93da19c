/**
 * @module for-await — reads a data set with `for await`: samples as plain values, then collated batches.
 *
 * Run: `node --import tsx examples/for-await.ts [DATA_DIR]` (without DATA_DIR a small set is synthesized),
 * after `npm run build`: the examples import the package as a user would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collateBatches, openDataset, toPlain } from 'reelset';
import { synthesize } from 'reelset/synth';

const given = process.argv[2];
const root = given ?? (await mkdtemp(join(tmpdir(), 'reelset-example-')));
if (given === undefined)
  await synthesize(root, { labels: ['Beach', 'City', 'Sea'], perLabel: 2, seconds: 0.5 });

try {
  // Decode the three modalities, small: token ids, a 32x32 cover, 2 frames of 32x32.
  const decoded = openDataset(root, {
    text: true,
    image: { height: 32, width: 32 },
    video: { frames: 2, height: 32, width: 32 },
  });

  // 1. One sample at a time, as native values (JSON-safe with { json: true }).
  let count = 0;
  for await (const sample of toPlain(decoded, { json: true })) {
    count++;
    if (count <= 3) {
      console.log(
        `sample ${sample.id} ${sample.label} tokens=${sample.tokens?.length} image=${sample.image?.shape.join('x')} video=${sample.video?.shape.join('x')}`,
      );
    }
  }
  console.log(`samples ${count}`);

  // 2. Collated batches: typed arrays with shapes, plus a mask per modality.
  let batches = 0;
  for await (const batch of collateBatches(decoded, { batchSize: 4 })) {
    batches++;
    console.log(
      `batch ${batches} size=${batch.size} tokens=${batch.tokens?.shape.join('x')} image=${batch.image?.shape.join('x')} video=${batch.video?.shape.join('x')} labels=${Array.from(batch.labels).join(',')}`,
    );
  }
  console.log(`batches ${batches}`);
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  if (given === undefined) await rm(root, { recursive: true, force: true });
}
