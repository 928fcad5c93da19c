/** @module catalog.test — the catalog reader: values, bad lines, line breaks, chunk boundaries, resume. */
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParseError, ReelsetError } from '../../errors.js';
import type { Json } from '../dataset/source.js';
import type { Skip } from '../sample.js';
import {
  type CatalogEntry,
  type CatalogSource,
  catalogSource,
  parseCatalogLine,
  type ReadCatalogOptions,
  readCatalog,
} from './catalog.js';

const README_1 =
  '{"mp4_id": "80328682", "mp4_download_url": "https://p5-v1.xpccdn.com/080328682_main_xl.mp4", "mp4_time": "0:16", ' +
  '"mp4_background_image_url": "https://p5-i1.xpccdn.com/080328682_iconl.jpeg", ' +
  '"mp4_txt_brief": " Woman in swimsuit and cover up walking at the beach", "video_label": "Beach"}';
const README_2 =
  '{"mp4_id": "63660083", "mp4_download_url": "https://p5-v1.xpccdn.com/063660083_main_xl.mp4", "mp4_time": "0:29", ' +
  '"mp4_background_image_url": "https://p5-i1.xpccdn.com/063660083_iconl.jpeg", ' +
  '"mp4_txt_brief": " 4K Happy female friends chatting & drinking on city rooftop in the summer", "video_label": "City"}';

const ENTRY_1: CatalogEntry = {
  id: '80328682',
  label: 'Beach',
  labelId: 8,
  brief: ' Woman in swimsuit and cover up walking at the beach',
  time: '0:16',
  durationSec: 16,
  mp4Url: 'https://p5-v1.xpccdn.com/080328682_main_xl.mp4',
  coverUrl: 'https://p5-i1.xpccdn.com/080328682_iconl.jpeg',
  line: 1,
};
const ENTRY_2: CatalogEntry = {
  id: '63660083',
  label: 'City',
  labelId: 11,
  brief: ' 4K Happy female friends chatting & drinking on city rooftop in the summer',
  time: '0:29',
  durationSec: 29,
  mp4Url: 'https://p5-v1.xpccdn.com/063660083_main_xl.mp4',
  coverUrl: 'https://p5-i1.xpccdn.com/063660083_iconl.jpeg',
  line: 2,
};

/** A line in the original's format. */
function line(id: string, brief: string, label = 'Sea', time = '0:10'): string {
  const padded = id.padStart(9, '0');
  return JSON.stringify({
    mp4_id: id,
    mp4_download_url: `https://p5-v1.xpccdn.com/${padded}_main_xl.mp4`,
    mp4_time: time,
    mp4_background_image_url: `https://p5-i1.xpccdn.com/${padded}_iconl.jpeg`,
    mp4_txt_brief: brief,
    video_label: label,
  })
    .replaceAll('","', '", "')
    .replaceAll('":"', '": "');
}

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'reelset-catalog-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(content: string | Buffer): Promise<string> {
  const path = join(dir, `c${counter++}.json`);
  await writeFile(path, content);
  return path;
}

async function collect(
  source: CatalogSource,
  position?: Json,
): Promise<{ entries: CatalogEntry[]; positions: Json[] }> {
  const entries: CatalogEntry[] = [];
  const positions: Json[] = [];
  for await (const { value, position: p } of source.open(position, { epoch: 0 })) {
    entries.push(value);
    positions.push(p);
  }
  return { entries, positions };
}

