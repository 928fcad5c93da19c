/** @module root-hint.test — a label folder or an item folder given as the root gets a hint. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutRootHint } from './root-hint.js';
import { scanLayout } from './scan.js';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-root-hint-'));
  for (const [label, id] of [
    ['Beach', '12'],
    ['Beach', '345'],
    ['Sea', '7'],
  ] as const) {
    const folder = join(tmp, 'data', label, id);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${id}.txt`), '{}');
    await writeFile(join(folder, `${id.padStart(9, '0')}_main_xl.mp4`), '');
  }
  await mkdir(join(tmp, 'clips', '12'), { recursive: true });
  await mkdir(join(tmp, 'empty'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('layoutRootHint', () => {
  it('says nothing of a real root, an empty folder or a missing one', async () => {
    expect(await layoutRootHint(join(tmp, 'data'))).toBeUndefined();
    expect(await layoutRootHint(join(tmp, 'empty'))).toBeUndefined();
    expect(await layoutRootHint(join(tmp, 'missing'))).toBeUndefined();
  });

  it('recognises a label folder and names its parent as the root was given', async () => {
    const beach = join(tmp, 'data', 'Beach');
    expect(await layoutRootHint(beach)).toBe(
      `${beach} looks like the label folder of "Beach", not a data set root (its folders are item ids, none is one of the 31 labels): did you mean ${join(tmp, 'data')}?`,
    );
    const rel = relative(process.cwd(), beach);
    expect(await layoutRootHint(`${rel}/`)).toMatch(
      new RegExp(`did you mean ${relative(process.cwd(), join(tmp, 'data'))}\\?$`),
    );
    // A folder of item ids under another name is a label folder too.
    expect(await layoutRootHint(join(tmp, 'clips'))).toMatch(/looks like a label folder.*did you mean/);
  });

  it('recognises an item folder and names the root two levels up', async () => {
    const item = join(tmp, 'data', 'Beach', '12');
    expect(await layoutRootHint(item)).toBe(
      `${item} looks like an item folder (it holds 000000012_main_xl.mp4, 12.txt), not a data set root: did you mean ${join(tmp, 'data')}?`,
    );
  });
});

describe('a label folder with a mistyped name', () => {
  it('is skipped with the label it most likely meant', async () => {
    const root = join(tmp, 'typo');
    await mkdir(join(root, 'beach', '12'), { recursive: true });
    const reasons: string[] = [];
    for await (const entry of scanLayout(root))
      if (entry.type === 'problem') reasons.push(entry.problem.reason);
    expect(reasons).toEqual(['the folder "beach" (did you mean "Beach"?) is not one of the 31 labels']);
  });
});
