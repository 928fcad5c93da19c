/** End to end on a synthesized data set: layout, catalog, skips, split and resume together. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CatalogEntry,
  type Dataset,
  type IterationState,
  openDataset,
  readCatalog,
  type Sample,
  type Skip,
} from '../src/index.js';
import type { BadKind, SynthReport } from '../src/synth.js';
import { smallDataset, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root = '';
let report: SynthReport;

beforeAll(async () => {
  tmp = await tempDir('foundation');
  root = join(tmp.path, 'data');
  report = await smallDataset(root, { labels: ['Beach', 'City', 'Green Screen', 'Sea'], perLabel: 4 });
});
afterAll(() => tmp.remove());

const key = (s: { label: string; id: string }) => `${s.label}/${s.id}`;

describe('the on-disk layout of a synthesized set', () => {
  it('yields every good item once and records every broken one with its reason', async () => {
    const skips: Skip[] = [];
    const samples = await openDataset(root, {
      require: ['txt', 'jpeg', 'mp4'],
      onSkip: (s) => skips.push(s),
    }).toArray();
    const good = report.items.filter((item) => !item.bad);
    expect(samples.map(key).sort()).toEqual(
      [...good, ...report.items.filter((i) => i.bad === 'truncated-jpeg' || i.bad === 'empty-mp4')]
        .map(key)
        .sort(),
    );
    const expectedCodes: Partial<Record<BadKind, string>> = {
      'missing-mp4': 'REELSET_E_MISSING_MEDIA',
      'missing-jpeg': 'REELSET_E_MISSING_MEDIA',
      'missing-txt': 'REELSET_E_MISSING_MEDIA',
      'txt-not-dict': 'REELSET_E_PY_LITERAL',
      'txt-unterminated': 'REELSET_E_PY_LITERAL',
      'id-mismatch': 'REELSET_E_BAD_ITEM',
    };
    for (const item of report.items.filter((i) => i.bad && expectedCodes[i.bad as BadKind])) {
      const skip = skips.find((s) => s.where === item.folder);
      expect(skip?.code, `${item.bad}`).toBe(expectedCodes[item.bad as BadKind]);
      expect(skip?.reason.length).toBeGreaterThan(5);
    }
    expect(skips).toHaveLength(Object.keys(expectedCodes).length);
    // URL-named (just downloaded) media are found too.
    const downloaded = good.filter((item) => item.naming === 'downloaded');
    for (const item of downloaded) {
      const sample = samples.find((s) => key(s) === key(item));
      expect(sample?.source.mp4).toMatch(/_main_xl\.mp4$/);
      expect(sample?.source.jpeg).toMatch(/_iconl\.jpeg$/);
    }
  });

  it('agrees field by field with the catalog it was listed in', async () => {
    const entries = await readCatalog(report.catalogPath).toArray();
    expect(entries).toHaveLength(report.items.length);
    const byKey = new Map<string, CatalogEntry>(entries.map((entry) => [key(entry), entry]));
    for (const sample of await openDataset(root).toArray()) {
      const entry = byKey.get(key(sample));
      expect(entry, key(sample)).toBeDefined();
      expect([sample.brief, sample.durationSec, sample.labelId]).toEqual([
        entry?.brief,
        entry?.durationSec,
        entry?.labelId,
      ]);
    }
  });

  it('split keeps a clip listed under two labels in one split', async () => {
    const shared = report.items.filter((item) => item.sharedWith && !item.bad);
    expect(shared.length).toBeGreaterThanOrEqual(2);
    const splits = openDataset(root).split({ train: 0.5, validation: 0.25, test: 0.25, seed: 3 });
    const where = new Map<string, Set<string>>();
    for (const [name, dataset] of Object.entries(splits)) {
      for await (const sample of dataset as Dataset<Sample>) {
        where.set(sample.id, (where.get(sample.id) ?? new Set()).add(name));
      }
    }
    for (const item of shared) expect(where.get(item.id)?.size).toBe(1);
    expect(new Set([...where.values()].map((s) => [...s][0])).size).toBe(3);
  });

  it('resumes a shuffled, sharded, repeated pipeline after any sample, from JSON', async () => {
    const pipeline = openDataset(root)
      .shuffle({ seed: 9, bufferSize: 6 })
      .shard({ rank: 1, worldSize: 2 })
      .repeat(2);
    const all = (await pipeline.toArray()).map(key);
    expect(all.length).toBeGreaterThan(10);
    for (const k of [0, 1, Math.floor(all.length / 2), all.length - 1, all.length]) {
      const it = pipeline[Symbol.asyncIterator]();
      for (let i = 0; i < k; i++) await it.next();
      const state = JSON.parse(JSON.stringify(it.state())) as IterationState;
      await it.return?.();
      const rest = (await pipeline.resume(state).toArray()).map(key);
      expect(rest).toEqual(all.slice(k));
    }
  });
});
