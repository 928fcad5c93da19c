/**
 * @module view-http.test — `reelset view`'s HTTP guards and media, on a synthesized set: Range requests (206,
 * suffix, open, 416), traversal attempts (`..`, `%2e%2e`, absolute paths, links leaving the root), a wrong
 * Host header and a missing or wrong token, each refused; nothing under the root changes.
 */

import { readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';
import { type RunningView, startView } from '../src/view/server.js';
import { tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root = '';
let view: RunningView;
let clip = '';
let clipSize = 0;
let listing = '';
let linked = '';

/** Everything under a folder, with sizes and mtimes, as one string. */
async function snapshot(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const s = await stat(p).catch(() => undefined);
      lines.push(`${p} ${s?.size} ${s?.mtimeMs}`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return lines.sort().join('\n');
}

/** A raw GET (the path sent as written, not normalized), with the token unless told otherwise. */
function get(
  path: string,
  headers: Record<string, string> = {},
  withToken = true,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: view.port,
        path,
        method: 'GET',
        headers: { ...(withToken ? { 'x-reelset-token': view.token } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  tmp = await tempDir('view-http');
  root = join(tmp.path, 'data');
  const report = await synthesize(root, {
    labels: ['Beach', 'City'],
    perLabel: 2,
    seconds: 0.3,
    seed: 4,
    concurrency: 2,
  });
  const first = report.items[0];
  if (first === undefined) throw new Error('no item');
  clip = `/media/${first.label}/${first.id}/mp4`;
  clipSize = (await stat(join(root, first.label, first.id, `${first.id}.mp4`))).size;
  // A secret outside the root, and links to it from inside.
  await writeFile(join(tmp.path, 'secret.txt'), 'TOP-SECRET');
  const second = report.items[1];
  if (second === undefined) throw new Error('no item');
  linked = `/media/${second.label}/${second.id}/jpeg`;
  await rm(join(root, second.label, second.id, `${second.id}.jpeg`));
  await symlink(join(tmp.path, 'secret.txt'), join(root, second.label, second.id, `${second.id}.jpeg`));
  await symlink(tmp.path, join(root, 'Beach', '99999999'));
  listing = await snapshot(root);
  view = await startView(root, { cacheDir: join(tmp.path, 'thumbs') });
  await view.indexed;
});
afterAll(async () => {
  await view?.close();
  await tmp.remove();
});

describe('reelset view over HTTP', () => {
  it('binds 127.0.0.1 and prints a URL with a 48-digit token', () => {
    expect(view.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('answers Range requests: 206 with Content-Range, suffix and open ranges, 416 past the end', async () => {
    const whole = await get(clip);
    expect(whole.status).toBe(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.body.length).toBe(clipSize);
    const part = await get(clip, { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${clipSize}`);
    expect(part.body.equals(whole.body.subarray(10, 20))).toBe(true);
    const suffix = await get(clip, { range: 'bytes=-16' });
    expect(suffix.status).toBe(206);
    expect(suffix.headers['content-range']).toBe(`bytes ${clipSize - 16}-${clipSize - 1}/${clipSize}`);
    expect(suffix.body.equals(whole.body.subarray(clipSize - 16))).toBe(true);
    const open = await get(clip, { range: `bytes=${clipSize - 5}-` });
    expect(open.status).toBe(206);
    expect(open.body.length).toBe(5);
    const past = await get(clip, { range: `bytes=${clipSize + 10}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${clipSize}`);
  });

  it('refuses traversal: .., encoded %2e%2e and %2f, absolute paths, links leaving the root', async () => {
    const attempts = [
      '/media/../../etc/passwd',
      '/media/Beach/../../../etc/passwd/mp4',
      '/media/%2e%2e/%2e%2e/jpeg',
      '/media/Beach/%2e%2e%2f%2e%2e%2fsecret.txt/jpeg',
      '/media/%2Fetc%2Fpasswd/x/jpeg',
      '//etc/passwd',
      '/media//etc/passwd/jpeg',
      '/media/Beach/99999999/jpeg',
      '/media/Beach/99999999/mp4',
      '/thumb/Beach/99999999',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/package.json',
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect([400, 403, 404], path).toContain(r.status);
      expect(r.body.toString(), path).not.toContain('TOP-SECRET');
      expect(r.body.toString(), path).not.toContain('root:x:0');
    }
    // A cover that is a link leaving the root: 403, never its bytes; the item view says why.
    const escaping = await get(linked);
    expect(escaping.status).toBe(403);
    expect(escaping.body.toString()).not.toContain('TOP-SECRET');
    const detail = (await get(`/api/item${linked.slice('/media'.length, -'/jpeg'.length)}`)).body.toString();
    expect(detail).toContain('a symbolic link that leaves the root');
    expect(detail).not.toContain('TOP-SECRET');
  });

  it('refuses a wrong or missing Host header with 403 (DNS rebinding)', async () => {
    expect((await get('/api/summary', { host: 'evil.example:80' })).status).toBe(403);
    expect((await get('/api/summary', { host: `attacker.test:${view.port}` })).status).toBe(403);
    expect((await get(clip, { host: 'evil.example' })).status).toBe(403);
    expect((await get('/api/summary', { host: `localhost:${view.port}` })).status).toBe(200);
  });

  it('refuses requests without the token, or with a wrong one, with 403', async () => {
    for (const path of ['/', '/api/summary', '/api/items', clip, '/assets/app.js']) {
      expect((await get(path, {}, false)).status, path).toBe(403);
      expect((await get(path, { 'x-reelset-token': 'x'.repeat(48) }, false)).status, path).toBe(403);
      expect((await get(path, { cookie: `reelset_token_${view.port}=nope` }, false)).status, path).toBe(403);
    }
    const viaQuery = await get(`/api/summary?token=${view.token}`, {}, false);
    expect(viaQuery.status).toBe(200);
    const cookie = String(viaQuery.headers['set-cookie']);
    expect(cookie).toContain(`reelset_token_${view.port}=${view.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(
      (await get('/api/summary', { cookie: `reelset_token_${view.port}=${view.token}` }, false)).status,
    ).toBe(200);
  });

  it('pages, filters and searches from the index; leaves the root as it was', async () => {
    const page = JSON.parse((await get('/api/items?limit=2')).body.toString()) as {
      total: number;
      items: unknown[];
    };
    expect(page.total).toBe(5);
    expect(page.items).toHaveLength(2);
    const bad = JSON.parse((await get('/api/items?problem=any')).body.toString()) as {
      items: Array<{ name: string }>;
    };
    expect(bad.items.map((i) => i.name)).toContain('99999999');
    expect((await get('/api/items?limit=100000')).status).toBe(400);
    expect(await snapshot(root)).toBe(listing);
  });
});

describe('reelset view --model model.onnx', () => {
  it('runs the exported model with onnxruntime on the server: the runtime named, a prediction per item', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { createBaseline } = await import('../src/baseline/model.js');
    const { presetPreprocessing } = await import('../src/baseline/preprocessing.js');
    const { buildVocab } = await import('../src/loaders/decode/text.js');
    const { openDataset } = await import('../src/loaders/open.js');
    const { exportOnnx } = await import('../src/onnx/export.js');
    await tf.setBackend('cpu');
    const vocab = await buildVocab(openDataset(root), { lowercase: true });
    const pre = presetPreprocessing('lite', { text: { vocabSize: vocab.size } });
    const model = createBaseline({ preprocessing: pre, seed: 2 });
    const file = join(tmp.path, 'lite.onnx');
    await exportOnnx(model, file, { preprocessing: pre, vocabulary: vocab });
    model.dispose();
    const withModel = await startView(root, { cacheDir: join(tmp.path, 'thumbs'), model: file });
    try {
      await withModel.indexed;
      const ask = (path: string) =>
        new Promise<string>((resolve, reject) => {
          request(
            {
              host: '127.0.0.1',
              port: withModel.port,
              path,
              headers: { 'x-reelset-token': withModel.token },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve(Buffer.concat(chunks).toString()));
            },
          )
            .on('error', reject)
            .end();
        });
      const summary = JSON.parse(await ask('/api/summary')) as {
        model: { runtime: string; labels: string[] };
      };
      expect(summary.model.runtime).toBe('onnxruntime-node (cpu) on the server');
      expect(summary.model.labels).toHaveLength(31);
      const page = JSON.parse(await ask('/api/items?limit=1')) as {
        items: Array<{ label: string; name: string }>;
      };
      const first = page.items[0] as { label: string; name: string };
      const item = JSON.parse(await ask(`/api/item/${encodeURIComponent(first.label)}/${first.name}`)) as {
        prediction: { labelId: number; confidence: number; top: Array<[number, number]> } | null;
      };
      expect(item.prediction?.top).toHaveLength(5);
      expect(item.prediction?.top[0]).toEqual([item.prediction?.labelId, item.prediction?.confidence]);
    } finally {
      await withModel.close();
    }
  }, 120_000);
});
