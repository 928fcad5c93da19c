/**
 * @module download.bench — `download()` against Debian's curl run 16 at a time (`xargs -P16`), both fetching
 * 300 files of 1.5 MB from the local test server (in its own process), same run, alternating; then both
 * under 20% injected faults, reporting the share of files complete and byte-identical.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { download } from '../src/loaders/download/download.js';
import { LABELS } from '../src/loaders/layout/labels.js';
import { alternate, type BenchResult, hasCommand, median, result, runPeer, timed } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const FILES = 300;
const SIZE = 1_500_000;
const RUNS = 3;
const PARALLEL = 16;

interface Server {
  port: number;
  child: ChildProcess;
}

async function serve(root: string, options: object = {}): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, '../test/serve.ts'), root, JSON.stringify(options)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.child.on('exit', () => resolve());
    server.child.stdin?.end();
  });
}

interface Item {
  id: string;
  label: string;
  kind: 'jpeg' | 'mp4';
}

/** Files complete and byte-identical under `out` (layout `<label>/<id>/<id>.<kind>`). */
async function complete(out: string, items: readonly Item[], media: string): Promise<number> {
  let ok = 0;
  for (const it of items) {
    const got = await readFile(join(out, it.label, it.id, `${it.id}.${it.kind}`)).catch(() => undefined);
    if (got?.equals(await readFile(join(media, `${it.id}.${it.kind}`)))) ok++;
  }
  return ok;
}

export default async function bench(): Promise<BenchResult[]> {
  if (!(await hasCommand('curl'))) throw new Error('curl is not installed');
  const tmp = await mkdtemp(join(os.tmpdir(), 'reelset-bench-download-'));
  try {
    const media = join(tmp, 'media');
    await mkdir(media);
    const items: Item[] = [];
    for (let i = 0; i < FILES / 2; i++) {
      const id = String(30_000_000 + i);
      const label = (LABELS[i % LABELS.length] as { name: string }).name;
      for (const kind of ['jpeg', 'mp4'] as const) {
        await writeFile(join(media, `${id}.${kind}`), randomBytes(SIZE));
        items.push({ id, label, kind });
      }
    }
    const totalBytes = FILES * SIZE;
    const setUp = async (server: Server, name: string) => {
      const url = (it: Item) => `http://127.0.0.1:${server.port}/${it.id}.${it.kind}`;
      const catalog = join(tmp, `${name}.jsonl`);
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += 2) {
        const jpeg = items[i] as Item;
        const mp4 = items[i + 1] as Item;
        lines.push(
          JSON.stringify({
            mp4_id: jpeg.id,
            mp4_download_url: url(mp4),
            mp4_time: '0:15',
            mp4_background_image_url: url(jpeg),
            mp4_txt_brief: ' bench',
            video_label: jpeg.label,
          }),
        );
      }
      await writeFile(catalog, `${lines.join('\n')}\n`);
      const list = join(tmp, `${name}.curl.txt`);
      const curlLines = (out: string) =>
        items.map(
          (it) => `-o ${join(out, it.label.replace(/ /g, '_'), it.id, `${it.id}.${it.kind}`)} ${url(it)}`,
        );
      return { catalog, list, curlLines };
    };
    const curlItems = () => items.map((it) => ({ ...it, label: it.label.replace(/ /g, '_') }));

    // 1. no faults: throughput
    let server = await serve(media);
    const plain = await setUp(server, 'plain');
    let run = 0;
    const reelsetRun = async (): Promise<number> => {
      const out = join(tmp, `r${run++}`);
      const { seconds, result: report } = await timed(() =>
        download(plain.catalog, { out, concurrency: PARALLEL, perHost: PARALLEL, kinds: ['jpeg', 'mp4'] }),
      );
      if (report.downloaded !== FILES) throw new Error(`reelset fetched ${report.downloaded} of ${FILES}`);
      await rm(out, { recursive: true, force: true });
      return seconds;
    };
    const curlRun = async (): Promise<number> => {
      const out = join(tmp, `c${run++}`);
      await writeFile(plain.list, `${plain.curlLines(out).join('\n')}\n`);
      const peer = await runPeer('xargs', [
        '-a',
        plain.list,
        `-P${PARALLEL}`,
        '-L1',
        'curl',
        '-sSf',
        '--create-dirs',
      ]);
      await rm(out, { recursive: true, force: true });
      return peer.wallSec;
    };
    await reelsetRun(); // warm-up (JIT, page cache)
    const { a, b } = await alternate(RUNS, reelsetRun, curlRun);
    await stop(server);
    const mbps = (s: number) => totalBytes / 1e6 / s;
    const rows: BenchResult[] = [
      result({
        name: `download: ${FILES} x 1.5 MB, local server, 16 at a time`,
        reelset: mbps(median(a)),
        peer: mbps(median(b)),
        ratio: mbps(median(a)) / mbps(median(b)),
        goal: 0.9,
        unit: 'MB/s',
        notes:
          `ratio = reelset MB/s / curl MB/s; reelset download() in-process (keep-alive, .part + fsync + rename), ` +
          `curl via xargs -P16 -L1 (process wall time, one process and connection per file); server in its own ` +
          `process; median of ${RUNS}; reelset s: ${a.map((s) => s.toFixed(2)).join(', ')}; curl s: ${b.map((s) => s.toFixed(2)).join(', ')}`,
      }),
    ];

    // 2. 20% faults: share complete and byte-identical
    server = await serve(media, { random: { rate: 0.2, seed: 7, maxPerPath: 2 }, retryAfter: 1 });
    const faulty = await setUp(server, 'faulty');
    const rOut = join(tmp, 'rf');
    const { seconds: rSeconds, result: report } = await timed(() =>
      download(faulty.catalog, {
        out: rOut,
        concurrency: PARALLEL,
        perHost: PARALLEL,
        kinds: ['jpeg', 'mp4'],
      }),
    );
    const rOk = await complete(rOut, items, media);
    await stop(server);
    server = await serve(media, { random: { rate: 0.2, seed: 7, maxPerPath: 2 }, retryAfter: 1 });
    const cOut = join(tmp, 'cf');
    const list = faulty.curlLines(cOut).map((l) => l.replace(/:\d+\//, `:${server.port}/`));
    await writeFile(faulty.list, `${list.join('\n')}\n`);
    const { seconds: peer } = await timed(
      () =>
        new Promise<void>((resolve) => {
          const child = spawn(
            'xargs',
            [
              '-a',
              faulty.list,
              `-P${PARALLEL}`,
              '-L1',
              'curl',
              '-sS',
              '-f',
              '--create-dirs',
              '--retry',
              '5',
              '--retry-all-errors',
            ],
            {
              stdio: 'ignore',
            },
          );
          child.on('close', () => resolve());
        }),
    );
    const cOk = await complete(cOut, curlItems(), media);
    await stop(server);
    rows.push(
      result({
        name: `download under 20% faults: files complete and identical`,
        reelset: (100 * rOk) / FILES,
        peer: (100 * cOk) / FILES,
        ratio: rOk / FILES,
        goal: 1,
        unit: '%',
        notes:
          `ratio = reelset share complete (goal 100%); faults: reset mid-body, 500, 503, 429 (Retry-After 1), short body, ` +
          `trickle, Range ignored, on 20% of requests (at most 2 per file); reelset defaults (5 retries) took ${rSeconds.toFixed(1)} s, ` +
          `${report.retries} retries, ${report.failed} failed; peer: curl --retry 5 --retry-all-errors, ${peer.toFixed(1)} s`,
      }),
    );
    return rows;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
