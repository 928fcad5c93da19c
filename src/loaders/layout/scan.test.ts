/** @module scan.test — the layout scanner: order, folder problems, resume, the link rule, sizes, duplicates. */
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ItemEntry,
  itemFileNames,
  readItemFolder,
  type ScanEntry,
  type ScannedItem,
  type ScanOptions,
  scanLayout,
} from './scan.js';

let tmp: string;
let root: string;

/** Writes `files` (name -> content) into `<root>/<label>/<name>`. */
async function folder(label: string, name: string, files: Record<string, string>): Promise<void> {
  const dir = path.join(root, label, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'reelset-scan-'));
  root = path.join(tmp, 'data');
  const outside = path.join(tmp, 'outside');
  await mkdir(path.join(outside, 'item'), { recursive: true });
  await writeFile(path.join(outside, 'secret.mp4'), 'secret');
  await mkdir(root);
  await writeFile(path.join(root, 'multimodal_data_info.json'), '{}\n');
  // A folder inside the root whose name starts with '..': inside, whatever path.relative says.
  await folder('..media', '', { 'clip.mp4': 'clip bytes' });

  await folder('Beach', '2', { '2.txt': 'txt' });
  await symlink(path.join(root, '..media', 'clip.mp4'), path.join(root, 'Beach', '2', '2.mp4'));
  await folder('Beach', '3', { '3.txt': 'txt', '000000003_main_xl.mp4': 'url-named clip' });
  await symlink(path.join(outside, 'secret.mp4'), path.join(root, 'Beach', '3', '3.mp4'));
  await folder('Beach', '4', {});
  await symlink(root, path.join(root, 'Beach', '4', '4.jpeg'));
  await writeFile(path.join(root, 'Beach', '5'), 'a file, not a folder');
  await symlink(root, path.join(root, 'Beach', '7'));
  await symlink(path.join(outside, 'item'), path.join(root, 'Beach', '8'));
  await symlink(path.join(tmp, 'nowhere'), path.join(root, 'Beach', '9'));
  await folder('Beach', '10', {
    '10.txt': 'txt',
    '10.jpeg': 'cover',
    '000000010_iconl.jpeg': 'url-named cover',
    '000000010_main_xl.mp4': 'url-named clip',
  });
  await folder('Beach', '012', { '12.mp4': 'id-named clip', '012.mp4': 'folder-named clip' });
  await folder('Beach', 'abc', {});
  await folder('Cats', '1', { '1.txt': 'txt' });
  await folder('City', '1', { '1.txt': 'a txt', '1.mp4': 'a clip' });
  await symlink(root, path.join(root, 'Loop'));
  await symlink(path.join(root, 'City'), path.join(root, 'Nature'));
  await symlink(outside, path.join(root, 'Sea'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Each entry as `label/name` for an item, `label: code reason` for a problem. */
async function scan(options?: ScanOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of scanLayout(root, options)) out.push(show(entry));
  return out;
}

function show(entry: ScanEntry): string {
  if (entry.type === 'item') return `${entry.label}/${entry.name}`;
  return `${entry.label}: ${entry.problem.code} ${entry.problem.reason}`;
}

async function read(label: string, name: string, sizes = false): Promise<ScannedItem> {
  for await (const entry of scanLayout(root, { labels: [label] })) {
    if (entry.type === 'item' && entry.name === name) return readItemFolder(entry, { sizes });
  }
  throw new Error(`no entry ${label}/${name}`);
}

const at = (...parts: string[]): string => path.join(root, ...parts);
const reasons = (item: ScannedItem): string[] => item.problems.map((p) => `${p.kind} ${p.code} ${p.reason}`);
const LEAVES = 'REELSET_E_BAD_ITEM a symbolic link that leaves the root';

describe('scanLayout', () => {
  it('lists label folders by name and items by number, with folder problems in their place', async () => {
    expect(await scan()).toEqual([
      '..media: REELSET_E_UNKNOWN_LABEL the folder "..media" is not one of the 31 labels',
      'Beach/2',
      'Beach/3',
      'Beach/4',
      'Beach/5',
      'Beach/7',
      'Beach/8',
      'Beach/9',
      'Beach/10',
      'Beach/012',
      'Beach/abc',
      'Cats: REELSET_E_UNKNOWN_LABEL the folder "Cats" is not one of the 31 labels',
      'City/1',
      `Loop: ${LEAVES}`,
      'Nature/1',
      `Sea: ${LEAVES}`,
    ]);
  });

  it('gives item entries their label id, folder and the root real path', async () => {
    const entries: ItemEntry[] = [];
    for await (const entry of scanLayout(root, { labels: ['City'] }))
      if (entry.type === 'item') entries.push(entry);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      type: 'item',
      label: 'City',
      labelId: 11,
      name: '1',
      dir: at('City', '1'),
    });
    expect(entries[0]?.rootReal).toBe(path.resolve(root));
  });

  it('lists only the labels asked for, and refuses an unknown one', async () => {
    expect(await scan({ labels: ['Sea', 'City'] })).toEqual(['City/1', `Sea: ${LEAVES}`]);
    expect(await scan({ labels: ['Wedding'] })).toEqual([]);
    await expect(scan({ labels: ['Cats'] })).rejects.toMatchObject({ code: 'REELSET_E_UNKNOWN_LABEL' });
  });

  it('starts right after a position, without reporting again the problem of the folder resumed in', async () => {
    const all = await scan();
    for (const [index, line] of all.entries()) {
      if (line.includes(':')) continue;
      const [label = '', id = ''] = line.split('/');
      expect(await scan({ after: { label, id } })).toEqual(all.slice(index + 1));
    }
    expect(await scan({ after: { label: 'Beach', id: '11' } })).toEqual(all.slice(all.indexOf('Beach/012')));
    expect(await scan({ after: { label: 'Cats', id: '0' } })).toEqual(all.slice(all.indexOf('City/1')));
    expect(await scan({ after: { label: 'Loop', id: '0' } })).toEqual(['Nature/1', `Sea: ${LEAVES}`]);
    expect(await scan({ after: { label: 'Beach', id: '2' }, labels: ['City'] })).toEqual(['City/1']);
    expect(await scan({ after: { label: 'zzz', id: '0' } })).toEqual([]);
  });

  it('throws REELSET_E_NOT_FOUND for a root that is not a readable folder', async () => {
    const missing = scanLayout(path.join(tmp, 'nowhere'));
    await expect(missing.next()).rejects.toMatchObject({ code: 'REELSET_E_NOT_FOUND' });
    const file = scanLayout(at('multimodal_data_info.json'));
    await expect(file.next()).rejects.toMatchObject({ code: 'REELSET_E_NOT_FOUND' });
  });

  it.skipIf(process.getuid?.() === 0)('reports a label folder that cannot be listed', async () => {
    const dir = path.join(tmp, 'locked');
    await mkdir(path.join(dir, 'City'), { recursive: true });
    await chmod(path.join(dir, 'City'), 0o000);
    try {
      const entries: ScanEntry[] = [];
      for await (const entry of scanLayout(dir)) entries.push(entry);
      expect(entries).toEqual([expect.objectContaining({ type: 'problem', label: 'City' })]);
      expect(show(entries[0] as ScanEntry)).toMatch(/^City: REELSET_E_BAD_ITEM cannot list the label folder/);
    } finally {
      await chmod(path.join(dir, 'City'), 0o755);
    }
  });
});