/** File descriptors of this process open on `path` (Linux only). */
function openFds(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
const hasProc = (() => {
  try {
    readdirSync('/proc/self/fd');
    return true;
  } catch {
    return false;
  }
})();

describe('catalogSource: valid lines', () => {
  it('reads the README lines with exact values and byte positions', async () => {
    const text = `${README_1}\n${README_2}\n`;
    const source = catalogSource(await file(text));
    const { entries, positions } = await collect(source);
    expect(entries).toEqual([ENTRY_1, ENTRY_2]);
    const first = Buffer.byteLength(`${README_1}\n`);
    expect(positions).toEqual([
      { offset: first, line: 1 },
      { offset: Buffer.byteLength(text), line: 2 },
    ]);
    expect(source.skips).toEqual([]);
    expect(source.name).toBe('Catalog');
  });

  it('parses one line with parseCatalogLine', () => {
    expect(parseCatalogLine(README_1)).toEqual(ENTRY_1);
    expect(parseCatalogLine(README_2, 2)).toEqual(ENTRY_2);
    expect(() => parseCatalogLine('{}', 7, 'x.json')).toThrow(/x\.json:7: missing key mp4_id/);
  });

  it('gives the same entry whatever the spacing, key order, extra keys or escapes (full path = fast path)', () => {
    const fast = parseCatalogLine(README_1);
    const obj = JSON.parse(README_1) as Record<string, string>;
    const compact = JSON.stringify(obj);
    const reordered = JSON.stringify({
      extra: [1, { a: null }],
      ...Object.fromEntries(Object.entries(obj).reverse()),
    });
    const escaped = README_1.replace('Woman', '\\u0057oman');
    for (const text of [compact, reordered, escaped, ` ${README_1}\t`])
      expect(parseCatalogLine(text)).toEqual(fast);
  });

  it('fast and full paths agree on random lines (accept the same, give the same)', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pick = (alphabet: string, max: number): string => {
      let out = '';
      for (let i = random(max + 1); i > 0; i--) out += alphabet[random(alphabet.length)];
      return out;
    };
    const variants = { accepted: 0, refused: 0 };
    for (let i = 0; i < 4000; i++) {
      const host = pick('ab1-.xX0', 12);
      const url = `${random(2) ? 'https' : 'http'}://${host}${random(4) ? `/${pick('a/._~-%?', 8)}` : ''}`;
      const text = line(
        pick('0123456789a', 10),
        ` ${pick('ab "\\é\n\t', 6)}`,
        random(8) ? 'Sea' : 'sea',
        `${pick('0123:', 3)}:${pick('0569', 2)}`,
      ).replace(/https:\/\/p5-v1\.xpccdn\.com\/\d*_main_xl\.mp4/, url);
      const viaFull = JSON.stringify(JSON.parse(text)); // compact separators: never the fast pattern
      let fast: CatalogEntry | string;
      let full: CatalogEntry | string;
      try {
        fast = parseCatalogLine(text);
      } catch (err) {
        fast = (err as Error).message;
      }
      try {
        full = parseCatalogLine(viaFull);
      } catch (err) {
        full = (err as Error).message;
      }
      expect(fast, text).toEqual(full);
      variants[typeof fast === 'string' ? 'refused' : 'accepted']++;
    }
    expect(variants.accepted).toBeGreaterThan(100);
    expect(variants.refused).toBeGreaterThan(100);
  });

  it('decodes escapes and non-ASCII text in briefs', () => {
    const brief = ' "Quoted" café 北京 \\ tab\t😀';
    expect(parseCatalogLine(line('12', brief)).brief).toBe(brief);
    const escaped = line('12', ' x').replace('" x"', '" caf\\u00e9 \\ud83d\\ude00"');
    expect(parseCatalogLine(escaped).brief).toBe(' café 😀');
  });

  it('accepts URLs outside the fast pattern through the shared check, and normalizes zero-padded ids', () => {
    const text = line('099945958', 'b')
      .replace('https://p5-v1.xpccdn.com/', 'http://Example.COM:8080/a?x=1#f/')
      .replace('https://p5-i1.xpccdn.com/', 'https://1.2.3.4/');
    const entry = parseCatalogLine(text);
    expect(entry.id).toBe('99945958');
    expect(entry.mp4Url).toBe('http://Example.COM:8080/a?x=1#f/099945958_main_xl.mp4');
    expect(entry.coverUrl).toBe('https://1.2.3.4/099945958_iconl.jpeg');
  });

  it('reads every label and h:mm:ss durations', () => {
    expect(parseCatalogLine(line('1', 'b', 'Green Screen', '1:02:03'))).toMatchObject({
      label: 'Green Screen',
      labelId: 16,
      durationSec: 3723,
      time: '1:02:03',
    });
    expect(parseCatalogLine(line('1', 'b', 'stars', '12:34')).labelId).toBe(30);
  });
});

