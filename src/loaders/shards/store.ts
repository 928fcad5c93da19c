/**
 * @module shards/store — where shards are read from: a local folder (or `file://`), an `http(s)://` prefix
 * (undici, `Range` resumes) or `s3://bucket/prefix` (@aws-sdk/client-s3, an optional peer loaded at first
 * use). Remote reads resume after a failure at the byte they reached, with the downloader's backoff.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dispatcher } from 'undici';
import { ReelsetError } from '../../errors.js';
import { requirePeer } from '../../util/peer.js';
import { abortError, backoffMs, retryAfterMs, sleep } from '../download/retry.js';
import { loadUndici } from '../download/undici.js';
import { ShardError } from './errors.js';

/**
 * How remote stores connect and retry.
 *
 * @example
 * ```ts
 * const options: StoreOptions = { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, retries: 5 };
 * ```
 */
export interface StoreOptions {
  /** S3: the endpoint of an S3-compatible store (MinIO, R2, Ceph, GCS's XML API). Default: AWS. */
  endpoint?: string;
  /** S3: address buckets as `endpoint/bucket` rather than `bucket.endpoint` (most S3-compatible stores). */
  forcePathStyle?: boolean;
  /** S3: the region (default `AWS_REGION`, `AWS_DEFAULT_REGION`, then `us-east-1`). */
  region?: string;
  /** HTTP: extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** Retries of one read after the first attempt (default 5); a resumed read starts at the byte reached. */
  retries?: number;
  /** First backoff delay in milliseconds (default 250; full jitter, doubling up to 30 s). */
  retryBaseMs?: number;
  /** Stops every read. */
  signal?: AbortSignal;
}

/**
 * One opened store: reads small files whole and streams shards. `close()` releases its connections.
 *
 * @example
 * ```ts
 * const store = openStore('s3://bucket/shards/', { endpoint });
 * const manifest = await store.readText('manifest.json');
 * for await (const chunk of store.stream('shard-000000.tar')) hash.update(chunk);
 * await store.close();
 * ```
 */
export interface ShardStore {
  /** The store as given, for messages (`s3://bucket/shards/`). */
  readonly where: string;
  /** The local folder of a local store. */
  readonly dir: string | undefined;
  /** A small file (manifest, index), whole. */
  readText(name: string): Promise<string>;
  /** A shard's bytes, in chunks; remote reads resume after failures. */
  stream(name: string): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/** A failure that a retry may fix, and how long the server asked to wait. */
class Retryable extends Error {
  constructor(
    message: string,
    readonly delayMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What opening a remote object at an offset gives: its body, and the total size when announced. */
interface Opened {
  body: AsyncIterable<Uint8Array>;
  /** Bytes of `body` to drop first (a server that ignored `Range`). */
  skip: number;
  /** The object's size, when known. */
  total: number | undefined;
}

const noop = (): void => undefined;

/**
 * A remote object as one stream that survives failures: on a retryable error (a reset, a short body, 5xx,
 * 429) it reopens at the byte reached, after the downloader's backoff (or the server's `Retry-After`).
 */
async function* resumable(
  name: string,
  open: (offset: number) => Promise<Opened>,
  o: { retries: number; retryBaseMs: number; signal: AbortSignal | undefined },
): AsyncGenerator<Buffer> {
  let offset = 0;
  let total: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const opened = await open(offset);
      total ??= opened.total;
      let skip = opened.skip;
      for await (const raw of opened.body) {
        let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.length);
        if (skip > 0) {
          const drop = Math.min(skip, chunk.length);
          skip -= drop;
          chunk = chunk.subarray(drop);
          if (chunk.length === 0) continue;
        }
        offset += chunk.length;
        attempt = 0; // progress: the retry budget is per stall, not per object
        yield chunk;
      }
      if (total !== undefined && offset < total) {
        throw new Retryable(`${name}: the body ended at byte ${offset} of ${total}`);
      }
      return;
    } catch (err) {
      if (o.signal?.aborted) throw abortError(o.signal);
      // A body that fails half way (a reset, a closed socket) is retried like a failed request.
      const retry =
        err instanceof Retryable
          ? err
          : err instanceof ReelsetError
            ? undefined
            : new Retryable((err as Error).message, undefined, { cause: err });
      if (retry === undefined || attempt >= o.retries) {
        if (err instanceof ReelsetError) throw err;
        throw new ShardError(`${name}: ${(err as Error).message}`, { shard: name, cause: err });
      }
      const delay = retry.delayMs ?? backoffMs(attempt, o.retryBaseMs, 30_000);
      await sleep(Math.min(delay, 120_000), o.signal);
    }
  }
}

