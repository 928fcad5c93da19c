/**
 * @module synth.test — synthesize a small data set (3 labels x 3 items, 1 s clips, bad items) and check the
 * layout, txt, catalog, media properties, label dependence, determinism and the broken items.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReelsetError } from '../errors.js';
import { runFfmpeg, runFfprobe } from '../loaders/decode/ffmpeg.js';
import { parseId } from '../loaders/layout/fields.js';
import { parsePythonDict } from '../loaders/layout/py-literal.js';
import {
  BAD_KINDS,
  CATALOG_NAME,
  type SynthItem,
  type SynthOptions,
  type SynthReport,
  synthesize,
} from './index.js';
import { paletteGroup } from './palette.js';
import { frameCount, writeVideo } from './video.js';

const LABELS = ['Beach', 'Business', 'Sea']; // Beach and Business share a palette; Sea has another
const OPTIONS = { labels: LABELS, perLabel: 3, seconds: 1, seed: 11, bad: true, concurrency: 2 };
const TXT_KEYS = ['mp4_id', 'mp4_download_url', 'mp4_time', 'mp4_background_image_url', 'mp4_txt_brief'];

let tmp: string;
let report: SynthReport;
let again: SynthReport;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-synth-'));
  [report, again] = await Promise.all([
    synthesize(join(tmp, 'a'), OPTIONS),
    synthesize(join(tmp, 'b'), OPTIONS),
  ]);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const good = (): SynthItem[] => report.items.filter((item) => !item.bad);
/** Good items whose media were made for their own label (not a clip shared from another label). */
const own = (label: string): SynthItem[] =>
  good().filter((item) => item.label === label && item.mediaLabelId === item.labelId);

async function coverMean(path: string): Promise<number[]> {
  const stats = await sharp(path).stats();
  return stats.channels.slice(0, 3).map((channel) => channel.mean);
}

function distance(a: number[], b: number[]): number {
  return Math.hypot(...a.map((value, i) => value - (b[i] ?? 0)));
}

function average(rows: number[][]): number[] {
  return (rows[0] ?? []).map((_, i) => rows.reduce((sum, row) => sum + (row[i] ?? 0), 0) / rows.length);
}

/** Mean absolute difference between consecutive frames (0-255), decoded at 64x36. */
async function motion(path: string): Promise<number> {
  const { stdout } = await runFfmpeg([
    '-v',
    'error',
    '-i',
    path,
    '-vf',
    'scale=64:36',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]);
  const size = 64 * 36 * 3;
  const frames = stdout.length / size;
  let total = 0;
  for (let f = 1; f < frames; f++) {
    for (let i = 0; i < size; i++)
      total += Math.abs((stdout[f * size + i] ?? 0) - (stdout[(f - 1) * size + i] ?? 0));
  }
  return total / (size * (frames - 1));
}

