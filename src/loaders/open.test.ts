/**
 * @module open.test — options of `openDataset` are checked on every path (numbers given as strings named),
 * and the skips of bad media name their file once.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, thrownCode } from '../../test/helpers.js';
import { type SynthItem, synthesize } from '../synth/index.js';
import { readCatalog } from './catalog/catalog.js';
import { openDataset } from './open.js';
import type { Skip } from './sample.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('openDataset options', () => {
  it('refuses numbers given as strings, naming their type, whether or not anything decodes', () => {
    const root = '/nonexistent-root';
    const cases: Array<[() => unknown, string]> = [
      [
        () => openDataset(root, { concurrency: '8' as unknown as number }),
        'concurrency must be a whole number ≥ 1, got the string "8"',
      ],
      [
        () => openDataset(root, { video: { frames: '8' as unknown as number } }),
        'video.frames must be a whole number from 1 to 1024, got the string "8"',
      ],
      [
        () => openDataset(root, { image: { height: '8' as unknown as number, width: 8 } }),
        'image.height must be a whole number from 1 to 16384, got the string "8"',
      ],
      [
        () => openDataset(root, { text: true, concurrency: '2' as unknown as number }),
        'concurrency must be a whole number ≥ 1, got the string "2"',
      ],
    ];
    for (const [fn, expected] of cases) {
      expect(thrownCode(fn)).toBe('REELSET_E_INVALID_ARGUMENT');
      expect(message(fn)).toBe(expected);
    }
    expect(message(() => readCatalog('x.json', { onError: 'ignore' as 'skip' }))).toMatch(
      /got the string "ignore"/,
    );
  });
});

describe('skips of bad media', () => {
  it('name the file once: the path in `where`, the file name alone in `reason`', async () => {
    const tmp = await tempDir('open-skips');
    try {
      const set = await synthesize(join(tmp.path, 'ds'), {
        labels: ['Sea'],
        perLabel: 2,
        seconds: 0.2,
        seed: 4,
      });
      const [first, second] = set.items as [SynthItem, SynthItem];
      await writeFile(first.files.mp4 as string, 'not a clip at all');
      await writeFile(second.files.mp4 as string, '');
      const skips: Skip[] = [];
      const decoded = openDataset(set.root, {
        video: { frames: 2, height: 16, width: 16 },
        onSkip: (skip) => skips.push(skip),
      });
      expect(await decoded.toArray()).toEqual([]);
      const byWhere = new Map(skips.map((skip) => [skip.where, skip]));
      const garbage = byWhere.get(first.files.mp4 as string);
      expect(garbage?.code).toBe('REELSET_E_BAD_MEDIA');
      expect(garbage?.reason).toBe(
        `Cannot read ${basename(first.files.mp4 as string)}: Invalid data found when processing input`,
      );
      expect(byWhere.get(second.files.mp4 as string)?.reason).toBe(
        `Empty file: ${basename(second.files.mp4 as string)}`,
      );
    } finally {
      await tmp.remove();
    }
  });
});
