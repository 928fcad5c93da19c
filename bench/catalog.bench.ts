/**
 * @module catalog.bench — reading a full-size catalog (562,342 lines) with `readCatalog`, against Python 3's
 * stdlib `json` reading the same file line by line.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { formatDuration, LABELS, originalCoverUrl, originalMp4Url, readCatalog } from '../src/index.js';
import { mulberry32 } from '../src/util/random.js';
import { alternate, type BenchResult, hasCommand, median, result, runPeer, timed } from './harness.js';

/** Lines of the real `multimodal_data_info.json`. */
const LINES = 562_342;
const RUNS = 3;

const PYTHON = `
import json, sys, time
start = time.perf_counter()
count = 0
with open(sys.argv[1], encoding='utf-8') as f:
    for line in f:
        json.loads(line)
        count += 1
print(json.dumps({'count': count, 'seconds': time.perf_counter() - start}))
`;

const WORDS = (
  'aerial view of city skyline at sunset drone shot over ocean waves slow motion 4K happy young woman man ' +
  'walking running on the beach in summer night lights traffic timelapse clouds moving over mountains forest ' +
  'green screen business people meeting office corporate team celebration fireworks wedding couple bride ' +
  'underwater coral reef fish space stars galaxy abstract background loop particles explosion military ' +
  'soldier news archival footage nature animals wildlife close up hand holding smartphone technology data'
).split(' ');
const FOREIGN = [
  'café',
  'naïve',
  'São Paulo',
  'Zürich',
  '北京',
  '城市夜景',
  '東京',
  'München',
  'crème brûlée',
  '—',
];

/** Python's `json.dumps(s)` (ensure_ascii=True) or `ensure_ascii=False` of a string. */
function pyJsonString(value: string, asciiOnly: boolean): string {
  const json = JSON.stringify(value);
  return asciiOnly
    ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}

/**
 * Writes a catalog of `lines` lines in the original's format (Python `json.dumps` separators and key order):
 * ids of 8 digits (about 11% repeated under another label), the original's URL patterns, durations with
 * "0:10" the commonest, briefs of 4-16 words with a leading space (8% with non-ASCII text, half of those
 * written as `\u` escapes; 2% with an escaped quote), labels cycling over the 31.
 */
async function writeCatalog(path: string, lines: number): Promise<number> {
  const random = mulberry32(20190701);
  const fh = await open(path, 'w');
  let bytes = 0;
  try {
    const ids: string[] = [];
    let batch: string[] = [];
    for (let i = 0; i < lines; i++) {
      const id =
        ids.length > 0 && random() < 0.112
          ? (ids[Math.floor(random() * ids.length)] as string)
          : String(10_000_000 + Math.floor(random() * 89_999_999));
      ids.push(id);
      if (ids.length > 5000) ids.shift();
      const seconds = random() < 0.3 ? 10 : 5 + Math.floor(random() * random() * 175);
      const time = formatDuration(seconds);
      const words: string[] = [];
      const count = 4 + Math.floor(random() * 13);
      for (let w = 0; w < count; w++) words.push(WORDS[Math.floor(random() * WORDS.length)] as string);
      const roll = random();
      if (roll < 0.08) words.splice(1, 0, FOREIGN[Math.floor(random() * FOREIGN.length)] as string);
      else if (roll < 0.1) words.push('"quoted"');
      const brief = pyJsonString(` ${words.join(' ')}`, roll < 0.04);
      const label = (LABELS[i % LABELS.length] as { name: string }).name;
      batch.push(
        `{"mp4_id": "${id}", "mp4_download_url": "${originalMp4Url(id)}", ` +
          `"mp4_time": "${time}", "mp4_background_image_url": "${originalCoverUrl(id)}", ` +
          `"mp4_txt_brief": ${brief}, "video_label": "${label}"}\n`,
      );
      if (batch.length === 10_000 || i === lines - 1) {
        const chunk = Buffer.from(batch.join(''), 'utf8');
        await fh.write(chunk);
        bytes += chunk.length;
        batch = [];
      }
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

async function readWithReelset(path: string): Promise<{ seconds: number; count: number }> {
  const { seconds, result: count } = await timed(async () => {
    let count = 0;
    for await (const _entry of readCatalog(path)) count++;
    return count;
  });
  return { seconds, count };
}

async function readWithPython(path: string): Promise<{ seconds: number; wallSec: number; count: number }> {
  const run = await runPeer('python3', ['-c', PYTHON, path]);
  const out = JSON.parse(run.stdout.trim()) as { count: number; seconds: number };
  return { seconds: out.seconds, wallSec: run.wallSec, count: out.count };
}

/**
 * Reads a generated 562,342-line catalog fully with `readCatalog` (every field checked, each entry counted)
 * and with Python 3 (`json.loads` per line, counted), alternating, median of 3 each.
 *
 * @example
 * ```ts
 * import bench from './catalog.bench.js';
 * console.log(await bench());
 * ```
 */
export default async function catalogBench(): Promise<BenchResult> {
  const name = `catalog: read ${LINES.toLocaleString('en-US')} lines`;
  const dir = await mkdtemp(join(os.tmpdir(), 'reelset-bench-catalog-'));
  try {
    const path = join(dir, 'multimodal_data_info.json');
    const bytes = await writeCatalog(path, LINES);
    if (!(await hasCommand('python3'))) {
      const mine = await readWithReelset(path);
      return result({
        name,
        reelset: mine.seconds,
        peer: Number.NaN,
        ratio: Number.NaN,
        goal: 2,
        unit: 's',
        notes: 'python3 not found: no peer measured',
      });
    }
    await readWithReelset(path); // page cache warm for both; not counted
    const { a: mine, b: peer } = await alternate(
      RUNS,
      () => readWithReelset(path),
      () => readWithPython(path),
    );
    for (const run of [...mine, ...peer]) {
      if (run.count !== LINES) throw new Error(`expected ${LINES} entries, counted ${run.count}`);
    }
    const reelsetSec = median(mine.map((r) => r.seconds));
    const peerSec = median(peer.map((r) => r.seconds));
    const peerWall = median(peer.map((r) => r.wallSec));
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(3)).join(', ');
    return result({
      name,
      reelset: reelsetSec,
      peer: peerSec,
      ratio: peerSec / reelsetSec,
      goal: 2,
      unit: 's',
      notes:
        `ratio = python s / reelset s (> 1: reelset faster). ${(bytes / 1e6).toFixed(1)} MB; loop times inside ` +
        `each process, median of ${RUNS}, alternating: reelset [${fmt(mine.map((r) => r.seconds))}] ` +
        `(readCatalog, every field checked), python [${fmt(peer.map((r) => r.seconds))}] (json.loads per line, ` +
        `no checks), python process wall ${peerWall.toFixed(3)} s median.`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
