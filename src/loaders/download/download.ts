/**
 * @module download — `download(catalog, options)`: fetches the data set into the original's on-disk layout
 * `<out>/<label>/<id>/<id>.{txt,jpeg,mp4}` with undici keep-alive pools, retries, resume and atomic renames.
 *
 * The pieces live in `download/`: `plan.ts` (catalog → filtered items → jobs with safe paths), `fetch.ts`
 * (one file: redirects, retries, Range resume, checks, fsync, rename) and `util.ts` (backoff, Retry-After,
 * token bucket, hash). This file runs the pool and keeps the counts, the report and the manifest.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Agent, Dispatcher } from 'undici';
import { ReelsetError } from '../../errors.js';
import { forEachLimit } from '../../util/concurrency.js';
import { checkInputFile, checkOutputFile, fileError } from '../../util/files.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkPositive,
  describeValue,
  invalidArgument,
} from '../../util/options.js';
import { type CatalogEntry, readCatalog } from '../catalog/catalog.js';
import type { MediaKind } from '../layout/naming.js';
import { MEDIA_KINDS } from '../layout/naming.js';
import type { Skip } from '../sample.js';
import { FetchError, fetchJob, isComplete, writeJob } from './fetch.js';
import {
  checkFilters,
  type DownloadJob,
  insideOrThrow,
  itemJobs,
  type PlanFilters,
  type PlanItem,
  planItem,
  selectEntries,
} from './plan.js';
import { TokenBucket } from './retry.js';
import { loadUndici } from './undici.js';

export type { PlanFilters } from './plan.js';

/**
 * Options of {@link download}. Only `out` is required.
 *
 * @example
 * ```ts
 * const options: DownloadOptions = {
 *   out: '/data/reelset', concurrency: 32, perHost: 16, retries: 5, labels: ['Beach'], kinds: ['txt', 'jpeg'],
 *   headers: { Referer: 'https://example.com/' }, allowHosts: ['p5-v1.xpccdn.com', 'p5-i1.xpccdn.com'],
 *   rate: 20_000_000, report: 'failures.jsonl', sha256Manifest: 'sha256.jsonl',
 * };
 * ```
 */
export interface DownloadOptions extends PlanFilters {
  /** The data set root: everything is written under it, never outside. */
  out: string;
  /** Files in flight at once. Default 16. */
  concurrency?: number;
  /** Connections per host (undici's per-origin pool size). Default 16. */
  perHost?: number;
  /** Retries after the first attempt, on network errors, 5xx, 408, 429 and short bodies. Default 5. */
  retries?: number;
  /** Backoff base: retry k waits a uniform random time in `[0, min(retryMaxMs, retryBaseMs * 2^k))`. Default 250. */
  retryBaseMs?: number;
  /** Backoff ceiling. Default 30,000. */
  retryMaxMs?: number;
  /** The longest `Retry-After` honoured (longer values wait this long). Default 120,000. */
  retryAfterMaxMs?: number;
  /** TCP/TLS connect timeout. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Time to wait for response headers. Default 30,000 ms. */
  headersTimeoutMs?: number;
  /** Longest idle time between two body chunks. Default 30,000 ms. */
  bodyTimeoutMs?: number;
  /** Overall bandwidth limit in bytes per second (a token bucket shared by all files). Default: none. */
  rate?: number;
  /** Extra request headers, e.g. `{ Referer: 'https://example.com/' }`. */
  headers?: Record<string, string>;
  /** Host names allowed for URLs and redirects; any other is refused (`REELSET_E_HOST_NOT_ALLOWED`). */
  allowHosts?: readonly string[];
  /** Largest file accepted, in bytes (`REELSET_E_SIZE` beyond). Default 512 MiB. */
  maxBytes?: number;
  /** Stops the run: in-flight files keep their `.part` for the next run; the report says `aborted`. */
  signal?: AbortSignal;
  /** fsync each file before its atomic rename. Default true. */
  fsync?: boolean;
  /** Append `{path, size, sha256}` of every file written by this run to this JSONL file. */
  sha256Manifest?: string;
  /** A JSONL manifest (`{path, sha256}`, paths relative to `out`): fetched files must match it. */
  verifySha256?: string;
  /**
   * Write one JSONL line per failed file to this file (truncated at start), and one line
   * `{"kind": "catalog-line", "where", "line", "id"?, "reason", "code"}` per catalog line left out.
   */
  report?: string;
  /** Treat the original's URL names (`<id9>_main_xl.mp4`, `<id9>_iconl.jpeg`) as complete files. Default true. */
  acceptUrlNames?: boolean;
  /** Called about every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Default 1000. */
  progressIntervalMs?: number;
  /** Called with each failure as it happens. */
  onFailure?: (failure: DownloadFailure) => void;
  /** Called with each catalog line left out as invalid (a catalog file only), as it is read. */
  onCatalogSkip?: (skip: Skip) => void;
  /** Use this undici dispatcher instead of a new Agent (then `perHost` and the timeouts are yours). */
  dispatcher?: Dispatcher;
}

