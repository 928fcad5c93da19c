import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReelsetError } from '../../errors.js';
import { Dataset } from '../dataset/dataset.js';
import type { Json, Positioned } from '../dataset/source.js';
import { type OpenDatasetOptions, openDataset } from '../open.js';
import type { Sample, Skip } from '../sample.js';
import { layoutSource } from './layout-source.js';

/** A `.txt` as the original wrote it: single quotes, no trailing newline. `brief` is already Python-escaped. */
function txt(id: string, brief: string, extra: Record<string, string> = {}): string {
  const padded = id.padStart(9, '0');
  const fields: Record<string, string> = {
    mp4_id: id,
    mp4_download_url: `https://p5-v1.xpccdn.com/${padded}_main_xl.mp4`,
    mp4_time: '0:15',
    mp4_background_image_url: `https://p5-i1.xpccdn.com/${padded}_iconl.jpeg`,
    mp4_txt_brief: brief,
    ...extra,
  };
  return `{${Object.entries(fields)
    .map(([key, value]) => `'${key}': '${value}'`)
    .join(', ')}}`;
}

let tmp: string;
let root: string;
let outside: string;

/** Creates an item folder with the given files; `.txt` content from `text`, media as a few fake bytes. */
async function item(label: string, name: string, files: string[], text?: string): Promise<void> {
  const dir = path.join(root, label, name);
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    await writeFile(path.join(dir, file), file.endsWith('.txt') ? (text ?? '') : 'fake media');
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'reelset-layout-'));
  root = path.join(tmp, 'data');
  outside = path.join(tmp, 'outside');
  await mkdir(root);
  await mkdir(path.join(outside, '90'), { recursive: true });
  await writeFile(path.join(outside, '90', '90.txt'), txt('90', ' outside'));
  await writeFile(path.join(outside, 'secret.mp4'), 'secret');
  await writeFile(path.join(root, 'multimodal_data_info.json'), '{}\n');

  await item('Beach', '5', ['5.txt', '5.jpeg', '5.mp4'], txt('5', ' It\\\'s a "sunny" beach'));
  await item('Beach', '10', ['10.txt', '10.jpeg'], txt('10', ' Waves', { mp4_time: '1:02' }));
  await item(
    'Beach',
    '12',
    ['12.txt', '12.mp4', '000000012_main_xl.mp4', '000000012_iconl.jpeg'],
    txt('12', ' Sand'),
  );
  await item('Beach', '13', ['13.txt'], txt('13', ' Bad time', { mp4_time: '15 s' }));
  await item('Beach', '14', ['14.txt'], txt('14', ' Bad URL', { mp4_download_url: 'file:///etc/passwd' }));
  await writeFile(path.join(root, 'Beach', '15'), 'a file, not a folder');
  await item('Beach', '77', ['77.txt'], "{'mp4_id': '77', 'mp4_txt_brief': ' unterminated");
  await item('Beach', '78', ['78.txt'], `__import__('os').system('touch ${path.join(tmp, 'PWNED')}')`);
  await item('Beach', '79', ['79.txt', '79.mp4'], txt('80', ' Someone else'));
  await item('Beach', '81', ['81.jpeg', '81.mp4']);
  await item('Beach', '82', ['82.txt'], "{'mp4_id': '82'}");
  await symlink(path.join(outside, '90'), path.join(root, 'Beach', '90'));
  await item(
    'Beach',
    '099945958',
    ['099945958.txt', '099945958_main_xl.mp4', '099945958_iconl.jpeg'],
    txt('99945958', ' Hong Kong Circa 2017, City B-Roll'),
  );
  await item('Beach', 'abc', ['abc.txt'], txt('1', ' not an id'));
  await item('Cats', '1', ['1.txt'], txt('1', ' meow'));
  await item('City', '1', ['1.txt', '1.mp4'], txt('1', ' Downtown', { mp4_time: '0:10' }));
  await symlink(path.join('..', 'Beach', '5'), path.join(root, 'City', '5'));
  await item('City', '6', ['6.txt'], txt('6', ' Leaky'));
  await symlink(path.join(outside, 'secret.mp4'), path.join(root, 'City', '6', '6.mp4'));
  await item('Green Screen', '3', ['3.txt', '3.jpeg'], txt('3', ' Café 中文 \\u00e9 — 😀'));
  await writeFile(path.join(root, 'Green Screen', '3', '3.mp4'), ''); // a zero-byte file counts as present
  await item('Green Screen', '200', ['200.txt', '200.jpeg', '200.mp4'], txt('200', ' Chroma key'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const at = (...parts: string[]): string => path.join(root, ...parts);

async function collect(
  options: OpenDatasetOptions = {},
  position?: Json,
): Promise<{ items: Positioned<Sample>[]; skips: Skip[]; skipsAt: number[] }> {
  const source = layoutSource(root, options);
  const items: Positioned<Sample>[] = [];
  const skipsAt: number[] = [];
  for await (const element of source.open(position, { epoch: 0 })) {
    items.push(element);
    skipsAt.push(source.skips.length);
  }
  return { items, skips: [...source.skips], skipsAt };
}

const ids = (items: Positioned<Sample>[]): string[] => items.map(({ value }) => `${value.label}/${value.id}`);
/** Every good item of the fixture, in the layout's order. */
const ALL_ITEMS = [
  'Beach/5',
  'Beach/10',
  'Beach/12',
  'Beach/99945958',
  'City/1',
  'City/5',
  'Green Screen/3',
  'Green Screen/200',
];
/** The items of the fixture that have all three files. */
const COMPLETE_ITEMS = [
  'Beach/5',
  'Beach/12',
  'Beach/99945958',
  'City/5',
  'Green Screen/3',
  'Green Screen/200',
];

describe('layoutSource', () => {
  it('yields the samples in label then numeric order, with absolute paths', async () => {
    const { items } = await collect();
    expect(ids(items)).toEqual(ALL_ITEMS);
    const samples = items.map(({ value }) => value);
    expect(samples[0]).toEqual({
      id: '5',
      label: 'Beach',
      labelId: 8,
      brief: ' It\'s a "sunny" beach',
      durationSec: 15,
      source: {
        txt: at('Beach', '5', '5.txt'),
        jpeg: at('Beach', '5', '5.jpeg'),
        mp4: at('Beach', '5', '5.mp4'),
      },
    });
    expect(samples[1]).toEqual({
      id: '10',
      label: 'Beach',
      labelId: 8,
      brief: ' Waves',
      durationSec: 62,
      source: { txt: at('Beach', '10', '10.txt'), jpeg: at('Beach', '10', '10.jpeg') },
    });
    expect(samples[1]?.source.mp4).toBeUndefined();
    // <id>.mp4 wins over the URL-named file; the URL-named jpeg is found when it is the only one
    expect(samples[2]?.source).toEqual({
      txt: at('Beach', '12', '12.txt'),
      jpeg: at('Beach', '12', '000000012_iconl.jpeg'),
      mp4: at('Beach', '12', '12.mp4'),
    });
    expect(samples[3]).toEqual({
      id: '99945958',
      label: 'Beach',
      labelId: 8,
      brief: ' Hong Kong Circa 2017, City B-Roll',
      durationSec: 15,
      source: {
        txt: at('Beach', '099945958', '099945958.txt'),
        jpeg: at('Beach', '099945958', '099945958_iconl.jpeg'),
        mp4: at('Beach', '099945958', '099945958_main_xl.mp4'),
      },
    });
    // a symbolic link that stays inside the root is followed; paths are the listed ones
    expect(samples[5]).toMatchObject({
      id: '5',
      label: 'City',
      labelId: 11,
      source: { mp4: at('City', '5', '5.mp4') },
    });
    expect(samples[6]).toEqual({
      id: '3',
      label: 'Green Screen',
      labelId: 16,
      brief: ' Café 中文 é — 😀',
      durationSec: 15,
      source: {
        txt: at('Green Screen', '3', '3.txt'),
        jpeg: at('Green Screen', '3', '3.jpeg'),
        mp4: at('Green Screen', '3', '3.mp4'),
      },
    });
    for (const { value, position } of items) {
      expect(position).toEqual({
        label: value.label,
        id: path.basename(path.dirname(value.source.txt ?? '')),
      });
      for (const file of Object.values(value.source)) expect(path.isAbsolute(file)).toBe(true);
    }
  });

  it('records a skip with a code for each bad item, in order, and runs nothing', async () => {
    const onSkip: Skip[] = [];
    const { skips } = await collect({ onSkip: (skip) => onSkip.push(skip) });
    expect(skips.map(({ where, code }) => [path.relative(root, where), code])).toEqual([
      ['Beach/13', 'REELSET_E_BAD_ITEM'],
      ['Beach/14', 'REELSET_E_BAD_ITEM'],
      ['Beach/15', 'REELSET_E_BAD_ITEM'],
      ['Beach/77', 'REELSET_E_PY_LITERAL'],
      ['Beach/78', 'REELSET_E_PY_LITERAL'],
      ['Beach/79', 'REELSET_E_BAD_ITEM'],
      ['Beach/81', 'REELSET_E_MISSING_MEDIA'],
      ['Beach/82', 'REELSET_E_BAD_ITEM'],
      ['Beach/90', 'REELSET_E_BAD_ITEM'],
      ['Beach/abc', 'REELSET_E_BAD_ITEM'],
      ['Cats', 'REELSET_E_UNKNOWN_LABEL'],
      ['City/6', 'REELSET_E_BAD_ITEM'],
    ]);
    expect(onSkip).toEqual(skips);
    const reason = (name: string): string =>
      skips.find((skip) => skip.where === at(...name.split('/')))?.reason ?? '';
    expect(reason('Beach/13')).toMatch(/duration/);
    expect(reason('Beach/14')).toMatch(/http/);
    expect(reason('Beach/15')).toMatch(/not a folder/);
    expect(reason('Beach/77')).toMatch(/Unterminated string/);
    expect(reason('Beach/78')).toMatch(/name "__import__"/);
    expect(reason('Beach/79')).toMatch(/mp4_id "80".*79/);
    expect(reason('Beach/81')).toMatch(/missing txt/);
    expect(reason('Beach/82')).toMatch(/no mp4_txt_brief/);
    expect(reason('Beach/90')).toMatch(/leaves the root/);
    expect(reason('Beach/abc')).toMatch(/not an mp4_id/);
    expect(reason('Cats')).toMatch(/not one of the 31 labels/);
    expect(reason('City/6')).toMatch(/6\.mp4 is a symbolic link that leaves the root/);
    expect(skips.find((skip) => skip.where === at('Beach', '79'))?.id).toBe('79');
    expect(skips.find((skip) => skip.where === at('Cats'))?.id).toBeUndefined();
    await expect(
      import('node:fs/promises').then((fs) => fs.access(path.join(tmp, 'PWNED'))),
    ).rejects.toThrow();
  });

  it('keeps items without a txt when it is not required', async () => {
    const { items } = await collect({ require: [], labels: ['Beach'] });
    const sample = items.find(({ value }) => value.id === '81')?.value;
    expect(sample).toEqual({
      id: '81',
      label: 'Beach',
      labelId: 8,
      brief: '',
      durationSec: null,
      source: { jpeg: at('Beach', '81', '81.jpeg'), mp4: at('Beach', '81', '81.mp4') },
    });
  });

  it('skips items lacking a required file, naming it', async () => {
    const { items, skips } = await collect({ require: ['txt', 'jpeg', 'mp4'] });
    expect(ids(items)).toEqual(COMPLETE_ITEMS);
    const missing = skips.filter((skip) => skip.code === 'REELSET_E_MISSING_MEDIA');
    expect(missing.map((skip) => [path.relative(root, skip.where), skip.reason])).toEqual([
      ['Beach/10', 'missing mp4 (10.mp4 or 000000010_main_xl.mp4)'],
      ['Beach/13', 'missing jpeg (13.jpeg or 000000013_iconl.jpeg), mp4 (13.mp4 or 000000013_main_xl.mp4)'],
      ['Beach/14', 'missing jpeg (14.jpeg or 000000014_iconl.jpeg), mp4 (14.mp4 or 000000014_main_xl.mp4)'],
      ['Beach/77', 'missing jpeg (77.jpeg or 000000077_iconl.jpeg), mp4 (77.mp4 or 000000077_main_xl.mp4)'],
      ['Beach/78', 'missing jpeg (78.jpeg or 000000078_iconl.jpeg), mp4 (78.mp4 or 000000078_main_xl.mp4)'],
      ['Beach/79', 'missing jpeg (79.jpeg or 000000079_iconl.jpeg)'],
      ['Beach/81', 'missing txt (81.txt)'],
      ['Beach/82', 'missing jpeg (82.jpeg or 000000082_iconl.jpeg), mp4 (82.mp4 or 000000082_main_xl.mp4)'],
      ['City/1', 'missing jpeg (1.jpeg or 000000001_iconl.jpeg)'],
    ]);
  });

  it('reads only the labels asked for', async () => {
    const { items, skips } = await collect({ labels: ['Green Screen', 'City'] });
    expect(ids(items)).toEqual(['City/1', 'City/5', 'Green Screen/3', 'Green Screen/200']);
    expect(skips.map((skip) => path.relative(root, skip.where))).toEqual(['City/6']);
    const none = await collect({ labels: ['Wedding'] });
    expect(none.items).toEqual([]);
  });

  it('rejects an unknown label or invalid options at call time', () => {
    expect(() => layoutSource(root, { labels: ['Cats'] })).toThrow(
      expect.objectContaining({ code: 'REELSET_E_UNKNOWN_LABEL' }),
    );
    expect(() => layoutSource(root, { labels: ['beach'] })).toThrow(ReelsetError);
    expect(() => layoutSource(root, { labels: [] })).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
    expect(() => layoutSource(root, { require: ['wav' as 'mp4'] })).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
    expect(() => layoutSource(root, { onError: 'ignore' as 'skip' })).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
    expect(() => layoutSource('')).toThrow(expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }));
  });

  it('throws the first bad item with onError: throw, after the samples before it', async () => {
    const source = layoutSource(root, { onError: 'throw' });
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const { value } of source.open(undefined, { epoch: 0 })) seen.push(value.id);
    } catch (err) {
      caught = err;
    }
    expect(seen).toEqual(['5', '10', '12']);
    expect(caught).toBeInstanceOf(ReelsetError);
    expect((caught as ReelsetError).code).toBe('REELSET_E_BAD_ITEM');
    expect((caught as ReelsetError).message).toContain(at('Beach', '13'));
    expect(source.skips).toEqual([]);

    const literal = layoutSource(root, { onError: 'throw', labels: ['Beach'] });
    await expect(drain(literal.open({ label: 'Beach', id: '15' }, { epoch: 0 }))).rejects.toMatchObject({
      code: 'REELSET_E_PY_LITERAL',
    });
    const unknown = layoutSource(root, { onError: 'throw' });
    await expect(drain(unknown.open({ label: 'Beach', id: 'abc' }, { epoch: 0 }))).rejects.toMatchObject({
      code: 'REELSET_E_UNKNOWN_LABEL',
    });
  });

  it('throws REELSET_E_NOT_FOUND when a pass starts on a missing root, not before', async () => {
    const source = layoutSource(path.join(tmp, 'nowhere'));
    const pass = source.open(undefined, { epoch: 0 });
    await expect(drain(pass)).rejects.toMatchObject({ code: 'REELSET_E_NOT_FOUND' });
    const file = layoutSource(path.join(root, 'multimodal_data_info.json'));
    await expect(drain(file.open(undefined, { epoch: 0 }))).rejects.toMatchObject({
      code: 'REELSET_E_NOT_FOUND',
    });
  });

  it('resumes after every position with the exact tail, and no skip is recorded twice', async () => {
    const full = await collect();
    expect(full.items.length).toBe(8);
    for (const [index, { position }] of full.items.entries()) {
      const rest = await collect({}, position);
      expect(rest.items).toEqual(full.items.slice(index + 1));
      const skippedBefore = full.skipsAt[index] ?? 0;
      expect(rest.skips).toEqual(full.skips.slice(skippedBefore));
    }
  });

  it('resumes after a position that names a skipped item or no item', async () => {
    const afterSkip = await collect({}, { label: 'Beach', id: '13' });
    expect(ids(afterSkip.items)[0]).toBe('Beach/99945958');
    expect(afterSkip.skips.map((skip) => path.relative(root, skip.where))[0]).toBe('Beach/14');
    // a position inside a label folder that was itself skipped does not record it again
    const afterLabel = await collect({}, { label: 'Cats', id: '99' });
    expect(ids(afterLabel.items)).toEqual(['City/1', 'City/5', 'Green Screen/3', 'Green Screen/200']);
    expect(afterLabel.skips.map((skip) => skip.code)).toEqual(['REELSET_E_BAD_ITEM']);
    const pastEnd = await collect({}, { label: 'zzz', id: '0' });
    expect(pastEnd.items).toEqual([]);
    expect(pastEnd.skips).toEqual([]);
  });

  it('rejects a position of the wrong shape', async () => {
    const source = layoutSource(root);
    await expect(drain(source.open({ label: 'Beach' }, { epoch: 0 }))).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
    await expect(drain(source.open(3, { epoch: 0 }))).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
  });

  it('stops cleanly on an early break and starts each pass afresh', async () => {
    const source = layoutSource(root);
    const first: string[] = [];
    for await (const { value } of source.open(undefined, { epoch: 0 })) {
      first.push(value.id);
      if (first.length === 2) break;
    }
    expect(first).toEqual(['5', '10']);
    expect(source.skips).toEqual([]);
    const earlier = source.skips;
    const all = await drain(source.open(undefined, { epoch: 1 }));
    expect(all.length).toBe(8);
    expect(source.skips.length).toBe(12);
    expect(earlier).toEqual([]);
  });
});

