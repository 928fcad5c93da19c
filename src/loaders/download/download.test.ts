/**
 * @module download.test — the downloader's pure pieces: Retry-After, backoff bounds, the seeded hash and
 * sample, filters, safe paths, the `.txt` literal and the CLI header parser (the HTTP behaviour is tested
 * against a real server in test/download.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseHeader } from '../../cli/download.js';
import { isReelsetError } from '../../errors.js';
import { txtLiteral } from '../../synth/index.js';
import { hash53 } from '../../util/random.js';
import type { CatalogEntry } from '../catalog/catalog.js';
import { itemTxt } from '../layout/py-repr.js';
import { download } from './download.js';
import { checkFilters, insideOrThrow, itemJobs, planItem, selectEntries } from './plan.js';
import { backoffMs, retryAfterMs } from './retry.js';

function entry(id: string, label = 'Beach'): CatalogEntry {
  const id9 = id.padStart(9, '0');
  return {
    id,
    label,
    labelId: 8,
    brief: ' It\'s a "wave" café',
    time: '0:15',
    durationSec: 15,
    mp4Url: `https://p5-v1.xpccdn.com/${id9}_main_xl.mp4`,
    coverUrl: `https://p5-i1.xpccdn.com/${id9}_iconl.jpeg`,
    line: 1,
  };
}

async function collect(
  entries: CatalogEntry[],
  filters: Parameters<typeof selectEntries>[1],
): Promise<string[]> {
  const out: string[] = [];
  async function* it() {
    yield* entries;
  }
  for await (const e of selectEntries(it(), filters)) out.push(`${e.label}/${e.id}`);
  return out;
}

describe('download pieces', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(['0'])).toBe(0);
    const t = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', t - 2000)).toBe(2000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', t + 5000)).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('backs off with full jitter below an exponential, capped ceiling', () => {
    expect(backoffMs(0, 100, 1000, () => 0.999)).toBe(99);
    expect(backoffMs(3, 100, 1000, () => 0.999)).toBe(799);
    expect(backoffMs(10, 100, 1000, () => 0.999)).toBe(999);
    expect(backoffMs(10, 100, 1000, () => 0)).toBe(0);
  });

  it('hashes deterministically, by seed', () => {
    expect(hash53('Beach/1', 7)).toBe(hash53('Beach/1', 7));
    expect(hash53('Beach/1', 7)).not.toBe(hash53('Beach/1', 8));
    expect(hash53('x')).toBeLessThan(2 ** 53);
  });

  it('samples with a seed: same seed same sample, a count is exact, a smaller sample is a subset', async () => {
    const entries = Array.from({ length: 200 }, (_, i) => entry(String(1000 + i)));
    const a = await collect(entries, { sample: 20, seed: 3 });
    expect(a).toHaveLength(20);
    expect(await collect(entries, { sample: 20, seed: 3 })).toEqual(a);
    expect(await collect(entries, { sample: 20, seed: 4 })).not.toEqual(a);
    const small = await collect(entries, { sample: 5, seed: 3 });
    expect(small.every((x) => a.includes(x))).toBe(true);
    const frac = await collect(entries, { sample: 0.25, seed: 3 });
    expect(frac.length).toBeGreaterThan(25);
    expect(frac.length).toBeLessThan(75);
    const mixed = [...entries.slice(0, 5), ...entries.slice(5, 10).map((e) => ({ ...e, label: 'Sea' }))];
    expect(await collect(mixed, { maxPerLabel: 2, labels: ['Sea'] })).toEqual(['Sea/1005', 'Sea/1006']);
    expect(await collect(mixed, { ids: ['0001001', '1007'] })).toEqual(['Beach/1001', 'Sea/1007']);
  });

  it('checks filters', () => {
    const code = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return isReelsetError(err) ? err.code : 'other';
      }
      return 'none';
    };
    expect(code(() => checkFilters({ labels: ['Cats'] }))).toBe('REELSET_E_UNKNOWN_LABEL');
    expect(code(() => checkFilters({ ids: ['12a'] }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => checkFilters({ sample: 1.5 }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => checkFilters({ sample: 0 }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => checkFilters({ kinds: ['png' as 'txt'] }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => checkFilters({ maxPerLabel: 0 }))).toBe('REELSET_E_INVALID_ARGUMENT');
    expect(code(() => checkFilters({ sample: 0.5, seed: 1, maxPerLabel: 3 }))).toBe('none');
  });

  it('plans safe paths only, with the original URL names as alternatives', () => {
    expect(() => insideOrThrow('/data', '/data/../etc/passwd')).toThrow(/outside/);
    expect(() => insideOrThrow('/data', '/data')).toThrow(/outside/);
    expect(insideOrThrow('/data', '/data/Beach/1/1.txt')).toBe('/data/Beach/1/1.txt');
    for (const bad of [entry('../1'), entry('1/2'), entry(''), entry('1', '..'), entry('1', 'Beach/../..')]) {
      const planned = planItem('/data', bad);
      expect('error' in planned && planned.error.code).toBe('REELSET_E_UNSAFE_PATH');
    }
    const item = planItem('/data', entry('99945958'));
    if ('error' in item) throw item.error;
    const jobs = itemJobs('/data', item, ['mp4', 'txt']);
    expect(jobs.map((j) => [j.kind, j.path, j.rel, j.altPaths])).toEqual([
      ['txt', '/data/Beach/99945958/99945958.txt', 'Beach/99945958/99945958.txt', []],
      [
        'mp4',
        '/data/Beach/99945958/99945958.mp4',
        'Beach/99945958/99945958.mp4',
        ['/data/Beach/99945958/099945958_main_xl.mp4'],
      ],
    ]);
  });

  it('writes the txt the synthesizer writes for the original URLs', () => {
    const e = entry('99945958');
    expect(itemTxt(e)).toBe(txtLiteral(e.id, e.time, e.brief));
    expect(itemTxt(e)).toBe(
      `{'mp4_id': '99945958', 'mp4_download_url': 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4', 'mp4_time': '0:15', ` +
        `'mp4_background_image_url': 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg', 'mp4_txt_brief': ' It\\'s a "wave" café'}`,
    );
  });

  it('rejects bad options up front', async () => {
    await expect(download([] as unknown as AsyncIterable<CatalogEntry>, { out: '' })).rejects.toThrow(/out/);
    await expect(download('x.jsonl', { out: '/tmp/x', concurrency: 0 })).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
    await expect(download('x.jsonl', { out: '/tmp/x', rate: -1 })).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
  });

  it('parses --header lines', () => {
    expect(parseHeader('Referer: https://example.com/a:b')).toEqual(['Referer', 'https://example.com/a:b']);
    expect(() => parseHeader('no colon')).toThrow(/Name: value/);
    expect(() => parseHeader('X: a\r\nEvil: 1')).toThrow(/Name: value/);
    expect(() => parseHeader('Bad Name: x')).toThrow(/Name: value/);
  });
});