describe('synthesize: layout and metadata', () => {
  it('reports the items: per label, bad ones, one shared clip', () => {
    expect(report.labels).toEqual(LABELS);
    expect(report.items).toHaveLength(3 * 3 + BAD_KINDS.length);
    expect(report.badCount).toBe(BAD_KINDS.length);
    expect(report.items.filter((item) => item.bad).map((item) => item.bad)).toEqual([...BAD_KINDS]);
    for (const label of LABELS) expect(good().filter((item) => item.label === label)).toHaveLength(3);
    const shared = good().filter((item) => item.sharedWith);
    expect(shared).toHaveLength(2);
    expect(shared[0]?.id).toBe(shared[1]?.id);
    expect(shared[0]?.label).not.toBe(shared[1]?.label);
    expect(new Set(report.items.map((item) => item.id)).size).toBe(report.items.length - 1);
    for (const item of report.items) expect(item.id).toMatch(/^[1-9][0-9]{6,7}$/);
    expect(report.elapsedMs).toBeGreaterThan(0);
  });

  it('writes <root>/<label>/<id>/ with the renamed or just-downloaded file names', async () => {
    expect((await readdir(report.root)).sort()).toEqual([...LABELS, CATALOG_NAME].sort());
    for (const label of LABELS) {
      const ids = report.items.filter((item) => item.label === label).map((item) => item.id);
      expect((await readdir(join(report.root, label))).sort()).toEqual(ids.sort());
    }
    for (const item of good()) {
      expect(item.folder).toBe(join(report.root, item.label, item.id));
      const id9 = item.id.padStart(9, '0');
      const names =
        item.naming === 'renamed'
          ? [`${item.id}.jpeg`, `${item.id}.mp4`, `${item.id}.txt`]
          : [`${id9}_iconl.jpeg`, `${id9}_main_xl.mp4`, `${item.id}.txt`];
      expect((await readdir(item.folder)).sort()).toEqual(names.sort());
      expect([item.files.jpeg, item.files.mp4, item.files.txt].map((p) => basename(p ?? '')).sort()).toEqual(
        names.sort(),
      );
    }
  });

  it('writes each txt as a Python dict literal with the original keys and no trailing newline', async () => {
    for (const item of good()) {
      const text = await readFile(item.files.txt as string, 'utf8');
      expect(text.startsWith('{')).toBe(true);
      expect(text.endsWith('}')).toBe(true);
      const dict = parsePythonDict(text);
      expect(Object.keys(dict)).toEqual(TXT_KEYS);
      const id9 = item.id.padStart(9, '0');
      expect(dict).toEqual({
        mp4_id: item.id,
        mp4_download_url: `https://reelset-synth.invalid/${id9}_main_xl.mp4`,
        mp4_time: '0:01',
        mp4_background_image_url: `https://reelset-synth.invalid/${id9}_iconl.jpeg`,
        mp4_txt_brief: item.brief,
      });
      expect(item.brief.startsWith(' ')).toBe(true);
    }
  });

  it('writes the catalog as JSON Lines, one line per item, keys in order', async () => {
    const lines = (await readFile(report.catalogPath, 'utf8')).trimEnd().split('\n');
    expect(report.catalogPath).toBe(join(report.root, CATALOG_NAME));
    expect(lines).toHaveLength(report.items.length);
    lines.forEach((line, i) => {
      const entry = JSON.parse(line) as Record<string, string>;
      const item = report.items[i] as SynthItem;
      expect(Object.keys(entry)).toEqual([...TXT_KEYS, 'video_label']);
      expect(entry.mp4_id).toBe(item.id);
      expect(parseId(entry.mp4_id)).toBe(item.id);
      expect(entry.video_label).toBe(item.label);
      expect(entry.mp4_txt_brief).toBe(item.brief);
      // Placeholder URLs in the original's form, on a host that never resolves: the ids are made up.
      expect(entry.mp4_download_url).toBe(
        `https://reelset-synth.invalid/${item.id.padStart(9, '0')}_main_xl.mp4`,
      );
      expect([entry.mp4_download_url, entry.mp4_background_image_url]).toEqual([item.mp4Url, item.coverUrl]);
    });
  });
});

describe('synthesize: media', () => {
  it('writes covers as progressive 480x270 JPEGs', async () => {
    for (const item of good()) {
      const meta = await sharp(item.files.jpeg as string).metadata();
      expect(meta).toMatchObject({
        format: 'jpeg',
        width: 480,
        height: 270,
        isProgressive: true,
        channels: 3,
      });
      expect(meta.size ?? (await stat(item.files.jpeg as string)).size).toBeGreaterThan(20_000);
    }
  });

  it('writes clips as H.264 640x360 at 24000/1001 fps, yuv420p, no audio, the expected frame count', async () => {
    const probes = await Promise.all(
      good().map(async (item) => {
        const { stdout } = await runFfprobe([
          '-v',
          'error',
          '-of',
          'json',
          '-count_frames',
          '-show_streams',
          '-show_format',
          item.files.mp4 as string,
        ]);
        return JSON.parse(stdout.toString()) as {
          streams: Array<Record<string, string | number>>;
          format: { duration: string };
        };
      }),
    );
    for (const probe of probes) {
      expect(probe.streams).toHaveLength(1);
      expect(probe.streams[0]).toMatchObject({
        codec_type: 'video',
        codec_name: 'h264',
        width: 640,
        height: 360,
        pix_fmt: 'yuv420p',
        r_frame_rate: '24000/1001',
        nb_read_frames: String(frameCount(1)),
      });
      expect(Number(probe.format.duration)).toBeCloseTo(1.001, 2);
    }
  });

  it('makes long GOPs like x264 defaults: an 11 s clip has exactly 2 keyframes', async () => {
    const path = join(tmp, 'long.mp4');
    await writeVideo(8, 1, 11, path);
    const { stdout } = await runFfprobe([
      '-v',
      'error',
      '-select_streams',
      'v',
      '-show_entries',
      'frame=key_frame',
      '-of',
      'csv=p=0',
      path,
    ]);
    const flags = stdout
      .toString()
      .split('\n')
      .filter((line) => /^[01]/.test(line));
    expect(flags).toHaveLength(frameCount(11));
    expect(flags.filter((flag) => flag.startsWith('1'))).toHaveLength(2);
  });

  it('covers separate palette groups but not partners', async () => {
    expect(paletteGroup(8)).toBe(paletteGroup(9));
    const beach = average(
      await Promise.all(own('Beach').map((item) => coverMean(item.files.jpeg as string))),
    );
    const business = average(
      await Promise.all(own('Business').map((item) => coverMean(item.files.jpeg as string))),
    );
    const sea = average(await Promise.all(own('Sea').map((item) => coverMean(item.files.jpeg as string))));
    expect(distance(beach, business)).toBeLessThan(20); // about 6 measured
    expect(distance(beach, sea)).toBeGreaterThan(60); // about 140 measured
    expect(distance(business, sea)).toBeGreaterThan(60);
  });

  it('clips separate partners by their motion', async () => {
    const mean = async (label: string): Promise<number> => {
      const values = await Promise.all(own(label).map((item) => motion(item.files.mp4 as string)));
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    };
    const beach = await mean('Beach'); // rings, about 4 measured
    const business = await mean('Business'); // faster stripes, about 8.5 measured
    expect(beach).toBeGreaterThan(1);
    expect(business / beach).toBeGreaterThan(1.5);
  });
});