describe('the link rule', () => {
  it('skips a link to the root itself, as a label folder, an item folder or a file', async () => {
    const dir = path.join(tmp, 'loops');
    await mkdir(path.join(dir, 'Beach', '1'), { recursive: true });
    await writeFile(path.join(dir, 'Beach', '1', '1.txt'), txt('1', ' kept'));
    await symlink(dir, path.join(dir, 'Beach', '2'));
    await mkdir(path.join(dir, 'Beach', '3'));
    await writeFile(path.join(dir, 'Beach', '3', '3.txt'), txt('3', ' linked cover'));
    await symlink(dir, path.join(dir, 'Beach', '3', '3.jpeg'));
    await symlink(dir, path.join(dir, 'City'));
    const source = layoutSource(dir);
    const samples = await drain(source.open(undefined, { epoch: 0 }));
    expect(samples.map(({ value }) => `${value.label}/${value.id}`)).toEqual(['Beach/1']);
    expect(source.skips.map(({ where, code, reason }) => [path.relative(dir, where), code, reason])).toEqual([
      ['Beach/2', 'REELSET_E_BAD_ITEM', 'a symbolic link that leaves the root'],
      ['Beach/3', 'REELSET_E_BAD_ITEM', '3.jpeg is a symbolic link that leaves the root'],
      ['City', 'REELSET_E_BAD_ITEM', 'a symbolic link that leaves the root'],
    ]);
  });
});

