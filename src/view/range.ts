/**
 * @module view/range — a file as an HTTP response that honours `Range: bytes=...` (206 with
 * `Content-Range`, suffix and open ranges, 416 when nothing is satisfiable), so a `<video>` can seek.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * What a `Range` header asks of a file of `size` bytes: one inclusive byte range, `'unsatisfiable'`
 * (answer 416), or `undefined` when the header is absent, malformed, not in bytes or asks several ranges
 * (then the whole file is sent, as RFC 9110 allows).
 *
 * @example
 * ```ts
 * parseRange('bytes=0-99', 1000); // { start: 0, end: 99 }
 * parseRange('bytes=-100', 1000); // { start: 900, end: 999 }
 * parseRange('bytes=2000-', 1000); // 'unsatisfiable'
 * ```
 */
export function parseRange(
  header: string | undefined | null,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/**
 * A response with the bytes of `file` (a path the caller has already checked): 200 with the whole file,
 * 206 with `Content-Range` for a satisfiable `Range`, 416 with `Content-Range: bytes *\/size` otherwise;
 * `Accept-Ranges: bytes` and `Last-Modified` always. A `HEAD` request gets the headers only.
 *
 * @example
 * ```ts
 * app.get('/clip', (c) => fileResponse('data/Beach/12/12.mp4', 'video/mp4', c.req.raw));
 * ```
 */
export async function fileResponse(file: string, contentType: string, request: Request): Promise<Response> {
  const info = await stat(file);
  const size = info.size;
  const headers = new Headers({
    'Content-Type': contentType,
    'Accept-Ranges': 'bytes',
    'Last-Modified': info.mtime.toUTCString(),
    'Cache-Control': 'private, max-age=60',
  });
  const range = parseRange(request.headers.get('range'), size);
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  headers.set('Content-Length', String(length));
  if (range !== undefined) headers.set('Content-Range', `bytes ${start}-${end}/${size}`);
  const status = range === undefined ? 200 : 206;
  if (request.method === 'HEAD' || length === 0) return new Response(null, { status, headers });
  const stream = createReadStream(file, { start, end });
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
}