/** A small object's text, whole. */
async function readWhole(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** An HTTP(S) prefix through one undici Agent per store. */
function httpStore(base: URL, o: StoreOptions): ShardStore {
  let agent: Dispatcher | undefined;
  const dispatcher = async (): Promise<Dispatcher> => {
    const { Agent } = await loadUndici();
    agent ??= new Agent({ connections: 8, headersTimeout: 30_000, bodyTimeout: 30_000 });
    return agent;
  };
  const get = async (name: string, offset: number, etag: string | undefined) => {
    const { request } = await loadUndici();
    const url = new URL(name, base);
    const headers: Record<string, string> = { ...o.headers };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (etag !== undefined) headers['if-range'] = etag;
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { dispatcher: await dispatcher(), headers, signal: o.signal });
    } catch (err) {
      throw new Retryable(`${(err as Error).message} (${url.href})`, undefined, { cause: err });
    }
    const status = res.statusCode;
    if (status !== 200 && status !== 206) {
      res.body.on('error', noop);
      await res.body.dump({ limit: 64 * 1024 }).catch(noop);
      const message = `HTTP ${status} for ${url.href}`;
      if (status === 429 || status === 408 || status >= 500) {
        throw new Retryable(message, retryAfterMs(header(res.headers, 'retry-after')));
      }
      throw new ShardError(status === 404 ? `${name} is missing (${message})` : message, { shard: name });
    }
    return res;
  };
  const retry = { retries: o.retries ?? 5, retryBaseMs: o.retryBaseMs ?? 250, signal: o.signal };
  const stream = (name: string): AsyncIterable<Buffer> => {
    let etag: string | undefined;
    return resumable(
      name,
      async (offset) => {
        const res = await get(name, offset, etag);
        etag ??= header(res.headers, 'etag');
        const length = Number(header(res.headers, 'content-length') ?? Number.NaN);
        const body = res.body as AsyncIterable<Uint8Array>;
        if (res.statusCode === 206) {
          const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(header(res.headers, 'content-range') ?? '');
          if (range === null || Number(range[1]) !== offset) {
            res.body.destroy();
            throw new Retryable(`${name}: unusable 206 response from byte ${offset}`);
          }
          return { body, skip: 0, total: Number(range[2]) };
        }
        // A 200 to a ranged request: the server ignored Range (or the object changed and If-Range said so).
        if (offset > 0 && etag !== undefined && header(res.headers, 'etag') !== etag) {
          res.body.destroy();
          throw new ShardError(`${name} changed while it was read`, { shard: name });
        }
        return { body, skip: offset, total: Number.isFinite(length) ? length : undefined };
      },
      retry,
    );
  };
  return {
    where: base.href,
    dir: undefined,
    stream,
    readText: (name) => readWhole(stream(name)),
    async close() {
      const a = agent;
      agent = undefined;
      await a?.close();
    },
  };
}

/** The parts of @aws-sdk/client-s3 used here (typed loosely: the core's declarations name no peer type). */
interface S3Module {
  S3Client: new (config: object) => S3ClientLike;
  GetObjectCommand: new (input: { Bucket: string; Key: string; Range?: string }) => object;
}

/**
 * The part of an `S3Client` reelset uses: `send` (for `GetObjectCommand`) and `destroy`.
 *
 * @example
 * ```ts
 * const client: S3ClientLike = new S3Client({ region: 'eu-west-1' });
 * ```
 */
export interface S3ClientLike {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

interface S3Output {
  Body?: AsyncIterable<Uint8Array> & { destroy?: () => void };
  ContentLength?: number;
  ContentRange?: string;
}

function s3Retryable(err: unknown): boolean {
  const e = err as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    code?: string;
  };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 429 || status === 408 || status >= 500;
  return e.$retryable !== undefined || e.name === 'TimeoutError' || typeof e.code === 'string';
}