/**
 * A file that could not be produced (one line of the JSONL report).
 *
 * @example
 * ```ts
 * const failure: DownloadFailure = { id: '80328682', label: 'Beach', kind: 'mp4',
 *   url: 'https://p5-v1.xpccdn.com/080328682_main_xl.mp4', error: 'HTTP 404 for ...', code: 'REELSET_E_HTTP', attempts: 1 };
 * ```
 */
export interface DownloadFailure {
  id: string;
  label: string;
  kind: MediaKind;
  url: string | null;
  error: string;
  /** A `REELSET_E_*` code, or a system error code (`ENOSPC`, ...). */
  code: string;
  attempts: number;
}

/**
 * A progress snapshot.
 *
 * @example
 * ```ts
 * download(catalog, { out, onProgress: (p) => console.log(`${p.done}/${p.total ?? '?'} ${p.bytesPerSecond} B/s`) });
 * ```
 */
export interface DownloadProgress {
  /** Files finished (downloaded, written, skipped or failed). */
  done: number;
  /** Files planned, once known (undefined while an iterable catalog is still being read). */
  total: number | undefined;
  downloaded: number;
  skipped: number;
  failed: number;
  /** Bytes received by this run. */
  bytes: number;
  /** Mean rate over the run so far. */
  bytesPerSecond: number;
  /** Estimated seconds left (by files), when `total` is known. */
  etaSeconds: number | undefined;
  elapsedMs: number;
}

/**
 * What {@link download} did.
 *
 * @example
 * ```ts
 * const report: DownloadReport = await download('multimodal_data_info.json', { out: '/data' });
 * if (report.failed > 0) console.log(report.failures.slice(0, 5));
 * ```
 */
export interface DownloadReport {
  /** The absolute output folder. */
  out: string;
  /** Catalog entries selected (after filters and sampling). */
  items: number;
  /** Files planned. */
  files: number;
  /** Files fetched by this run. */
  downloaded: number;
  /** `.txt` files written by this run. */
  written: number;
  /** Files already complete (final name present): no request made. */
  skipped: number;
  /** Files that failed (see `failures` and the report file). */
  failed: number;
  /** Files whose `.part` from an earlier run was continued with a Range request. */
  resumed: number;
  /** Retries made in all. */
  retries: number;
  /** Bytes received by this run. */
  bytes: number;
  /** Catalog lines left out as invalid (a catalog file only). */
  catalogSkips: number;
  /**
   * The first 1000 of those lines, each with its line number and reason (`{ where: 'file:line', line, id?,
   * reason, code }`); all of them are in the report file, as lines `{"kind": "catalog-line", ...}`.
   */
  catalogSkipList: Skip[];
  /** The first 1000 failures (all of them are in the report file). */
  failures: DownloadFailure[];
  /** True when `signal` stopped the run before every file was done. */
  aborted: boolean;
  elapsedMs: number;
}

const MAX_FAILURES_KEPT = 1000;

