/**
 * @module download.test — the downloader against the fault-injecting test server on 127.0.0.1: 500 files
 * under 20% faults, kill -9 and resume, redirects, Retry-After, Range handling, size limits, safe paths,
 * host allow-list, filters, manifests, and the `.txt` the synthesizer writes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../src/loaders/catalog/catalog.js';
import { type DownloadOptions, download } from '../src/loaders/download/download.js';
import { LABELS } from '../src/loaders/layout/labels.js';
import { synthesize } from '../src/synth/index.js';
import { type Fault, startServer, type TestServer } from './server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FAST: Partial<DownloadOptions> = { retryBaseMs: 1, retryMaxMs: 20, retries: 6, concurrency: 16 };

let tmp: string;
let media: string;
let server: TestServer;
let serial = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'reelset-download-'));
  media = join(tmp, 'media');
  await mkdir(media, { recursive: true });
  server = await startServer({ root: media });
});

afterAll(async () => {
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A fresh output folder. */
async function outDir(): Promise<string> {
  const dir = join(tmp, `out-${++serial}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Writes `n` items of random bytes under `/media/<tag>/`; returns catalog entries pointing at them. */
async function makeItems(
  tag: string,
  n: number,
  sizes: [number, number] = [1024, 8192],
): Promise<CatalogEntry[]> {
  await mkdir(join(media, tag), { recursive: true });
  const entries: CatalogEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(10_000_000 + serial * 100_000 + i);
    const label = (LABELS[i % LABELS.length] as { name: string }).name;
    for (const ext of ['jpeg', 'mp4']) {
      const size = sizes[0] + ((i * 7919 + ext.length * 104729) % (sizes[1] - sizes[0] + 1));
      await writeFile(join(media, tag, `${id}.${ext}`), randomBytes(size));
    }
    entries.push(entry(id, label, `/${tag}/${id}.mp4`, `/${tag}/${id}.jpeg`, i + 1));
  }
  serial++;
  return entries;
}

function entry(id: string, label: string, mp4: string, cover: string, line = 1): CatalogEntry {
  const labelId = LABELS.findIndex((l) => l.name === label);
  return {
    id,
    label,
    labelId,
    brief: ` clip ${id} "quoted" it's`,
    time: '0:12',
    durationSec: 12,
    mp4Url: mp4.startsWith('/') ? server.url(mp4) : mp4,
    coverUrl: cover.startsWith('/') ? server.url(cover) : cover,
    line,
  };
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** Catalog JSON Lines of entries, as the original wrote them. */
function catalogText(entries: readonly CatalogEntry[]): string {
  return `${entries
    .map((e) =>
      JSON.stringify({
        mp4_id: e.id,
        mp4_download_url: e.mp4Url,
        mp4_time: e.time,
        mp4_background_image_url: e.coverUrl,
        mp4_txt_brief: e.brief,
        video_label: e.label,
      }),
    )
    .join('\n')}\n`;
}

async function sourceOf(url: string): Promise<Buffer> {
  return readFile(join(media, new URL(url).pathname));
}

/** Every file under a folder, relative paths. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) out.push(path.relative(dir, join(d.parentPath, d.name)));
  }
  return out.sort();
}

/** Checks every final media file equals its source. */
async function expectIdentical(out: string, entries: readonly CatalogEntry[]): Promise<number> {
  let n = 0;
  for (const e of entries) {
    for (const [kind, url] of [
      ['mp4', e.mp4Url],
      ['jpeg', e.coverUrl],
    ] as const) {
      const file = join(out, e.label, e.id, `${e.id}.${kind}`);
      const got = await readFile(file).catch(() => undefined);
      if (got === undefined) continue;
      expect(got.equals(await sourceOf(url)), file).toBe(true);
      n++;
    }
  }
  return n;
}

describe('download under faults', () => {
  it('500 files with 20% faults all arrive byte-identical, with their txt', async () => {
    const entries = await makeItems('bulk', 248);
    // plus real synthesized media: 2 items x (jpeg + mp4)
    const synth = await synthesize(join(tmp, 'synth-bulk'), {
      labels: ['Beach', 'Sea'],
      perLabel: 1,
      seconds: 0.5,
      seed: 3,
    });
    await mkdir(join(media, 'real'), { recursive: true });
    for (const item of synth.items) {
      const files = item.files as { jpeg: string; mp4: string };
      await writeFile(join(media, 'real', `${item.id}.jpeg`), await readFile(files.jpeg));
      await writeFile(join(media, 'real', `${item.id}.mp4`), await readFile(files.mp4));
      entries.push(
        entry(item.id, item.label, `/real/${item.id}.mp4`, `/real/${item.id}.jpeg`, entries.length + 1),
      );
    }
    const catalog = join(tmp, 'bulk.jsonl');
    await writeFile(catalog, catalogText(entries));
    const before = server.log.length;
    server.options = { root: media, random: { rate: 0.2, seed: 42, maxPerPath: 2 }, retryAfter: 0 };
    const out = await outDir();
    const reportFile = join(tmp, 'bulk-failures.jsonl');
    const report = await download(catalog, { ...FAST, out, retries: 8, report: reportFile });
    server.options = { root: media };
    const requests = server.log.slice(before);
    const faulted = new Set(requests.filter((r) => r.fault).map((r) => r.path));
    expect(faulted.size).toBeGreaterThan(500 * 0.12);
    expect(report.failures).toEqual([]);
    expect([report.files, report.downloaded, report.written, report.failed]).toEqual([750, 500, 250, 0]);
    const retryable = new Set(
      requests
        .filter((r) => r.fault && r.fault !== 'trickle' && r.fault !== 'ignore-range')
        .map((r) => r.path),
    );
    expect(retryable.size).toBeGreaterThan(0);
    expect(report.retries).toBeGreaterThanOrEqual(retryable.size);
    expect(await expectIdentical(out, entries)).toBe(500);
    const files = await walk(out);
    expect(files.filter((f) => f.endsWith('.part') || f.endsWith('.part.json'))).toEqual([]);
    expect(files).toHaveLength(750);
    expect(await readFile(reportFile, 'utf8')).toBe('');
    // a second run makes no request at all
    const mark = server.log.length;
    const again = await download(catalog, { ...FAST, out });
    expect([again.skipped, again.downloaded, again.written]).toEqual([750, 0, 0]);
    expect(server.log.length).toBe(mark);
  });

  it('a downloader killed with SIGKILL resumes partials by Range and refetches no complete file', async () => {
    const entries = await makeItems('kill', 24, [60_000, 90_000]);
    const catalog = join(tmp, 'kill.jsonl');
    await writeFile(catalog, catalogText(entries));
    const out = await outDir();
    server.options = { root: media, slowAll: true, trickle: { bytes: 4096, everyMs: 10 } };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures/download-child.ts'), catalog, out, '4'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait until some files are final and some are partial, then kill -9
    const deadline = Date.now() + 40_000;
    for (;;) {
      const files = await walk(out).catch(() => []);
      const finals = files.filter((f) => /\.(mp4|jpeg)$/.test(f)).length;
      const parts = files.filter((f) => /\.(mp4|jpeg)\.part$/.test(f)).length;
      if ((finals >= 6 && parts >= 2) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe(null);
    server.options = { root: media };

    const files = await walk(out);
    const finalsBefore = files.filter((f) => /\.(mp4|jpeg)$/.test(f));
    expect(finalsBefore.length).toBeGreaterThanOrEqual(6);
    expect(await expectIdentical(out, entries)).toBe(finalsBefore.length); // no corrupt final file
    const parts = new Map<string, { size: number; final: string }>(); // URL path -> bytes on disk
    for (const f of files.filter((name) => name.endsWith('.part'))) {
      const size = (await stat(join(out, f))).size;
      const sidecar = await readFile(join(out, `${f}.json`), 'utf8').catch(() => undefined);
      if (size > 0 && sidecar) {
        const url = new URL((JSON.parse(sidecar) as { url: string }).url);
        parts.set(url.pathname, { size, final: join(out, f.slice(0, -'.part'.length)) });
      }
    }
    expect(parts.size).toBeGreaterThanOrEqual(1);

    const mark = server.log.length;
    const rerun = await runChild(catalog, out);
    expect(rerun.code).toBe(0);
    const report = JSON.parse(rerun.stdout) as { failed: number; resumed: number; skipped: number };
    expect(report.failed).toBe(0);
    expect(report.resumed).toBe(parts.size);
    const after = server.log.slice(mark);
    const finalPaths = new Set(
      finalsBefore.map((f) => {
        const [, id, name] = f.split(path.sep).slice(-3) as [string, string, string];
        return `/kill/${id}.${name.split('.').pop()}`;
      }),
    );
    for (const p of finalPaths)
      expect(
        after.filter((r) => r.path === p),
        p,
      ).toEqual([]);
    for (const [p, { size, final }] of parts) {
      const gets = after.filter((r) => r.path === p);
      expect(gets[0]?.range, p).toBe(`bytes=${size}-`);
      expect(gets[0]?.ifRange, p).toBeTruthy();
      // A part killed after its last byte but before its rename is answered 416 and finished as it is.
      const complete = (await stat(final)).size === size;
      expect(gets[0]?.status, p).toBe(complete ? 416 : 206);
    }
    expect(await expectIdentical(out, entries)).toBe(48);
    expect((await walk(out)).filter((f) => f.includes('.part'))).toEqual([]);
  });
});

it('reelset download stops cleanly on SIGINT (exit 130, partials kept) and a rerun completes', async () => {
  const entries = await makeItems('sigint', 12, [200_000, 300_000]);
  const catalog = join(tmp, 'sigint.jsonl');
  await writeFile(catalog, catalogText(entries));
  const out = await outDir();
  server.options = { root: media, slowAll: true, trickle: { bytes: 2048, everyMs: 10 } };
  const cli = (): ChildProcess =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, '../src/cli/main.ts'),
        'download',
        catalog,
        '--out',
        out,
        '--concurrency',
        '4',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  const child = cli();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 40_000;
  while (
    (await walk(out).catch(() => [])).filter((f) => /\.(mp4|jpeg)\.part$/.test(f)).length < 2 &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 15));
  }
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/interrupt|abort|stopp/i);
  const parts = (await walk(out)).filter((f) => /\.(mp4|jpeg)\.part$/.test(f));
  expect(parts.length).toBeGreaterThanOrEqual(1);

  server.options = { root: media };
  const rerun = cli();
  const code = await new Promise<number | null>((resolve) => rerun.on('close', (c) => resolve(c)));
  expect(code).toBe(0);
  expect(await expectIdentical(out, entries)).toBe(24);
  expect((await walk(out)).filter((f) => f.includes('.part'))).toEqual([]);
});