/** An `s3://bucket/prefix` through one S3Client per store (its sockets closed by `close()`). */
function s3Store(
  bucket: string,
  prefix: string,
  where: string,
  o: StoreOptions,
  given?: S3ClientLike,
): ShardStore {
  let client = given;
  let mod: S3Module | undefined;
  const connect = (): { client: S3ClientLike; mod: S3Module } => {
    mod ??= requirePeer<S3Module>('@aws-sdk/client-s3', 'Reading shards from s3://');
    if (client === undefined) {
      const config: Record<string, unknown> = {
        region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        // reelset retries itself, at the byte reached; the SDK's own retries stay on for the request.
      };
      if (o.endpoint !== undefined) config.endpoint = o.endpoint;
      if (o.forcePathStyle !== undefined) config.forcePathStyle = o.forcePathStyle;
      client = new mod.S3Client(config);
    }
    return { client, mod };
  };
  const retry = { retries: o.retries ?? 5, retryBaseMs: o.retryBaseMs ?? 250, signal: o.signal };
  const stream = (name: string): AsyncIterable<Buffer> =>
    resumable(
      name,
      async (offset) => {
        const { client: c, mod: m } = connect();
        const input: { Bucket: string; Key: string; Range?: string } = {
          Bucket: bucket,
          Key: `${prefix}${name}`,
        };
        if (offset > 0) input.Range = `bytes=${offset}-`;
        let out: S3Output;
        try {
          out = (await c.send(
            new m.GetObjectCommand(input),
            o.signal ? { abortSignal: o.signal } : {},
          )) as S3Output;
        } catch (err) {
          const e = err as { name?: string; message?: string };
          if (s3Retryable(err) && e.name !== 'NoSuchKey') {
            throw new Retryable(`${e.name}: ${e.message} (${where}${name})`, undefined, { cause: err });
          }
          const missing = e.name === 'NoSuchKey' || e.name === 'NotFound';
          throw new ShardError(
            `${name} ${missing ? 'is missing' : 'cannot be read'} (${e.name}: ${e.message})`,
            {
              shard: name,
              cause: err,
            },
          );
        }
        if (out.Body === undefined) throw new Retryable(`${name}: no body`);
        const total = /\/(\d+)$/.exec(out.ContentRange ?? '')?.[1];
        const size = total !== undefined ? Number(total) : out.ContentLength;
        return {
          body: out.Body,
          skip: 0,
          total: size === undefined ? undefined : total !== undefined ? size : offset + size,
        };
      },
      retry,
    );
  return {
    where,
    dir: undefined,
    stream,
    readText: (name) => readWhole(stream(name)),
    async close() {
      if (given === undefined) client?.destroy();
      client = given;
    },
  };
}

/**
 * A local file in 64 KiB chunks (the file is closed when the iteration ends, early or not).
 *
 * @example
 * ```ts
 * for await (const chunk of fileChunks('shards/shard-000000.tar')) hash.update(chunk);
 * ```
 */
export async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const input = createReadStream(file, { highWaterMark: 65536 });
  try {
    for await (const chunk of input) yield chunk as Buffer;
  } finally {
    input.destroy();
  }
}

/** A local folder. */
function localStore(dir: string): ShardStore {
  const file = (name: string): string => path.join(dir, name);
  const missing = (name: string, err: unknown): ShardError =>
    new ShardError(
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? `${file(name)} is missing`
        : `${file(name)}: ${(err as Error).message}`,
      { shard: name, cause: err },
    );
  return {
    where: dir,
    dir,
    async readText(name) {
      try {
        return await readFile(file(name), 'utf8');
      } catch (err) {
        throw missing(name, err);
      }
    },
    async *stream(name) {
      try {
        yield* fileChunks(file(name));
      } catch (err) {
        throw missing(name, err);
      }
    },
    async close() {},
  };
}

/**
 * Where a URL points: `s3://bucket/prefix`, `http(s)://host/prefix`, or a local folder (`file://` URL or
 * path). A trailing `manifest.json` is dropped; prefixes get a trailing `/`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for another scheme or an S3 URL without a bucket.
 * @example
 * ```ts
 * parseStoreUrl('s3://data/reelset/shards'); // { kind: 's3', bucket: 'data', prefix: 'reelset/shards/' }
 * ```
 */
export function parseStoreUrl(
  url: string,
):
  | { kind: 'local'; dir: string }
  | { kind: 'http'; base: URL }
  | { kind: 's3'; bucket: string; prefix: string } {
  if (typeof url !== 'string' || url === '') {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `The shards URL must be a non-empty string, got ${String(url)}`,
    );
  }
  const trimmed = url.replace(/manifest\.json$/, '');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', dir: path.resolve(trimmed) };
  if (scheme === 'file') return { kind: 'local', dir: fileURLToPath(trimmed) };
  if (scheme === 'http' || scheme === 'https') {
    return { kind: 'http', base: new URL(trimmed.endsWith('/') ? trimmed : `${trimmed}/`) };
  }
  if (scheme === 's3') {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(trimmed);
    if (m === null || m[1] === undefined) {
      throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', `An S3 URL is s3://bucket/prefix, got ${url}`);
    }
    const prefix = m[2] ?? '';
    return {
      kind: 's3',
      bucket: m[1],
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    };
  }
  throw new ReelsetError(
    'REELSET_E_INVALID_ARGUMENT',
    `Shards are read from a path, file://, http(s):// or s3://, got ${url}`,
  );
}

/**
 * Opens the store of a URL (see {@link parseStoreUrl}); `s3Client` replaces the client reelset would make.
 *
 * @example
 * ```ts
 * const store = openStore('https://host/shards/', { retries: 3 });
 * ```
 */
export function openStore(url: string, options: StoreOptions = {}, s3Client?: S3ClientLike): ShardStore {
  const parsed = parseStoreUrl(url);
  if (parsed.kind === 'local') return localStore(parsed.dir);
  if (parsed.kind === 'http') return httpStore(parsed.base, options);
  return s3Store(parsed.bucket, parsed.prefix, `s3://${parsed.bucket}/${parsed.prefix}`, options, s3Client);
}