describe('synthesize: videoSignal', () => {
  it('below 1, some clips show only their pair: the same band for both partners; nothing else changes', async () => {
    const pair = { labels: ['Beach', 'Business'], perLabel: 6, seconds: 0.3, seed: 5, concurrency: 2 };
    const weak = await synthesize(join(tmp, 'weak'), { ...pair, videoSignal: 0.5 });
    const full = await synthesize(join(tmp, 'full'), pair);
    expect(full.items.every((item) => item.clipShowsLabel)).toBe(true);
    expect(report.items.every((item) => item.clipShowsLabel)).toBe(true); // the default is 1
    const shows = weak.items.filter((item) => item.clipShowsLabel).length;
    expect(shows).toBeGreaterThan(0);
    expect(shows).toBeLessThan(weak.items.length);
    // Ids, briefs and covers do not depend on videoSignal.
    expect(weak.items.map((item) => [item.id, item.brief])).toEqual(
      full.items.map((item) => [item.id, item.brief]),
    );
    const first = weak.items[0] as SynthItem;
    expect(await readFile(first.files.jpeg as string)).toEqual(
      await readFile(full.items[0]?.files.jpeg as string),
    );
    // A clip without its label's pattern is exactly its partner's band clip from the same seed.
    const band = weak.items.find((item) => !item.clipShowsLabel && item.label === 'Beach') as SynthItem;
    const partner = join(tmp, 'partner.mp4');
    await writeVideo(9, band.mediaSeed, 0.3, partner, false); // 9: Business, Beach's partner
    expect(await readFile(partner)).toEqual(await readFile(band.files.mp4 as string));
    await writeVideo(9, band.mediaSeed, 0.3, partner); // Business's own pattern differs
    expect(await readFile(partner)).not.toEqual(await readFile(band.files.mp4 as string));
  });
});

describe('synthesize: determinism', () => {
  it('gives the same ids, briefs and bytes (txt, jpeg, mp4, catalog) for the same seed', async () => {
    expect(again.items.map((item) => [item.id, item.label, item.brief, item.bad])).toEqual(
      report.items.map((item) => [item.id, item.label, item.brief, item.bad]),
    );
    expect(await readFile(again.catalogPath)).toEqual(await readFile(report.catalogPath));
    for (const [i, item] of report.items.entries()) {
      const twin = again.items[i] as SynthItem;
      for (const kind of ['txt', 'jpeg', 'mp4'] as const) {
        const path = item.files[kind];
        expect(twin.files[kind] === undefined).toBe(path === undefined);
        if (path)
          expect((await readFile(twin.files[kind] as string)).equals(await readFile(path))).toBe(true);
      }
    }
  });

  it('gives other ids and bytes for another seed', async () => {
    const other = await synthesize(join(tmp, 'c'), {
      ...OPTIONS,
      perLabel: 1,
      labels: ['Beach'],
      bad: false,
      seed: 12,
    });
    const first = report.items.find((item) => item.label === 'Beach') as SynthItem;
    const item = other.items[0] as SynthItem;
    expect(item.id).not.toBe(first.id);
    expect(
      (await readFile(item.files.jpeg as string)).equals(await readFile(first.files.jpeg as string)),
    ).toBe(false);
  });
});