async function readManifest(file: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'the sha256 manifest');
  }
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let record: { path?: unknown; sha256?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch (err) {
      throw invalidArgument(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (
      typeof record.path !== 'string' ||
      typeof record.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(record.sha256)
    ) {
      throw invalidArgument(`${file}:${i + 1}: expected {"path": "...", "sha256": "<64 hex>"}`);
    }
    map.set(record.path, record.sha256);
  }
  return map;
}

/** `out` may not exist yet (it is created), but must not be a file. Creates nothing. */
async function checkOutFolder(out: string): Promise<void> {
  try {
    if (!(await stat(out)).isDirectory()) throw invalidArgument(`out ${out} is a file, not a folder`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw invalidArgument(`out ${out}: a parent of it is a file, not a folder`);
    throw err;
  }
}

/**
 * A URL on a host under `.invalid` (RFC 6761: never resolves), such as the placeholders of a synthesized
 * catalog: the reason it is not requested, or undefined for any other URL.
 *
 * @example
 * ```ts
 * placeholderReason('https://reelset-synth.invalid/Beach/12/12.mp4'); // '... synthesize with --base-url ...'
 * placeholderReason('https://example.com/12.mp4'); // undefined
 * ```
 */
export function placeholderReason(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host !== 'invalid' && !host.endsWith('.invalid')) return undefined;
  return host === 'reelset-synth.invalid'
    ? `${url} is a placeholder of a catalog written by \`reelset synth\` (its ids are made up): synthesize with --base-url URL (baseUrl) and serve the folder there to download it`
    : `${url} names the reserved host ${host}, which never resolves (RFC 6761)`;
}

/**
 * Refuses, before anything is created, a catalog whose first entry has placeholder URLs (a synthesized
 * catalog written without `baseUrl`): fetching it could only fail, file after file, retry after retry.
 */
async function refusePlaceholders(catalog: string): Promise<void> {
  for await (const entry of readCatalog(catalog).take(1)) {
    const reason = placeholderReason(entry.mp4Url) ?? placeholderReason(entry.coverUrl);
    if (reason !== undefined) {
      throw new ReelsetError(
        'REELSET_E_HOST_NOT_ALLOWED',
        `Refusing to download ${catalog}: line ${entry.line}: ${reason}; only its txt files can be written (kinds: ['txt'], --kinds txt)`,
      );
    }
  }
}

function lineWriter(file: string | undefined, flags: 'a' | 'w'): WriteStream | undefined {
  if (file === undefined) return undefined;
  const stream = createWriteStream(file, { flags });
  // Kept in `stream.errored` and reported by closeWriter; never an uncaught 'error' event.
  stream.on('error', () => undefined);
  return stream;
}

function closeWriter(stream: WriteStream | undefined): Promise<void> {
  if (stream === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (stream.errored) {
      reject(stream.errored);
      return;
    }
    stream.on('error', reject);
    stream.end(resolve);
  });
}

type PlanOut = { job: DownloadJob } | { reject: { entry: CatalogEntry; error: ReelsetError } };

async function* planJobs(
  entries: AsyncIterable<CatalogEntry>,
  out: string,
  options: DownloadOptions,
  kinds: readonly MediaKind[],
  counts: { items: number },
): AsyncGenerator<PlanOut> {
  for await (const entry of selectEntries(entries, options)) {
    counts.items++;
    const planned = planItem(out, entry);
    if ('error' in planned) {
      yield { reject: planned };
      continue;
    }
    let jobs: DownloadJob[];
    try {
      jobs = itemJobs(out, planned, kinds);
    } catch (err) {
      yield { reject: { entry, error: err as ReelsetError } };
      continue;
    }
    for (const job of jobs) yield { job };
  }
}