function runChild(
  catalog: string,
  out: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fixtures/download-child.ts'), catalog, out, '4'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('download rules', () => {
  let items: CatalogEntry[];
  beforeAll(async () => {
    items = await makeItems('rules', 12, [20_000, 30_000]);
  });
  const one = (i: number, patch: Partial<CatalogEntry> = {}): CatalogEntry => ({
    ...(items[i] as CatalogEntry),
    ...patch,
  });
  const withFaults = (faults: Record<string, Fault[]>, extra: Partial<typeof server.options> = {}) => {
    server.options = { root: media, faults, ...extra };
  };

  it('follows redirects within 5 hops, refuses loops, more than 5, and non-http(s) targets', async () => {
    const e = one(0);
    const target = new URL(e.mp4Url).pathname;
    server.options = {
      root: media,
      redirects: {
        '/r1': '/r2',
        '/r2': server.url('/r3'),
        '/r3': target,
        '/loopA': '/loopB',
        '/loopB': '/loopA',
        '/h1': '/h2',
        '/h2': '/h3',
        '/h3': '/h4',
        '/h4': '/h5',
        '/h5': '/h6',
        '/h6': target,
        '/file': 'file:///etc/passwd',
        '/ftp': 'ftp://127.0.0.1/x',
      },
    };
    const cases: Array<[string, string | null]> = [
      ['/r1', null],
      ['/loopA', 'REELSET_E_REDIRECT'],
      ['/h1', 'REELSET_E_REDIRECT'],
      ['/file', 'REELSET_E_REDIRECT'],
      ['/ftp', 'REELSET_E_REDIRECT'],
    ];
    for (const [start, code] of cases) {
      const out = await outDir();
      const report = await download(iterate([{ ...e, mp4Url: server.url(start) }]), {
        ...FAST,
        out,
        kinds: ['mp4'],
      });
      expect(
        report.failures.map((f) => f.code),
        start,
      ).toEqual(code ? [code] : []);
      const file = join(out, e.label, e.id, `${e.id}.mp4`);
      if (code === null) expect((await readFile(file)).equals(await sourceOf(e.mp4Url))).toBe(true);
      else await expect(stat(file)).rejects.toThrow();
    }
    // the loop fault of the server: path -> path?loop -> path
    withFaults({ [target]: ['redirect-loop'] });
    const report = await download(iterate([e]), { ...FAST, out: await outDir(), kinds: ['mp4'] });
    expect(report.failures.map((f) => [f.code, f.attempts])).toEqual([['REELSET_E_REDIRECT', 1]]);
    server.options = { root: media };
  });

  it('honours Retry-After on 429 and retries 500 / 503 / resets', async () => {
    const e = one(1);
    const p = new URL(e.mp4Url).pathname;
    withFaults({ [p]: ['429', '500', '503', 'reset'] }, { retryAfter: 1 });
    const t0 = performance.now();
    const report = await download(iterate([e]), {
      ...FAST,
      retryBaseMs: 0,
      out: await outDir(),
      kinds: ['mp4'],
    });
    const waited = performance.now() - t0;
    expect(report.failures).toEqual([]);
    expect([report.downloaded, report.retries]).toEqual([1, 4]);
    expect(waited).toBeGreaterThanOrEqual(900); // the 1 s Retry-After was waited
    server.options = { root: media };
  });

  it('resumes a .part by Range; restarts when the server ignores Range or the validator changed', async () => {
    const e = one(2);
    const p = new URL(e.mp4Url).pathname;
    const source = await sourceOf(e.mp4Url);
    const st = await stat(join(media, p));
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const prepare = async (sidecarEtag: string): Promise<string> => {
      const out = await outDir();
      const dir = join(out, e.label, e.id);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${e.id}.mp4.part`), source.subarray(0, 5000));
      await writeFile(
        join(dir, `${e.id}.mp4.part.json`),
        JSON.stringify({ url: e.mp4Url, etag: sidecarEtag, total: source.length }),
      );
      return out;
    };
    const cases: Array<[string, Fault[], number]> = [
      [etag, [], 206],
      [etag, ['ignore-range'], 200],
      ['"stale"', [], 200],
    ];
    for (const [tag, faults, status] of cases) {
      const out = await prepare(tag);
      withFaults({ [p]: faults });
      const mark = server.log.length;
      const report = await download(iterate([e]), { ...FAST, out, kinds: ['mp4'] });
      expect(report.failures).toEqual([]);
      const got = server.log.slice(mark);
      expect(got.map((r) => [r.range, r.ifRange, r.status])).toEqual([['bytes=5000-', tag, status]]);
      expect(report.resumed).toBe(status === 206 ? 1 : 0);
      expect((await readFile(join(out, e.label, e.id, `${e.id}.mp4`))).equals(source)).toBe(true);
    }
    server.options = { root: media };
  });

  it('never renames a short body; errors over maxBytes; writes nothing outside out', async () => {
    const e = one(3);
    const p = new URL(e.mp4Url).pathname;
    withFaults({ [p]: ['short', 'short'] });
    let out = await outDir();
    let report = await download(iterate([e]), { ...FAST, retries: 1, out, kinds: ['mp4'] });
    expect(report.failures.map((f) => [f.code, f.attempts])).toEqual([['REELSET_E_SIZE', 2]]);
    await expect(stat(join(out, e.label, e.id, `${e.id}.mp4`))).rejects.toThrow();
    const part = await stat(join(out, e.label, e.id, `${e.id}.mp4.part`));
    expect(part.size).toBeLessThan((await sourceOf(e.mp4Url)).length);
    // a rerun completes it
    server.options = { root: media };
    report = await download(iterate([e]), { ...FAST, out, kinds: ['mp4'] });
    expect([report.downloaded, report.failed]).toEqual([1, 0]);
    expect((await readFile(join(out, e.label, e.id, `${e.id}.mp4`))).equals(await sourceOf(e.mp4Url))).toBe(
      true,
    );

    out = await outDir();
    report = await download(iterate([e]), { ...FAST, out, kinds: ['mp4', 'jpeg'], maxBytes: 10_000 });
    expect(report.failures.map((f) => f.code)).toEqual(['REELSET_E_SIZE', 'REELSET_E_SIZE']);
    expect((await walk(out)).filter((f) => !f.endsWith('.part.json'))).toEqual([]);

    // unsafe ids and labels, and a label folder that is a link to elsewhere
    const outside = join(tmp, `outside-${serial}`);
    await mkdir(outside);
    out = await outDir();
    await symlink(outside, join(out, 'Sea'));
    const bad = [
      one(4, { id: '../../../x' }),
      one(5, { label: '../escape' }),
      one(6, { id: '1/../../2' }),
      one(7, { label: 'Sea' }),
      one(8, { label: 'Beach' }),
    ];
    report = await download(iterate(bad), { ...FAST, out });
    expect(report.failures.map((f) => f.code)).toEqual(Array(12).fill('REELSET_E_UNSAFE_PATH'));
    expect(report.downloaded + report.written).toBe(3);
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(tmp)).not.toContain('x');
    expect(await readdir(tmp)).not.toContain('escape');
  });

  it('enforces a host allow-list, on redirects too', async () => {
    const e = one(9);
    const target = new URL(e.mp4Url).pathname;
    server.options = { root: media, redirects: { '/away': `http://localhost:${server.port}${target}` } };
    const mark = server.log.length;
    let report = await download(iterate([e]), {
      ...FAST,
      out: await outDir(),
      kinds: ['mp4'],
      allowHosts: ['example.com'],
    });
    expect(report.failures.map((f) => f.code)).toEqual(['REELSET_E_HOST_NOT_ALLOWED']);
    expect(server.log.length).toBe(mark);
    report = await download(iterate([{ ...e, mp4Url: server.url('/away') }]), {
      ...FAST,
      out: await outDir(),
      kinds: ['mp4'],
      allowHosts: ['127.0.0.1'],
    });
    expect(report.failures.map((f) => f.code)).toEqual(['REELSET_E_HOST_NOT_ALLOWED']);
    expect(server.log.slice(mark).map((r) => r.path)).toEqual(['/away']);
    report = await download(iterate([e]), {
      ...FAST,
      out: await outDir(),
      kinds: ['mp4'],
      allowHosts: ['127.0.0.1'],
    });
    expect(report.downloaded).toBe(1);
    server.options = { root: media };
  });

  it('filters by label, id, kind, per-label cap and seeded sample; sends extra headers; 404 is a failure', async () => {
    const out = await outDir();
    const mark = server.log.length;
    const report = await download(iterate(items), {
      ...FAST,
      out,
      ids: [
        (items[0] as CatalogEntry).id,
        `0${(items[1] as CatalogEntry).id}`,
        (items[2] as CatalogEntry).id,
      ],
      kinds: ['jpeg'],
      headers: { Referer: 'https://example.com/' },
    });
    expect([report.items, report.files, report.downloaded]).toEqual([3, 3, 3]);
    expect((await walk(out)).every((f) => f.endsWith('.jpeg'))).toBe(true);
    expect(server.log.slice(mark).every((r) => r.headers.referer === 'https://example.com/')).toBe(true);

    const labels = [(items[0] as CatalogEntry).label, (items[1] as CatalogEntry).label];
    const dup = items.map((e) => ({ ...e, label: labels[Number(e.id) % 2] as string }));
    const capped = await download(iterate(dup), {
      ...FAST,
      out: await outDir(),
      kinds: ['txt'],
      maxPerLabel: 2,
    });
    expect([capped.items, capped.written]).toEqual([4, 4]);
    const pick = async (sample: number, seed: number) => {
      const r = await download(iterate(items), {
        ...FAST,
        out: await outDir(),
        kinds: ['txt'],
        sample,
        seed,
      });
      return r.items;
    };
    expect(await pick(5, 1)).toBe(5);
    const half = await pick(0.5, 1);
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(12);

    const missing = await download(iterate([one(10, { mp4Url: server.url('/nope.mp4') })]), {
      ...FAST,
      out: await outDir(),
      kinds: ['mp4'],
    });
    expect(missing.failures.map((f) => [f.code, f.attempts, f.kind])).toEqual([['REELSET_E_HTTP', 1, 'mp4']]);
  });

  it('writes a sha256 manifest and verifies against one', async () => {
    const e = one(11);
    const manifest = join(tmp, 'sha.jsonl');
    const out = await outDir();
    const report = await download(iterate([e]), { ...FAST, out, sha256Manifest: manifest });
    expect(report.downloaded + report.written).toBe(3);
    const lines = (await readFile(manifest, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; sha256: string });
    expect(lines.map((l) => l.path).sort()).toEqual(
      ['jpeg', 'mp4', 'txt'].map((k) => `${e.label}/${e.id}/${e.id}.${k}`),
    );
    const { createHash } = await import('node:crypto');
    const mp4 = lines.find((l) => l.path.endsWith('.mp4'));
    expect(mp4?.sha256).toBe(
      createHash('sha256')
        .update(await sourceOf(e.mp4Url))
        .digest('hex'),
    );
    // verify: a wrong hash fails as REELSET_E_INTEGRITY, a right one passes
    const wrong = join(tmp, 'wrong.jsonl');
    await writeFile(wrong, `${JSON.stringify({ path: mp4?.path, sha256: '0'.repeat(64) })}\n`);
    const bad = await download(iterate([e]), {
      ...FAST,
      retries: 1,
      out: await outDir(),
      kinds: ['mp4'],
      verifySha256: wrong,
    });
    expect(bad.failures.map((f) => f.code)).toEqual(['REELSET_E_INTEGRITY']);
    const good = await download(iterate([e]), { ...FAST, out: await outDir(), verifySha256: manifest });
    expect(good.failed).toBe(0);
  });

  it('limits the rate (at least the time the bucket allows)', async () => {
    const e = one(0);
    const bytes = (await sourceOf(e.mp4Url)).length + (await sourceOf(e.coverUrl)).length;
    const rate = Math.floor(bytes / 1.5); // first second's burst, then >= 0.5 s more
    const t0 = performance.now();
    const report = await download(iterate([e]), {
      ...FAST,
      out: await outDir(),
      kinds: ['mp4', 'jpeg'],
      rate,
    });
    expect(report.downloaded).toBe(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
  });
});

describe('the .txt files', () => {
  it('equal what the synthesizer writes, byte for byte (no request made for txt)', async () => {
    const synth = await synthesize(join(tmp, 'synth-txt'), {
      labels: ['Beach', 'Green Screen'],
      perLabel: 3,
      seconds: 0.2,
      seed: 5,
    });
    const out = await outDir();
    const report = await download(synth.catalogPath, { out, kinds: ['txt'] });
    expect([report.written, report.failed]).toEqual([synth.items.length, 0]);
    for (const item of synth.items) {
      const mine = await readFile(join(out, item.label, item.id, `${item.id}.txt`));
      expect(mine.equals(await readFile(item.files.txt as string)), item.id).toBe(true);
    }
  });
});

describe('synthesized catalogs', () => {
  it('with baseUrl, a synthesized folder served over HTTP downloads byte-identical (txt too)', async () => {
    const root = join(tmp, 'synth-served');
    const served = await startServer({ root });
    try {
      const synth = await synthesize(root, {
        labels: ['Beach', 'Green Screen'],
        perLabel: 3,
        seconds: 0.3,
        seed: 8,
        baseUrl: served.url('/'),
      });
      const first = synth.items[0];
      expect(first?.mp4Url.startsWith(served.url('/Beach/'))).toBe(true);
      expect(synth.items.some((item) => item.mp4Url.includes('/Green%20Screen/'))).toBe(true);
      const out = await outDir();
      const report = await download(synth.catalogPath, { ...FAST, out });
      expect(report.failures).toEqual([]);
      expect([report.downloaded, report.written]).toEqual([synth.items.length * 2, synth.items.length]);
      for (const item of synth.items) {
        for (const kind of ['txt', 'jpeg', 'mp4'] as const) {
          const mine = await readFile(join(out, item.label, item.id, `${item.id}.${kind}`));
          expect(mine.equals(await readFile(item.files[kind] as string)), `${item.id}.${kind}`).toBe(true);
        }
      }
      expect(served.log.every((r) => r.status === 200)).toBe(true);
    } finally {
      await served.close();
    }
  });

  it('without baseUrl, is refused before anything is created, and no request is made', async () => {
    const synth = await synthesize(join(tmp, 'synth-placeholder'), {
      labels: ['Beach'],
      perLabel: 2,
      seconds: 0.2,
      seed: 6,
    });
    expect(new URL(synth.items[0]?.mp4Url as string).hostname).toBe('reelset-synth.invalid');
    const out = join(tmp, 'never-synth');
    const report = join(tmp, 'never-synth.jsonl');
    const err = await download(synth.catalogPath, { ...FAST, out, report }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REELSET_E_HOST_NOT_ALLOWED' });
    expect((err as Error).message).toMatch(/line 1: https:\/\/reelset-synth\.invalid\/.*baseUrl/);
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(report)).rejects.toMatchObject({ code: 'ENOENT' });
    // Entries given as an iterable: each such file fails at once, without a request or a retry.
    const before = server.log.length;
    const entries = [entry('123', 'Beach', 'https://reelset-synth.invalid/000000123_main_xl.mp4', '/x.jpeg')];
    const r = await download(iterate(entries), { ...FAST, out: await outDir(), kinds: ['mp4'] });
    expect(r.failures).toMatchObject([{ code: 'REELSET_E_HOST_NOT_ALLOWED', attempts: 0 }]);
    expect([r.retries, server.log.length - before]).toEqual([0, 0]);
  });
});

describe('bad catalog lines and bad inputs', () => {
  it('lists every bad catalog line with its number and reason, in the report and the result', async () => {
    const [good] = await makeItems('lines', 1);
    const text = [
      catalogText([good as CatalogEntry]).trimEnd(),
      '{"mp4_id": "12", not json',
      '',
      JSON.stringify({ mp4_id: '13', video_label: 'Beach' }),
      catalogText([{ ...(good as CatalogEntry), label: 'beach' }]).trimEnd(),
    ].join('\n');
    const catalog = join(tmp, 'lines.jsonl');
    await writeFile(catalog, `${text}\n`);
    const reportFile = join(tmp, 'lines-report.jsonl');
    const seen: number[] = [];
    const report = await download(catalog, {
      ...FAST,
      out: await outDir(),
      kinds: ['txt'],
      report: reportFile,
      onCatalogSkip: (skip) => seen.push(skip.line as number),
    });
    expect(report.catalogSkips).toBe(4);
    expect(seen).toEqual([2, 3, 4, 5]);
    expect(report.catalogSkipList.map((s) => [s.line, s.code])).toEqual([
      [2, 'REELSET_E_CATALOG_LINE'],
      [3, 'REELSET_E_CATALOG_LINE'],
      [4, 'REELSET_E_CATALOG_LINE'],
      [5, 'REELSET_E_CATALOG_LINE'],
    ]);
    expect(report.catalogSkipList[0]?.where).toBe(`${catalog}:2`);
    expect(report.catalogSkipList[0]?.reason).toMatch(/^invalid JSON/);
    expect(report.catalogSkipList[1]?.reason).toBe('blank line');
    expect(report.catalogSkipList[2]?.reason).toBe('missing key mp4_download_url');
    expect(report.catalogSkipList[3]?.reason).toBe('unknown label "beach" (did you mean "Beach"?)');
    const lines = (await readFile(reportFile, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; line: number; reason: string });
    expect(lines.map((l) => [l.kind, l.line])).toEqual([
      ['catalog-line', 2],
      ['catalog-line', 3],
      ['catalog-line', 4],
      ['catalog-line', 5],
    ]);
  });

  it('checks every input and option before creating anything', async () => {
    const catalog = join(tmp, 'inputs.jsonl');
    await writeFile(catalog, catalogText(await makeItems('inputs', 1)));
    const aFolder = join(tmp, 'a-folder');
    await mkdir(aFolder, { recursive: true });
    await writeFile(join(aFolder, 'multimodal_data_info.json'), '');
    const cases: Array<[string | AsyncIterable<CatalogEntry>, Partial<DownloadOptions>, string, RegExp]> = [
      [join(tmp, 'nope.json'), {}, 'REELSET_E_NOT_FOUND', /nope\.json/],
      [
        aFolder,
        {},
        'REELSET_E_NOT_A_FILE',
        /a-folder is a folder.*did you mean .*multimodal_data_info\.json/,
      ],
      [catalog, { verifySha256: aFolder }, 'REELSET_E_NOT_A_FILE', /sha256 manifest .*a-folder is a folder/],
      [catalog, { report: join(tmp, 'no-dir', 'r.jsonl') }, 'REELSET_E_NOT_FOUND', /no-dir/],
      [catalog, { sha256Manifest: aFolder }, 'REELSET_E_NOT_A_FILE', /a-folder/],
      [
        catalog,
        { concurrency: '8' as unknown as number },
        'REELSET_E_INVALID_ARGUMENT',
        /got the string "8"/,
      ],
      [catalog, { rate: '100' as unknown as number }, 'REELSET_E_INVALID_ARGUMENT', /got the string "100"/],
      [catalog, { sample: '0.5' as unknown as number }, 'REELSET_E_INVALID_ARGUMENT', /got the string "0.5"/],
      [catalog, { bodyTimeoutMs: 0 }, 'REELSET_E_INVALID_ARGUMENT', /bodyTimeoutMs/],
      [catalog, { labels: ['beach'] }, 'REELSET_E_UNKNOWN_LABEL', /did you mean "Beach"/],
      ['' as string, {}, 'REELSET_E_NOT_FOUND', /catalog/],
    ];
    for (const [input, options, code, message] of cases) {
      const out = join(tmp, `never-${++serial}`);
      const err = await download(input, { ...options, out }).catch((e: unknown) => e);
      expect(err, JSON.stringify(options)).toMatchObject({ code });
      expect((err as Error).message).toMatch(message);
      await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    const file = join(tmp, 'out-is-a-file');
    await writeFile(file, '');
    await expect(download(catalog, { out: file })).rejects.toMatchObject({
      code: 'REELSET_E_INVALID_ARGUMENT',
      message: expect.stringMatching(/is a file, not a folder/),
    });
  });
});