describe('synthesize: bad items', () => {
  const bad = (kind: string): SynthItem => report.items.find((item) => item.bad === kind) as SynthItem;

  it('writes a truncated cover that sharp cannot decode', async () => {
    const item = bad('truncated-jpeg');
    await expect(
      sharp(item.files.jpeg as string)
        .raw()
        .toBuffer(),
    ).rejects.toThrow();
  });

  it('writes an empty mp4 and leaves files out for the missing kinds', async () => {
    expect((await stat(bad('empty-mp4').files.mp4 as string)).size).toBe(0);
    for (const [kind, file] of [
      ['missing-mp4', 'mp4'],
      ['missing-jpeg', 'jpeg'],
      ['missing-txt', 'txt'],
    ] as const) {
      const item = bad(kind);
      expect(item.files[file]).toBeUndefined();
      const names = await readdir(item.folder);
      expect(names.some((name) => name.endsWith(`.${file}`))).toBe(false);
      expect(names).toHaveLength(2);
    }
  });

  it('writes malformed txt files and an id that disagrees with its folder', async () => {
    for (const kind of ['txt-not-dict', 'txt-unterminated']) {
      const text = await readFile(bad(kind).files.txt as string, 'utf8');
      expect(() => parsePythonDict(text)).toThrow(expect.objectContaining({ code: 'REELSET_E_PY_LITERAL' }));
    }
    const item = bad('id-mismatch');
    const dict = parsePythonDict(await readFile(item.files.txt as string, 'utf8'));
    expect(dict.mp4_id).toBe(item.txtId);
    expect(dict.mp4_id).not.toBe(basename(item.folder));
  });
});

describe('synthesize: options', () => {
  it.each([
    [{ perLabel: 0 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ perLabel: 1.5 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ seconds: 0 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ seconds: Number.NaN }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ textSignal: 1.5 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ videoSignal: -0.1 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ concurrency: 0 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ seed: 0.5 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ labels: [] }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ labels: ['Beach', 'Beach'] }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ labels: ['beach'] }, 'REELSET_E_UNKNOWN_LABEL'],
    [{ perLabel: '8' }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ bad: 'yes' }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ labels: 'Beach' }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ force: 1 }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ baseUrl: 'ftp://example.com/' }, 'REELSET_E_INVALID_ARGUMENT'],
    [{ baseUrl: 'http://127.0.0.1:8000/?q=1' }, 'REELSET_E_INVALID_ARGUMENT'],
  ] as const)('rejects %j with %s, creating nothing', async (options, code) => {
    const err = await synthesize(join(tmp, 'never'), options as SynthOptions).catch((e: unknown) => e);
    expect(isReelsetError(err, code)).toBe(true);
    await expect(stat(join(tmp, 'never'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('names numbers given as strings by their type', async () => {
    const err = await synthesize(join(tmp, 'never'), { perLabel: '8' as unknown as number }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('perLabel must be a whole number ≥ 1, got the string "8"');
    const label = await synthesize(join(tmp, 'never'), { labels: ['beach'] }).catch((e: unknown) => e);
    expect((label as Error).message).toBe('Unknown label "beach" (did you mean "Beach"?)');
  });

  it('refuses a folder that is not empty unless force, and a file', async () => {
    const dir = join(tmp, 'occupied');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const small = { labels: ['Sea'], perLabel: 1, seconds: 0.2, seed: 2 } as const;
    const err = await synthesize(dir, small).catch((e: unknown) => e);
    expect(isReelsetError(err, 'REELSET_E_INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/occupied is not empty \("notes\.txt"\).*force/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
    const forced = await synthesize(dir, { ...small, force: true });
    expect((await readdir(dir)).sort()).toEqual(['Sea', CATALOG_NAME, 'notes.txt']);
    expect(forced.items).toHaveLength(1);
    // An empty folder is fine without force.
    const empty = join(tmp, 'empty');
    await mkdir(empty);
    expect((await synthesize(empty, small)).items).toHaveLength(1);
    const file = join(dir, 'notes.txt');
    await expect(synthesize(file, { ...small, force: true })).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
      message: expect.stringMatching(/is a file, not a folder/),
    });
  });

  it('with baseUrl, writes the URLs of its own files (txt and catalog agree; a shared clip has one URL)', async () => {
    const base = 'http://127.0.0.1:8000/sets/one';
    const r = await synthesize(join(tmp, 'based'), {
      labels: ['Beach', 'Green Screen'],
      perLabel: 2,
      seconds: 0.2,
      seed: 3,
      baseUrl: base,
    });
    for (const item of r.items) {
      const dict = parsePythonDict(await readFile(item.files.txt as string, 'utf8'));
      expect([dict.mp4_download_url, dict.mp4_background_image_url]).toEqual([item.mp4Url, item.coverUrl]);
      for (const [url, own] of [
        [item.mp4Url, item.files.mp4],
        [item.coverUrl, item.files.jpeg],
      ] as const) {
        expect(url.startsWith(`${base}/`)).toBe(true);
        // The URL names a file of the set with this item's bytes (a shared clip: its source's copy).
        const file = join(r.root, decodeURIComponent(new URL(url).pathname.slice('/sets/one/'.length)));
        expect((await readFile(file)).equals(await readFile(own as string))).toBe(true);
      }
    }
    const lines = (await readFile(r.catalogPath, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as Record<string, string>).mp4_download_url)).toEqual(
      r.items.map((item) => item.mp4Url),
    );
  });
});