/** Makes one folder level, refusing to follow a link (or pass a non-folder) that leads outside `realOut`. */
async function safeMkdir(dir: string, realOut: string): Promise<void> {
  try {
    const st = await lstat(dir);
    if (st.isSymbolicLink()) insideOrThrow(realOut, await realpath(dir));
    else if (!st.isDirectory()) throw new ReelsetError('REELSET_E_UNSAFE_PATH', `Not a folder: ${dir}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/**
 * Creates an item's folder once (`<label>`, then `<label>/<id>`, never through a link that leads out) and
 * checks that its real path lies inside `out`.
 */
function ensureFolder(item: PlanItem, realOut: string, labelDirs: Map<string, Promise<void>>): Promise<void> {
  item.ready ??= (async () => {
    const labelDir = path.dirname(item.folder);
    let made = labelDirs.get(labelDir);
    if (made === undefined) {
      made = safeMkdir(labelDir, realOut);
      labelDirs.set(labelDir, made);
    }
    await made;
    await safeMkdir(item.folder, realOut);
    insideOrThrow(realOut, await realpath(item.folder));
  })();
  return item.ready;
}

/**
 * Downloads the data set of a catalog into the original's layout under `out`: for each selected entry
 * `<out>/<label>/<id>/<id>.txt` (the Python dict literal the original wrote), `<id>.jpeg` (cover) and
 * `<id>.mp4` (clip). Files are fetched with undici keep-alive pools (`perHost` connections per host,
 * `concurrency` files at once), with retries (exponential backoff with full jitter; `Retry-After`
 * honoured) on network errors, 5xx, 408, 429 and short bodies.
 *
 * Safety: a file is written as `<name>.part` (with a `<name>.part.json` sidecar holding the URL, ETag,
 * Last-Modified and size), checked against Content-Length (and `maxBytes`, and the sha256 manifest when
 * given), fsynced and renamed atomically; so a final name only ever holds a complete, checked file, and
 * **a file whose final name exists is complete** and is skipped without a request. A `.part` left by an
 * interrupted run is continued with `Range: bytes=N-` guarded by `If-Range` (strong ETag, else
 * Last-Modified); a server that ignores it (200) restarts the file from zero. Only http(s) URLs, at most 5
 * redirects (never to other schemes, loops refused), an optional host allow-list; labels must be one of
 * the 31 and ids digits, and every path is checked to resolve inside `out` (`REELSET_E_UNSAFE_PATH`).
 *
 * Failures do not stop the run: each is counted, returned (the first 1000) and written to `report`.
 * Aborting `signal` stops cleanly: the promise resolves with `aborted: true`, partial files stay for resume.
 *
 * Every option and input is checked before anything is created: a missing or unreadable catalog, manifest
 * or report folder, a bad option, or a catalog of placeholder URLs leaves no trace on disk.
 *
 * A URL whose host is under `.invalid` (RFC 6761: it never resolves) is never requested: such a file fails
 * with `REELSET_E_HOST_NOT_ALLOWED`, and a catalog whose first entry has one (a catalog that `synthesize`
 * wrote without `baseUrl`, whose ids are made up) is refused as a whole unless only `txt` is asked for.
 *
 * @param catalog a `multimodal_data_info.json` path, or entries (e.g. a filtered `readCatalog(...)`)
 * @param options see {@link DownloadOptions}
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` / `REELSET_E_UNKNOWN_LABEL` for bad options (an
 *   unknown label suggests the closest), `REELSET_E_NOT_FOUND` for a missing catalog or manifest (or the
 *   folder of `report` / `sha256Manifest`), `REELSET_E_NOT_A_FILE` when one of them is a folder,
 *   `REELSET_E_HOST_NOT_ALLOWED` for a catalog of placeholder URLs.
 * @example
 * ```ts
 * import { download } from 'reelset';
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * const report = await download('multimodal_data_info.json', {
 *   out: '/data/reelset', labels: ['Beach', 'Sea'], maxPerLabel: 1000, signal: controller.signal,
 *   report: 'failures.jsonl',
 * });
 * console.log(`${report.downloaded} fetched, ${report.skipped} already there, ${report.failed} failed`);
 * ```
 */
export async function download(
  catalog: string | AsyncIterable<CatalogEntry>,
  options: DownloadOptions,
): Promise<DownloadReport> {
  const started = performance.now();
  if (typeof options?.out !== 'string' || options.out === '')
    throw invalidArgument(`download needs options.out (a folder), got ${describeValue(options?.out)}`);
  if (
    typeof catalog !== 'string' &&
    typeof (catalog as AsyncIterable<unknown>)?.[Symbol.asyncIterator] !== 'function'
  ) {
    throw invalidArgument(
      `catalog must be a file path or an async iterable of entries, got ${describeValue(catalog)}`,
    );
  }
  // Every option and input is checked before anything is created.
  checkFilters(options);
  const concurrency = checkInteger('concurrency', options.concurrency ?? 16, 1);
  const perHost = checkInteger('perHost', options.perHost ?? 16, 1);
  const retries = checkInteger('retries', options.retries ?? 5, 0);
  const maxBytes = checkInteger('maxBytes', options.maxBytes ?? 512 * 1024 * 1024, 1);
  const interval = checkInteger('progressIntervalMs', options.progressIntervalMs ?? 1000, 10);
  const retryBaseMs = checkInteger('retryBaseMs', options.retryBaseMs ?? 250, 0);
  const retryMaxMs = checkInteger('retryMaxMs', options.retryMaxMs ?? 30_000, 0);
  const retryAfterMaxMs = checkInteger('retryAfterMaxMs', options.retryAfterMaxMs ?? 120_000, 0);
  const connectTimeoutMs = checkInteger('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1);
  const headersTimeoutMs = checkInteger('headersTimeoutMs', options.headersTimeoutMs ?? 30_000, 1);
  const bodyTimeoutMs = checkInteger('bodyTimeoutMs', options.bodyTimeoutMs ?? 30_000, 1);
  if (options.rate !== undefined) checkPositive('rate', options.rate);
  const fsync = checkBoolean('fsync', options.fsync, true);
  checkBoolean('acceptUrlNames', options.acceptUrlNames, true);
  checkFunction('onProgress', options.onProgress);
  checkFunction('onFailure', options.onFailure);
  checkFunction('onCatalogSkip', options.onCatalogSkip);
  const kinds = options.kinds?.length ? options.kinds : MEDIA_KINDS;
  const out = path.resolve(options.out);
  await checkOutFolder(out);
  if (typeof catalog === 'string') {
    await checkInputFile(catalog, 'the catalog', { usualName: 'multimodal_data_info.json' });
  }
  const expected = options.verifySha256 === undefined ? undefined : await readManifest(options.verifySha256);
  if (options.report !== undefined) await checkOutputFile(options.report, 'the report');
  if (options.sha256Manifest !== undefined)
    await checkOutputFile(options.sha256Manifest, 'the sha256 manifest');
  if (typeof catalog === 'string' && kinds.some((kind) => kind !== 'txt')) await refusePlaceholders(catalog);
  await mkdir(out, { recursive: true });
  const realOut = await realpath(out);

  let catalogSkips = 0;
  const catalogSkipList: Skip[] = [];
  let planDone = false;
  let entries: AsyncIterable<CatalogEntry>;
  let total: number | undefined;
  const counts = { items: 0 };
  const reportStream = lineWriter(options.report, 'w');
  if (typeof catalog === 'string') {
    const onSkip = (skip: Skip): void => {
      catalogSkips++;
      if (catalogSkipList.length < MAX_FAILURES_KEPT) catalogSkipList.push(skip);
      reportStream?.write(`${JSON.stringify({ kind: 'catalog-line', ...skip })}\n`);
      options.onCatalogSkip?.(skip);
    };
    entries = readCatalog(catalog, { onSkip });
    if (options.onProgress) {
      // A cheap first pass (no I/O but the catalog) so the progress bar has a total.
      total = 0;
      for await (const planned of planJobs(readCatalog(catalog), out, options, kinds, { items: 0 })) {
        if ('job' in planned) total++;
      }
    }
  } else {
    entries = catalog;
  }

  const ownAgent = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new (await loadUndici()).Agent({
      connections: perHost,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: connectTimeoutMs },
      headersTimeout: headersTimeoutMs,
      bodyTimeout: bodyTimeoutMs,
    });
  const manifestStream = lineWriter(options.sha256Manifest, 'a');
  const bucket = options.rate === undefined ? undefined : new TokenBucket(options.rate);
  const signal = options.signal;
  const report: DownloadReport = {
    out,
    items: 0,
    files: 0,
    downloaded: 0,
    written: 0,
    skipped: 0,
    failed: 0,
    resumed: 0,
    retries: 0,
    bytes: 0,
    catalogSkips: 0,
    catalogSkipList,
    failures: [],
    aborted: false,
    elapsedMs: 0,
  };
  const ctxBase = {
    dispatcher,
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    retries,
    retryBaseMs,
    retryMaxMs,
    retryAfterMaxMs,
    maxBytes,
    allowHosts: options.allowHosts ? new Set(options.allowHosts.map((h) => h.toLowerCase())) : undefined,
    bucket,
    signal,
    fsync,
    hash: manifestStream !== undefined || expected !== undefined,
    onBytes: (n: number) => {
      report.bytes += n;
    },
    onRetry: () => {
      report.retries++;
    },
  };

  const progress = (): DownloadProgress => {
    const elapsedMs = performance.now() - started;
    const done = report.downloaded + report.written + report.skipped + report.failed;
    const known = total ?? (planDone ? report.files : undefined);
    const perFile = done > 0 ? elapsedMs / done : undefined;
    return {
      done,
      total: known,
      downloaded: report.downloaded + report.written,
      skipped: report.skipped,
      failed: report.failed,
      bytes: report.bytes,
      bytesPerSecond: elapsedMs > 0 ? (report.bytes * 1000) / elapsedMs : 0,
      etaSeconds:
        known !== undefined && perFile !== undefined
          ? (Math.max(0, known - done) * perFile) / 1000
          : undefined,
      elapsedMs,
    };
  };

  const recordFailure = (
    entry: CatalogEntry,
    kind: MediaKind,
    url: string | null,
    err: Error,
    attempts: number,
  ) => {
    const failure: DownloadFailure = {
      id: String(entry.id),
      label: String(entry.label),
      kind,
      url,
      error: err.message,
      code: (err as { code?: unknown }).code ? String((err as { code?: unknown }).code) : 'ERROR',
      attempts,
    };
    report.failed++;
    if (report.failures.length < MAX_FAILURES_KEPT) report.failures.push(failure);
    reportStream?.write(`${JSON.stringify(failure)}\n`);
    options.onFailure?.(failure);
  };

  const inFlight = new Map<string, Promise<unknown>>();
  const labelDirs = new Map<string, Promise<void>>();
  const runJob = async (job: DownloadJob): Promise<void> => {
    const entry = job.item.entry;
    const url = job.url ?? null;
    const earlier = inFlight.get(job.path);
    if (earlier) await earlier.catch(() => undefined); // the same file listed twice: never two writers
    if (await isComplete(job)) {
      report.skipped++;
      return;
    }
    if (signal?.aborted) return;
    const placeholder = placeholderReason(job.url);
    if (placeholder !== undefined) {
      recordFailure(entry, job.kind, url, new ReelsetError('REELSET_E_HOST_NOT_ALLOWED', placeholder), 0);
      return;
    }
    const work = (async () => {
      await ensureFolder(job.item, realOut, labelDirs);
      if (job.kind === 'txt') {
        const { size, data } = await writeJob(job, ctxBase.fsync);
        if (expected?.has(job.rel)) {
          const sha = createHash('sha256').update(data).digest('hex');
          if (sha !== expected.get(job.rel)) {
            throw new ReelsetError('REELSET_E_INTEGRITY', `sha256 of ${job.rel} differs from the manifest`);
          }
        }
        report.written++;
        if (manifestStream) {
          const sha = createHash('sha256').update(data).digest('hex');
          manifestStream.write(`${JSON.stringify({ path: job.rel, size, sha256: sha })}\n`);
        }
        return;
      }
      const expectedSha256 = expected?.get(job.rel);
      const done = await fetchJob(job, { ...ctxBase, expectedSha256 });
      report.downloaded++;
      if (done.resumedFrom > 0) report.resumed++;
      if (manifestStream && done.sha256) {
        manifestStream.write(`${JSON.stringify({ path: job.rel, size: done.size, sha256: done.sha256 })}\n`);
      }
    })();
    inFlight.set(job.path, work);
    try {
      await work;
    } catch (err) {
      const cause = err instanceof FetchError ? err.error : (err as Error);
      const attempts = err instanceof FetchError ? err.attempts : 1;
      if (signal?.aborted && (cause as ReelsetError).code === 'REELSET_E_ABORTED') return;
      recordFailure(entry, job.kind, url, cause, attempts);
    } finally {
      if (inFlight.get(job.path) === work) inFlight.delete(job.path);
    }
  };

  const plan = planJobs(entries, out, options, kinds, counts);
  const timer = options.onProgress
    ? setInterval(() => options.onProgress?.(progress()), interval).unref()
    : undefined;
  // Stop pulling the plan as soon as the download is aborted; note when it ran to its end.
  const planned = (async function* () {
    for await (const next of plan) {
      if (signal?.aborted) return;
      yield next;
    }
    planDone = true;
  })();
  try {
    await forEachLimit(planned, concurrency, async (next) => {
      if ('reject' in next) {
        const { entry, error } = next.reject;
        for (const kind of kinds) {
          report.files++;
          recordFailure(
            entry,
            kind,
            kind === 'txt' ? null : kind === 'mp4' ? entry.mp4Url : entry.coverUrl,
            error,
            0,
          );
        }
        return;
      }
      report.files++;
      await runJob(next.job);
    });
  } finally {
    if (timer) clearInterval(timer);
    await plan.return(undefined);
    if (ownAgent) {
      if (signal?.aborted) await (dispatcher as Agent).destroy().catch(() => undefined);
      else await (dispatcher as Agent).close();
    }
    await closeWriter(reportStream);
    await closeWriter(manifestStream);
  }
  report.items = counts.items;
  report.catalogSkips = catalogSkips;
  report.aborted = signal?.aborted === true;
  report.elapsedMs = Math.round(performance.now() - started);
  options.onProgress?.(progress());
  return report;
}
