/**
 * @module server — a test HTTP server on 127.0.0.1 serving the files of a folder, with Range / If-Range,
 * ETag and Last-Modified, and fault injection per path or at random (seeded): reset mid-body, 500, 503,
 * 429 with Retry-After, a body shorter than its Content-Length, a slow trickle, Range ignored, a redirect
 * loop. Every request is logged.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

/**
 * A fault a response can carry.
 *
 * @example
 * ```ts
 * const faults: Fault[] = ['reset', '503', 'short'];
 * ```
 */
export type Fault = 'reset' | '500' | '503' | '429' | 'short' | 'trickle' | 'ignore-range' | 'redirect-loop';

/** The faults a random injection picks from by default (a loop is not retryable, so it is left out). */
export const RANDOM_FAULTS: readonly Fault[] = [
  'reset',
  '500',
  '503',
  '429',
  'short',
  'trickle',
  'ignore-range',
];

/**
 * Options of {@link startServer}; mutable while the server runs (`server.options`).
 *
 * @example
 * ```ts
 * const options: ServerOptions = { root: '/tmp/files', random: { rate: 0.2, seed: 1 }, retryAfterSeconds: 0 };
 * ```
 */
export interface ServerOptions {
  /** The folder served: `GET /a/b.mp4` serves `<root>/a/b.mp4`. */
  root: string;
  /** Faults per URL path, consumed one per request, in order. */
  faults?: Record<string, Fault[]>;
  /** Random faults: each request gets one with probability `rate`, at most `maxPerPath` per path (default 2). */
  random?: { rate: number; seed: number; kinds?: readonly Fault[]; maxPerPath?: number };
  /** `Retry-After` of a 429 (seconds, or a string such as an HTTP date). Default 0. */
  retryAfter?: number | string;
  /** Trickle speed: `bytes` every `everyMs`. Default 2048 bytes every 5 ms. */
  trickle?: { bytes: number; everyMs: number };
  /** Every response trickles. */
  slowAll?: boolean;
  /** Fixed redirects: path → Location (302). */
  redirects?: Record<string, string>;
  /** Send an ETag (default true). */
  etag?: boolean;
  /** Send Last-Modified (default true). */
  lastModified?: boolean;
}

/**
 * One request as the server saw it.
 *
 * @example
 * ```ts
 * const gets = server.log.filter((r: LoggedRequest) => r.path === '/Beach/1.mp4');
 * ```
 */
export interface LoggedRequest {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  fault: Fault | undefined;
  headers: IncomingMessage['headers'];
}

/**
 * A running test server.
 *
 * @example
 * ```ts
 * const server = await startServer({ root });
 * console.log(server.url('/Beach/1.mp4'));
 * await server.close();
 * ```
 */
export interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port><path>`. */
  url(pathname: string): string;
  options: ServerOptions;
  log: LoggedRequest[];
  close(): Promise<void>;
}

/** mulberry32 of a 32-bit seed: one number in [0, 1). */
function unit(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function strHash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the server on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * const server = await startServer({ root, faults: { '/Beach/1.mp4': ['503', 'reset'] } });
 * ```
 */
export async function startServer(options: ServerOptions): Promise<TestServer> {
  const log: LoggedRequest[] = [];
  const counts = new Map<string, number>();
  const randomCount = new Map<string, number>();
  const sockets = new Set<Socket>();
  const root = path.resolve(options.root);
  const state = { options };

  const pickFault = (p: string): Fault | undefined => {
    const o = state.options;
    const queue = o.faults?.[p];
    if (queue && queue.length > 0) return queue.shift();
    const r = o.random;
    if (!r) return undefined;
    const n = counts.get(p) ?? 0;
    counts.set(p, n + 1);
    const used = randomCount.get(p) ?? 0;
    if (used >= (r.maxPerPath ?? 2)) return undefined;
    const h = strHash(`${p}#${n}`, r.seed);
    if (unit(h) >= r.rate) return undefined;
    randomCount.set(p, used + 1);
    const kinds = r.kinds ?? RANDOM_FAULTS;
    return kinds[Math.floor(unit(h ^ 0x5bd1e995) * kinds.length)];
  };

  const trickle = async (res: ServerResponse, body: Buffer): Promise<void> => {
    const { bytes, everyMs } = state.options.trickle ?? { bytes: 2048, everyMs: 5 };
    for (let at = 0; at < body.length; at += bytes) {
      if (res.destroyed) return;
      res.write(body.subarray(at, at + bytes));
      await sleep(everyMs);
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = decodeURIComponent(url.pathname);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: p,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      status: 0,
      fault: undefined,
      headers: req.headers,
    };
    log.push(entry);
    const o = state.options;
    const send = (status: number, headers: Record<string, string | number> = {}, body = ''): void => {
      entry.status = status;
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const fixed = o.redirects?.[p];
    if (fixed !== undefined) return send(302, { location: fixed });
    const fault = url.searchParams.has('loop') ? undefined : pickFault(p);
    entry.fault = fault;
    if (url.searchParams.has('loop')) return send(302, { location: p });
    if (fault === 'redirect-loop') return send(302, { location: `${p}?loop=1` });
    if (fault === '500' || fault === '503') return send(Number(fault), {}, 'fault');
    if (fault === '429') return send(429, { 'retry-after': String(o.retryAfter ?? 0) }, 'slow down');
    const file = path.join(root, p);
    if (!file.startsWith(root + path.sep)) return send(403);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(file);
      if (!st.isFile()) return send(404);
    } catch {
      return send(404, {}, 'not found');
    }
    const size = st.size;
    const etag = `"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const lastModified = st.mtime.toUTCString();
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    if (o.etag !== false) headers.etag = etag;
    if (o.lastModified !== false) headers['last-modified'] = lastModified;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'] as string | undefined;
    const rangeValid = ifRange === undefined || ifRange === etag || ifRange === lastModified;
    if (range && rangeValid && fault !== 'ignore-range') {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= size) return send(416, { ...headers, 'content-range': `bytes */${size}` });
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    const length = end - start + 1;
    headers['content-length'] = length;
    entry.status = status;
    if (fault === undefined && !o.slowAll) {
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || length === 0) {
        res.end();
        return;
      }
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    const body = (await readFile(file)).subarray(start, end + 1);
    res.writeHead(status, headers);
    if (fault === 'reset') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (fault === 'short') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.end());
      return;
    }
    await trickle(res, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (pathname) => `http://127.0.0.1:${port}${pathname}`,
    get options() {
      return state.options;
    },
    set options(value: ServerOptions) {
      state.options = value;
    },
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
