/**
 * @module download/fetch — one file: manual redirects (http(s) only, at most 5, loops refused), retries
 * with backoff, resume of `<name>.part` by `Range` + `If-Range`, Content-Length and size checks, optional
 * sha256, fsync and atomic rename to the final name.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, lstat, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';
import type { DownloadJob } from './plan.js';
import { abortError, backoffMs, retryAfterMs, sleep, type TokenBucket } from './retry.js';
import { loadUndici } from './undici.js';

/**
 * At most this many redirects are followed for one request.
 *
 * @example
 * ```ts
 * if (hops > MAX_REDIRECTS) throw new Error('too many redirects');
 * ```
 */
export const MAX_REDIRECTS = 5;

/**
 * What one fetch needs from its run.
 *
 * @example
 * ```ts
 * const ctx: FetchContext = { dispatcher: new Agent(), headers: {}, retries: 5, retryBaseMs: 250,
 *   retryMaxMs: 30_000, retryAfterMaxMs: 120_000, maxBytes: 2 ** 32, fsync: true, hash: false,
 *   onBytes: () => {} };
 * ```
 */
export interface FetchContext {
  dispatcher: Dispatcher;
  /** Extra request headers (e.g. `Referer`). */
  headers: Record<string, string>;
  /** Retries after the first attempt. */
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** The longest `Retry-After` honoured; longer ones wait this long. */
  retryAfterMaxMs: number;
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Lower-case host names allowed (redirect targets included); undefined: any. */
  allowHosts?: ReadonlySet<string>;
  bucket?: TokenBucket;
  signal?: AbortSignal;
  /** fsync each file before its rename. */
  fsync: boolean;
  /** Compute sha256 of each file. */
  hash: boolean;
  /** The sha256 a file must have (from a manifest), if any. */
  expectedSha256?: string;
  /** Called with each chunk's size as it is written. */
  onBytes: (n: number) => void;
  /** Called before each retry. */
  onRetry?: (attempt: number, error: Error, delayMs: number) => void;
}

/**
 * The outcome of one fetched (or written) file.
 *
 * @example
 * ```ts
 * const done: FetchDone = { size: 1024, attempts: 1, resumedFrom: 0, sha256: undefined };
 * ```
 */
export interface FetchDone {
  /** Final size in bytes. */
  size: number;
  /** Requests made (1 = first try). */
  attempts: number;
  /** Bytes of a `.part` kept from an earlier attempt or run (0: none). */
  resumedFrom: number;
  sha256?: string | undefined;
}

/**
 * A failure with how many attempts it took.
 *
 * @example
 * ```ts
 * try { await fetchJob(job, ctx); } catch (err) { if (err instanceof FetchError) console.log(err.attempts); }
 * ```
 */
export class FetchError extends Error {
  constructor(
    readonly error: Error,
    readonly attempts: number,
  ) {
    super(error.message, { cause: error });
  }
}

interface Sidecar {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number;
}

const RETRY = Symbol('retry');
type Tagged = ReelsetError & { [RETRY]?: { delayMs?: number | undefined } };

function fail(
  code: ReelsetErrorCode,
  message: string,
  retry?: { delayMs?: number | undefined },
  cause?: unknown,
) {
  const err = new ReelsetError(code, message, cause === undefined ? undefined : { cause }) as Tagged;
  if (retry) err[RETRY] = retry;
  return err;
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const OPEN_TRUNC = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW;
const OPEN_APPEND = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_NOFOLLOW;

const noop = (): void => undefined;

/** Drops a body and its connection (a listener first, so the abort it emits is not uncaught). */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', noop);
  body.destroy();
}

/** Reads away a small body (an error page, a redirect) so its keep-alive connection is reused. */
async function drain(body: Dispatcher.ResponseData['body']): Promise<void> {
  body.on('error', noop);
  await body.dump({ limit: 64 * 1024 }).catch(noop);
}