describe('readItemFolder', () => {
  it('finds each kind under <name>.*, then <id>.*, then the URL name, and URL-named duplicates', async () => {
    const item = await read('Beach', '10');
    expect(item).toMatchObject({ label: 'Beach', labelId: 8, name: '10', dir: at('Beach', '10'), id: '10' });
    expect(item.problems).toEqual([]);
    expect(item.files).toEqual({
      txt: {
        name: '10.txt',
        path: at('Beach', '10', '10.txt'),
        openPath: at('Beach', '10', '10.txt'),
        urlNamed: false,
      },
      jpeg: {
        name: '10.jpeg',
        path: at('Beach', '10', '10.jpeg'),
        openPath: at('Beach', '10', '10.jpeg'),
        urlNamed: false,
      },
      mp4: expect.objectContaining({ name: '000000010_main_xl.mp4', urlNamed: true }),
    });
    expect(item.duplicates).toEqual({
      jpeg: expect.objectContaining({ name: '000000010_iconl.jpeg', urlNamed: true }),
    });
    const padded = await read('Beach', '012');
    expect(padded.id).toBe('12');
    expect(padded.files.mp4?.name).toBe('012.mp4');
    expect(padded.duplicates).toEqual({}); // only URL-named copies are duplicates
  });

  it('reads sizes only when asked, following links to their target', async () => {
    const without = await read('Beach', '10');
    for (const file of Object.values(without.files)) expect(file.size).toBeUndefined();
    const sized = await read('Beach', '10', true);
    expect(sized.files.jpeg?.size).toBe('cover'.length);
    expect(sized.files.mp4?.size).toBe('url-named clip'.length);
    expect(sized.duplicates.jpeg?.size).toBe('url-named cover'.length);
    const linked = await read('Beach', '2', true);
    expect(linked.files.mp4?.size).toBe((await stat(at('..media', 'clip.mp4'))).size);
  });

  it('reports the folder problems of an entry and lists no file then', async () => {
    const cases: Array<[string, string]> = [
      ['5', 'not a folder'],
      ['7', 'a symbolic link that leaves the root'],
      ['8', 'a symbolic link that leaves the root'],
      ['9', 'a broken symbolic link'],
      ['abc', 'the folder name "abc" is not an mp4_id (1-12 digits)'],
    ];
    for (const [name, reason] of cases) {
      const item = await read('Beach', name);
      expect(reasons(item), name).toEqual([`folder REELSET_E_BAD_ITEM ${reason}`]);
      expect(item.files).toEqual({});
    }
    expect((await read('Beach', 'abc')).id).toBeUndefined();
  });

  it('applies the link rule to files: inside the root followed, outside or the root itself a problem', async () => {
    // inside the root (under a folder named '..media'): followed, opened at its target
    const inside = await read('Beach', '2');
    expect(inside.problems).toEqual([]);
    expect(inside.files.mp4).toMatchObject({
      path: at('Beach', '2', '2.mp4'),
      openPath: at('..media', 'clip.mp4'),
    });
    // leaving the root: a problem of that kind, the file left out, the next name still tried
    const outside = await read('Beach', '3');
    expect(reasons(outside)).toEqual([
      `mp4 REELSET_E_BAD_ITEM 3.mp4 is a symbolic link that leaves the root`,
    ]);
    expect(outside.files.mp4?.name).toBe('000000003_main_xl.mp4');
    // the root itself: leaves the root too
    const self = await read('Beach', '4');
    expect(reasons(self)).toEqual([`jpeg REELSET_E_BAD_ITEM 4.jpeg is a symbolic link that leaves the root`]);
    expect(self.files).toEqual({});
  });

  it('follows a label folder link that stays inside the root', async () => {
    const item = await read('Nature', '1');
    expect(item).toMatchObject({ label: 'Nature', labelId: 19, id: '1', problems: [] });
    expect(item.files.mp4?.path).toBe(at('Nature', '1', '1.mp4'));
  });
});

describe('itemFileNames', () => {
  it('lists the plain names, then the URL name for media', () => {
    expect(itemFileNames('12', '12', 'txt')).toEqual(['12.txt']);
    expect(itemFileNames('012', '12', 'mp4')).toEqual(['012.mp4', '12.mp4', '000000012_main_xl.mp4']);
    expect(itemFileNames('12', '12', 'jpeg')).toEqual(['12.jpeg', '000000012_iconl.jpeg']);
  });
});