describe('catalogSource: bad lines', () => {
  const good = (id: string) => line(id, ` brief ${id}`);
  const cases: Array<[string, string, RegExp]> = [
    ['invalid JSON', '{"mp4_id": "1",', /invalid JSON/],
    ['an array', '[1, 2]', /not a JSON object: array/],
    ['a number', '42', /not a JSON object: number/],
    ['null', 'null', /not a JSON object: null/],
    ['a missing key', good('5').replace(', "video_label": "Sea"', ''), /missing key video_label/],
    ['a number id', good('5').replace('"mp4_id": "5"', '"mp4_id": 5'), /mp4_id must be a string, got number/],
    ['a null brief', good('5').replace('" brief 5"', 'null'), /mp4_txt_brief must be a string, got null/],
    ['a bad id', good('5').replace('"mp4_id": "5"', '"mp4_id": "5a"'), /mp4_id must be 1-12 digits/],
    [
      'a file: URL',
      good('5').replace('https://p5-v1.xpccdn.com/', 'file:///etc/'),
      /Expected an http\(s\) URL/,
    ],
    [
      'a javascript: URL',
      good('5').replace('https://p5-i1.xpccdn.com/', 'javascript:alert(1)//'),
      /http\(s\) URL/,
    ],
    ['a bad duration', good('5').replace('"0:10"', '"10s"'), /Expected a duration m:ss/],
    ['an unknown label', good('5').replace('"Sea"', '"Cats"'), /unknown label "Cats"/],
    ['a lower-case label', good('5').replace('"Sea"', '"sea"'), /unknown label "sea"/],
    ['a blank line', '', /blank line/],
    ['a whitespace line', ' \t ', /blank line/],
  ];

  it.each(cases)('records %s as a skip with its line number and code', async (_kind, bad, reason) => {
    const path = await file(`${good('1')}\n${bad}\n${good('3')}\n`);
    const seen: Skip[] = [];
    const source = catalogSource(path, { onSkip: (skip) => seen.push(skip) });
    const { entries } = await collect(source);
    expect(entries.map((e) => [e.id, e.line])).toEqual([
      ['1', 1],
      ['3', 3],
    ]);
    expect(source.skips).toHaveLength(1);
    const skip = source.skips[0] as Skip;
    expect(skip).toMatchObject({ where: `${path}:2`, line: 2, code: 'REELSET_E_CATALOG_LINE' });
    expect(skip.reason).toMatch(reason);
    expect(seen).toEqual(source.skips);
  });

  it.each(cases)(
    'throws a ParseError for %s with onError: throw, and closes the file',
    async (_kind, bad, reason) => {
      const path = await file(`${good('1')}\n${bad}\n${good('3')}\n`);
      const got: string[] = [];
      const error = await (async () => {
        try {
          for await (const { value } of catalogSource(path, { onError: 'throw' }).open(undefined, {
            epoch: 0,
          })) {
            got.push(value.id);
          }
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(got).toEqual(['1']);
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).code).toBe('REELSET_E_CATALOG_LINE');
      expect((error as ParseError).message).toContain(`${path}:2: `);
      expect((error as ParseError).message).toMatch(reason);
      if (hasProc) expect(openFds(path)).toBe(0);
    },
  );

  it('keeps the id in the skip when it was readable', async () => {
    const source = catalogSource(await file(`${line('7', 'b', 'Cats')}\n`));
    await collect(source);
    expect(source.skips[0]).toMatchObject({ id: '7', line: 1, reason: 'unknown label "Cats"' });
  });

  it('records invalid UTF-8 and keeps reading', async () => {
    const bad = Buffer.from(line('2', ' caf\u00e9'), 'utf8');
    const at = bad.indexOf(0xc3);
    bad[at] = 0xff;
    const path = await file(
      Buffer.concat([Buffer.from(`${line('1', 'a')}\n`), bad, Buffer.from(`\n${line('3', 'c')}`)]),
    );
    const source = catalogSource(path);
    const { entries } = await collect(source);
    expect(entries.map((e) => e.id)).toEqual(['1', '3']);
    expect(source.skips).toEqual([
      { where: `${path}:2`, line: 2, reason: 'invalid UTF-8', code: 'REELSET_E_CATALOG_LINE' },
    ]);
  });

  it('gives each pass its own skips', async () => {
    const source = catalogSource(await file(`x\n${line('1', 'a')}\n`));
    await collect(source);
    const first = source.skips;
    await collect(source, { offset: 2, line: 1 });
    expect(first).toHaveLength(1);
    expect(source.skips).toEqual([]);
  });
});

describe('catalogSource: line breaks, BOM, chunks', () => {
  const lines = [
    line('1', ' plain'),
    line('22', ' café crème brûlée'),
    line('333', ' 北京城市夜景 延时摄影'),
    line('4444', ' emoji 😀🎬 and "quotes"'),
    line('55555', ` ${'long brief '.repeat(40)}`),
    line('666666', ' end'),
  ];
  const expected = (entries: CatalogEntry[]) => entries.map((e) => [e.id, e.brief, e.line]);
  let reference: Array<[string, string, number]>;

  beforeAll(async () => {
    const { entries } = await collect(catalogSource(await file(`${lines.join('\n')}\n`)));
    reference = expected(entries) as Array<[string, string, number]>;
    expect(reference).toHaveLength(6);
  });

  it('handles CRLF, a BOM, no final newline and trailing blank lines alike', async () => {
    const variants = [
      `${lines.join('\r\n')}\r\n`,
      `\ufeff${lines.join('\n')}\n`,
      `\ufeff${lines.join('\r\n')}`,
      lines.join('\n'),
      `${lines.join('\n')}\n\n\n`,
      `${lines.join('\r\n')}\r\n\r\n  \r\n`,
    ];
    for (const text of variants) {
      const source = catalogSource(await file(text));
      const { entries, positions } = await collect(source);
      expect(expected(entries)).toEqual(reference);
      expect(source.skips).toEqual([]);
      const last = lines[5] as string;
      const end = text.indexOf(last) + last.length;
      const lineBreak = text.startsWith('\r\n', end) ? 2 : text.startsWith('\n', end) ? 1 : 0;
      expect(positions.at(-1)).toEqual({
        offset: Buffer.byteLength(text.slice(0, end)) + lineBreak,
        line: 6,
      });
    }
  });

  it('decodes multi-byte characters split across chunks, for every chunk size', async () => {
    const path = await file(`\ufeff${lines.join('\r\n')}\r\n`);
    for (const chunkSize of [1, 2, 3, 4, 5, 7, 13, 64, 100, 333, 1000]) {
      const source = catalogSource(path, {}, { chunkSize });
      const { entries } = await collect(source);
      expect(expected(entries), `chunkSize ${chunkSize}`).toEqual(reference);
      expect(source.skips).toEqual([]);
    }
  });

  it('resumes from every position with exactly the rest, for several chunk sizes', async () => {
    const text = `${lines[0]}\n\n${lines.slice(1, 3).join('\r\n')}\nnot json\n${lines.slice(3).join('\n')}`;
    const path = await file(text);
    for (const chunkSize of [3, 50, 1 << 20]) {
      const source = catalogSource(path, {}, { chunkSize });
      const full = await collect(source);
      expect(full.entries.map((e) => e.line)).toEqual([1, 3, 4, 6, 7, 8]);
      expect(source.skips.map((s) => [s.line, s.reason])).toEqual([
        [2, 'blank line'],
        [5, expect.stringMatching(/invalid JSON/)],
      ]);
      for (let i = 0; i < full.positions.length; i++) {
        const rest = await collect(source, full.positions[i]);
        expect(rest.entries).toEqual(full.entries.slice(i + 1));
        expect(rest.positions).toEqual(full.positions.slice(i + 1));
      }
    }
  });

  it('grows its buffer for a line longer than a chunk', async () => {
    const long = line('9', ` ${'x'.repeat(5000)}`);
    const { entries } = await collect(catalogSource(await file(`${long}\n${long}`), {}, { chunkSize: 16 }));
    expect(entries.map((e) => e.brief.length)).toEqual([5001, 5001]);
  });
});

describe('catalogSource: files and positions', () => {
  it('rejects a missing file with REELSET_E_NOT_FOUND', async () => {
    const source = catalogSource(join(dir, 'missing.json'));
    await expect(collect(source)).rejects.toMatchObject({ code: 'REELSET_E_NOT_FOUND' });
    await expect(collect(source)).rejects.toBeInstanceOf(ReelsetError);
  });

  it('names a folder given as the catalog (REELSET_E_NOT_A_FILE), with the catalog inside it', async () => {
    const folder = join(dir, 'a-data-set');
    await mkdir(folder, { recursive: true });
    const bare = await readCatalog(folder)
      .take(1)
      .toArray()
      .catch((e: unknown) => e);
    expect(bare).toMatchObject({ code: 'REELSET_E_NOT_A_FILE' });
    expect((bare as Error).message).toBe(`The catalog ${folder} is a folder, not a file`);
    await writeFile(join(folder, 'multimodal_data_info.json'), `${README_1}\n`);
    const hinted = await collect(catalogSource(folder)).catch((e: unknown) => e);
    expect((hinted as Error).message).toBe(
      `The catalog ${folder} is a folder, not a file (did you mean ${join(folder, 'multimodal_data_info.json')}?)`,
    );
  });

  it('rejects a position that is not a catalog position with REELSET_E_STATE', async () => {
    const source = catalogSource(await file(`${README_1}\n`));
    for (const bad of [
      3,
      'x',
      [1],
      { offset: -1, line: 0 },
      { offset: 1.5, line: 0 },
      { line: 1 },
    ] as Json[]) {
      expect(() => source.open(bad, { epoch: 0 })).toThrow(
        expect.objectContaining({ code: 'REELSET_E_STATE' }),
      );
    }
    expect((await collect(source, null)).entries).toHaveLength(1);
  });

  it('rejects a bad chunk size', () => {
    expect(() => catalogSource('x', {}, { chunkSize: 0 })).toThrow(
      expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
    );
  });

  it.skipIf(!hasProc)('closes the file when the loop breaks early, and when it ends', async () => {
    const path = await file(`${README_1}\n${README_2}\n${README_1}\n`);
    const source = catalogSource(path, {}, { chunkSize: 64 });
    for await (const { value } of source.open(undefined, { epoch: 0 })) {
      expect(openFds(path)).toBe(1);
      if (value.line === 2) break;
    }
    expect(openFds(path)).toBe(0);
    await collect(source);
    expect(openFds(path)).toBe(0);
    const it = source.open(undefined, { epoch: 0 })[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    expect(openFds(path)).toBe(0);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});

describe('readCatalog', () => {
  it('is a restartable Dataset of entries, reporting skips', async () => {
    const path = await file(`${README_1}\nbroken\n${README_2}\n`);
    const skips: Skip[] = [];
    const options: ReadCatalogOptions = { onSkip: (skip) => skips.push(skip) };
    const dataset = readCatalog(path, options);
    const ids: string[] = [];
    for await (const entry of dataset) ids.push(entry.id);
    for await (const entry of dataset) ids.push(entry.id);
    expect(ids).toEqual(['80328682', '63660083', '80328682', '63660083']);
    expect(skips.map((s) => s.line)).toEqual([2, 2]);
  });

  it('resumes from an iteration state', async () => {
    const path = await file(`${README_1}\n${README_2}\n`);
    const dataset = readCatalog(path);
    const it = dataset[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual(ENTRY_1);
    const state = it.state();
    await it.return?.();
    const rest: CatalogEntry[] = [];
    for await (const entry of dataset.resume(state)) rest.push(entry);
    expect(rest).toEqual([ENTRY_2]);
  });
});