describe('openDataset', () => {
  it('is a restartable Dataset of the layout samples, with skips sent to onSkip', async () => {
    const skips: Skip[] = [];
    const dataset = openDataset(root, {
      require: ['txt', 'jpeg', 'mp4'],
      onSkip: (skip) => skips.push(skip),
    });
    expect(dataset).toBeInstanceOf(Dataset);
    const first: string[] = [];
    for await (const sample of dataset) first.push(`${sample.label}/${sample.id}`);
    expect(first).toEqual(COMPLETE_ITEMS);
    expect(skips.length).toBe(14);
    const second: string[] = [];
    for await (const sample of dataset) second.push(`${sample.label}/${sample.id}`);
    expect(second).toEqual(first);
    expect(skips.length).toBe(28);
  });

  it('resumes through an iteration state, across a JSON round trip', async () => {
    const dataset = openDataset(root);
    const it = dataset[Symbol.asyncIterator]();
    const head: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await it.next();
      if (!next.done) head.push(`${next.value.label}/${next.value.id}`);
    }
    const state = JSON.parse(JSON.stringify(it.state()));
    await it.return?.();
    const tail: string[] = [];
    for await (const sample of dataset.resume(state)) tail.push(`${sample.label}/${sample.id}`);
    expect([...head, ...tail]).toEqual(ALL_ITEMS);
  });

  it('matches a Dataset built from layoutSource', async () => {
    const source = layoutSource(root);
    const fromSource: Sample[] = [];
    for await (const sample of Dataset.fromSource(source)) fromSource.push(sample);
    const opened: Sample[] = [];
    for await (const sample of openDataset(root)) opened.push(sample);
    expect(opened).toEqual(fromSource);
    expect(source.skips.length).toBe(12);
  });
});

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const element of iterable) out.push(element);
  return out;
}