async function unlinkQuiet(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

/** Size of a regular `.part` file; anything else at that name (a link, a folder) is removed or refused. */
async function partSize(file: string): Promise<number> {
  try {
    const st = await lstat(file);
    if (st.isFile()) return st.size;
    if (st.isSymbolicLink()) await unlinkQuiet(file);
    else throw fail('REELSET_E_UNSAFE_PATH', `Not a regular file: ${file}`);
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

async function readSidecar(file: string): Promise<Sidecar | undefined> {
  try {
    const st = await lstat(file);
    if (!st.isFile() || st.size > 64 * 1024) return undefined;
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Sidecar;
    return typeof parsed?.url === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function writeSmall(file: string, data: string | Uint8Array, sync: boolean): Promise<void> {
  const fh = await open(file, OPEN_TRUNC, 0o644);
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * True when a final name (or one of its alternatives) exists as a file: the file is complete, since a final
 * name only ever appears by the rename of a verified `.part`.
 *
 * @example
 * ```ts
 * if (await isComplete(job)) return; // nothing to fetch
 * ```
 */
export async function isComplete(job: DownloadJob): Promise<boolean> {
  for (const file of [job.path, ...job.altPaths]) {
    try {
      if ((await stat(file)).isFile()) return true;
    } catch {
      // absent
    }
  }
  return false;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function checkUrl(url: URL, ctx: FetchContext, what: string): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail(
      'REELSET_E_REDIRECT',
      `${what} to a ${url.protocol} URL refused (http and https only): ${url.href}`,
    );
  }
  if (ctx.allowHosts && !ctx.allowHosts.has(url.hostname.toLowerCase())) {
    throw fail('REELSET_E_HOST_NOT_ALLOWED', `Host ${url.hostname} is not in the allow-list: ${url.href}`);
  }
}

/** GET with manual redirects: returns the final response (never a redirect). */
async function getFollowing(
  start: string,
  headers: Record<string, string>,
  ctx: FetchContext,
): Promise<Dispatcher.ResponseData> {
  let url = new URL(start);
  checkUrl(url, ctx, 'Request');
  const seen = new Set([url.href]);
  const { request } = await loadUndici();
  for (let hop = 0; ; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { dispatcher: ctx.dispatcher, method: 'GET', headers, signal: ctx.signal });
    } catch (err) {
      if (ctx.signal?.aborted) throw abortError(ctx.signal);
      throw fail('REELSET_E_HTTP', `${(err as Error).message} (${url.href})`, {}, err);
    }
    const location = header(res.headers, 'location');
    if (!isRedirect(res.statusCode) || location === undefined) return res;
    await drain(res.body);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (err) {
      throw fail('REELSET_E_REDIRECT', `Bad redirect location ${JSON.stringify(location)}`, undefined, err);
    }
    checkUrl(next, ctx, 'Redirect');
    if (seen.has(next.href)) throw fail('REELSET_E_REDIRECT', `Redirect loop at ${next.href}`);
    if (hop + 1 > MAX_REDIRECTS)
      throw fail('REELSET_E_REDIRECT', `More than ${MAX_REDIRECTS} redirects from ${start}`);
    seen.add(next.href);
    url = next;
  }
}

/** `bytes a-b/total` or `bytes * /total` of a Content-Range header. */
function contentRange(value: string | undefined): { start?: number; total?: number } | undefined {
  const m = value === undefined ? null : /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return undefined;
  const out: { start?: number; total?: number } = {};
  if (m[1] !== undefined) out.start = Number(m[1]);
  if (m[3] !== '*') out.total = Number(m[3]);
  return out;
}

async function hashFile(file: string, hash: Hash, length: number): Promise<void> {
  if (length === 0) return;
  const fh = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let at = 0;
    while (at < length) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - at), at);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

async function finish(part: string, side: string, job: DownloadJob, ctx: FetchContext, sha?: string) {
  if (ctx.expectedSha256 !== undefined && sha !== ctx.expectedSha256) {
    await unlinkQuiet(part);
    await unlinkQuiet(side);
    throw fail('REELSET_E_INTEGRITY', `sha256 of ${job.rel} is ${sha}, expected ${ctx.expectedSha256}`, {});
  }
  await rename(part, job.path);
  await unlinkQuiet(side);
}

/** What attempts share: the number of this attempt, and the part size the first one continued. */
interface AttemptState {
  attempt: number;
  resumedFrom: number;
}

/** One attempt; returns the outcome, or throws (tagged retryable or not). */
async function attempt(job: DownloadJob, ctx: FetchContext, state: AttemptState): Promise<FetchDone> {
  const url = job.url as string;
  const part = `${job.path}.part`;
  const side = `${part}.json`;
  const meta = await readSidecar(side);
  let offset = await partSize(part);
  const validator = meta?.etag && !meta.etag.startsWith('W/') ? meta.etag : meta?.lastModified;
  if (
    offset > 0 &&
    (meta === undefined ||
      meta.url !== url ||
      validator === undefined ||
      (meta.total !== undefined && offset > meta.total) ||
      offset > ctx.maxBytes)
  ) {
    offset = 0;
  }
  const headers: Record<string, string> = { ...ctx.headers };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    headers['if-range'] = validator as string;
  }
  const res = await getFollowing(url, headers, ctx);
  const status = res.statusCode;
  const etag = header(res.headers, 'etag');
  const lastModified = header(res.headers, 'last-modified');
  const length = header(res.headers, 'content-length');
  let total: number | undefined;
  if (status === 206 && offset > 0) {
    const range = contentRange(header(res.headers, 'content-range'));
    if (range?.start !== offset || (etag !== undefined && meta?.etag !== undefined && etag !== meta.etag)) {
      discard(res.body);
      await unlinkQuiet(part);
      throw fail('REELSET_E_HTTP', `Unusable 206 response for ${url} (asked from ${offset})`, {});
    }
    total = range.total;
    if (state.attempt === 1) state.resumedFrom = offset;
  } else if (status === 416 && offset > 0) {
    discard(res.body);
    const range = contentRange(header(res.headers, 'content-range'));
    if (range?.total === offset && meta?.total === offset) {
      // The part was complete (a crash before its rename): finish it.
      if (state.attempt === 1) state.resumedFrom = offset;
      let sha: string | undefined;
      if (ctx.hash) {
        const h = createHash('sha256');
        await hashFile(part, h, offset);
        sha = h.digest('hex');
      }
      if (ctx.fsync) {
        const fh = await open(part, OPEN_APPEND);
        await fh.sync().finally(() => fh.close());
      }
      await finish(part, side, job, ctx, sha);
      return { size: offset, attempts: 0, resumedFrom: offset, sha256: sha };
    }
    await unlinkQuiet(part);
    throw fail('REELSET_E_HTTP', `416 for ${url} from ${offset}: restarting`, {});
  } else if (status === 200) {
    offset = 0; // fresh body: Range ignored, or If-Range did not match
  } else {
    await drain(res.body);
    const retryable = status === 429 || status === 408 || status >= 500;
    const delay = retryable ? retryAfterMs(header(res.headers, 'retry-after')) : undefined;
    throw fail('REELSET_E_HTTP', `HTTP ${status} for ${url}`, retryable ? { delayMs: delay } : undefined);
  }
  if (total === undefined && length !== undefined && /^\d+$/.test(length)) total = offset + Number(length);
  if (total !== undefined && total > ctx.maxBytes) {
    discard(res.body);
    throw fail('REELSET_E_SIZE', `${url} is ${total} bytes, over maxBytes ${ctx.maxBytes}`);
  }
  const hash = ctx.hash ? createHash('sha256') : undefined;
  let fh: FileHandle;
  if (offset === 0) {
    await unlinkQuiet(part);
    const sidecar: Sidecar = { url };
    if (etag !== undefined) sidecar.etag = etag;
    if (lastModified !== undefined) sidecar.lastModified = lastModified;
    if (total !== undefined) sidecar.total = total;
    await writeSmall(side, JSON.stringify(sidecar), false);
    fh = await open(part, OPEN_TRUNC, 0o644);
  } else {
    if (hash) await hashFile(part, hash, offset);
    fh = await open(part, OPEN_APPEND);
  }
  let size = offset;
  try {
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (ctx.bucket) await ctx.bucket.take(chunk.length, ctx.signal);
        if (size + chunk.length > ctx.maxBytes) {
          throw fail('REELSET_E_SIZE', `${url} exceeds maxBytes ${ctx.maxBytes}`);
        }
        if (total !== undefined && size + chunk.length > total) {
          throw fail('REELSET_E_SIZE', `${url}: body longer than its Content-Length ${total}`, {});
        }
        await fh.write(chunk);
        hash?.update(chunk);
        size += chunk.length;
        ctx.onBytes(chunk.length);
      }
    } catch (err) {
      discard(res.body);
      if (ctx.signal?.aborted) throw abortError(ctx.signal);
      if (err instanceof ReelsetError) throw err;
      const closed =
        (err as { code?: string }).code === 'UND_ERR_SOCKET' && /other side closed/.test(String(err));
      if (closed && total !== undefined) {
        throw fail(
          'REELSET_E_SIZE',
          `${url}: body shorter than its Content-Length (${size} of ${total})`,
          {},
          err,
        );
      }
      throw fail('REELSET_E_HTTP', `${(err as Error).message} (${url}, at byte ${size})`, {}, err);
    }
    if (total !== undefined && size < total) {
      throw fail('REELSET_E_SIZE', `${url}: body shorter than its Content-Length (${size} of ${total})`, {});
    }
    if (ctx.fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  if (size > 0 && (await partSize(part)) !== size) {
    throw fail('REELSET_E_INTEGRITY', `${part} changed while it was written`, {});
  }
  const sha = hash?.digest('hex');
  await finish(part, side, job, ctx, sha);
  return { size, attempts: 0, resumedFrom: offset, sha256: sha };
}

/**
 * Fetches one job's URL into its final path, with retries. Throws a {@link FetchError} (the cause is a
 * `ReelsetError`, or a file-system error) when it cannot; an abort surfaces as `REELSET_E_ABORTED`.
 *
 * @example
 * ```ts
 * const done = await fetchJob(job, ctx);
 * console.log(done.size, done.attempts, done.resumedFrom);
 * ```
 */
export async function fetchJob(job: DownloadJob, ctx: FetchContext): Promise<FetchDone> {
  const state: AttemptState = { attempt: 0, resumedFrom: 0 };
  for (let attempts = 1; ; attempts++) {
    state.attempt = attempts;
    try {
      const done = await attempt(job, ctx, state);
      return { ...done, attempts, resumedFrom: state.resumedFrom };
    } catch (err) {
      const retry = (err as Tagged)[RETRY];
      if (ctx.signal?.aborted) throw new FetchError(abortError(ctx.signal), attempts);
      if (retry === undefined || attempts > ctx.retries) throw new FetchError(err as Error, attempts);
      const delay =
        retry.delayMs !== undefined
          ? Math.min(retry.delayMs, ctx.retryAfterMaxMs)
          : backoffMs(attempts - 1, ctx.retryBaseMs, ctx.retryMaxMs);
      ctx.onRetry?.(attempts, err as Error, delay);
      try {
        await sleep(delay, ctx.signal);
      } catch (abort) {
        throw new FetchError(abort as Error, attempts);
      }
    }
  }
}

/**
 * Writes a local file (the `.txt`) the same safe way: `.part`, optional fsync, atomic rename.
 *
 * @example
 * ```ts
 * await writeJob(job, true);
 * ```
 */
export async function writeJob(job: DownloadJob, sync: boolean): Promise<{ size: number; data: Buffer }> {
  const data = Buffer.from(job.text ?? '', 'utf8');
  const part = `${job.path}.part`;
  await unlinkQuiet(part);
  await writeSmall(part, data, sync);
  await rename(part, job.path);
  return { size: data.length, data };
}
