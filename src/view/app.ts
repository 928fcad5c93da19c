/**
 * @module view/app — the viewer's HTTP routes on hono: the Host and token guards, the page, the JSON API
 * (summary, pages of items, one item, frames, stats, check, confusion) and the media (Range, thumbnails).
 */
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { isReelsetError, messageOf, type ReelsetErrorCode } from '../errors.js';
import type { DatasetStats } from '../tools/stats.js';
import { checkInteger, invalidArgument } from '../util/options.js';
import { PAGE_FILES } from './assets.js';
import type { ViewModel } from './classifier.js';
import { frameOptions, itemDetail, sampledFrames, scannedFolder } from './item-detail.js';
import { ModelJobs, SPLIT_PARTS, type SplitPart } from './model-jobs.js';
import { fileResponse } from './range.js';
import { hostAllowed, TOKEN_HEADER, tokenCookieName, tokenMatches } from './security.js';
import type { ThumbCache } from './thumbs.js';
import { ViewIndex as Index, type ItemFilter, type ViewIndex, type ViewItem } from './view-index.js';

/**
 * What the routes serve and how they are guarded.
 *
 * @example
 * ```ts
 * const app = viewApp({ index, thumbs, token, allowed: allowedHosts('127.0.0.1', port), port, assets });
 * ```
 */
export interface ViewAppOptions {
  index: ViewIndex;
  thumbs: ThumbCache;
  token: string;
  /** The Host header values accepted (`allowedHosts`). */
  allowed: ReadonlySet<string>;
  port: number;
  /** The page's files (`loadPageAssets`). */
  assets: ReadonlyMap<string, Buffer>;
  model?: ViewModel;
}

const MEDIA_TYPES = { jpeg: 'image/jpeg', mp4: 'video/mp4' } as const;
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

function statusOf(code: ReelsetErrorCode): 400 | 403 | 404 | 422 | 500 {
  if (code === 'REELSET_E_INVALID_ARGUMENT' || code === 'REELSET_E_UNKNOWN_LABEL') return 400;
  if (code === 'REELSET_E_NOT_FOUND' || code === 'REELSET_E_MISSING_MEDIA') return 404;
  if (code === 'REELSET_E_UNSAFE_PATH') return 403;
  if (code === 'REELSET_E_FFMPEG_NOT_FOUND') return 500;
  return 422;
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** A query parameter as a number in range, or undefined when absent or empty. */
function numberParam(c: Context, name: string, min: number, max: number): number | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw invalidArgument(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function splitParam(c: Context, name = 'split'): SplitPart | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  if (!(SPLIT_PARTS as readonly string[]).includes(value)) {
    throw invalidArgument(`${name} must be one of ${SPLIT_PARTS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as SplitPart;
}

/**
 * The hono application of `reelset view`. Every request must name the server in its Host header (else 403:
 * DNS rebinding) and carry the token (query `token`, cookie, or the `x-reelset-token` header; else 403);
 * the page's URL with the token sets the cookie that `<img>` and `<video>` requests then carry. Items are
 * reached by label and folder name looked up in the index, never by a path; files are those the layout's
 * scanner lists (its link rule: links only inside the root). Nothing is written under the root.
 *
 * @example
 * ```ts
 * const app = viewApp(options);
 * const response = await app.request('/api/summary', { headers: { host: '127.0.0.1:8765', 'x-reelset-token': token } });
 * ```
 */
export function viewApp(options: ViewAppOptions): Hono {
  const { index, thumbs, token, allowed, port, assets, model } = options;
  const jobs = model === undefined ? undefined : new ModelJobs(index, model);
  const cookieName = tokenCookieName(port);
  const app = new Hono();
  let stats: Promise<DatasetStats> | undefined;
  let statsError: string | undefined;
  const check: {
    state: 'idle' | 'running' | 'done' | 'failed';
    problems: number;
    items: number;
    error?: string;
    version: number;
  } = { state: 'idle', problems: 0, items: 0, version: 0 };
  const cache = new Map<string, number[]>();

  app.use('*', async (c, next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (!hostAllowed(allowed, c.req.header('host'))) {
      return c.text(
        '403 Forbidden: this server answers only to its own address (Host header refused)\n',
        403,
      );
    }
    const fromQuery = c.req.query('token');
    const ok =
      tokenMatches(token, fromQuery) ||
      tokenMatches(token, c.req.header(TOKEN_HEADER)) ||
      tokenMatches(token, getCookie(c, cookieName));
    if (!ok) {
      return c.text('403 Forbidden: open the URL reelset view printed, with its token\n', 403);
    }
    if (tokenMatches(token, fromQuery)) {
      setCookie(c, cookieName, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    await next();
  });

  app.onError((err, c) => {
    if (isReelsetError(err)) return c.json(errorBody(err.code, err.message), statusOf(err.code));
    return c.json(errorBody('INTERNAL', messageOf(err)), 500);
  });
  app.notFound((c) => c.json(errorBody('REELSET_E_NOT_FOUND', 'no such route'), 404));

  const page = (c: Context, name: string): Response => {
    const bytes = assets.get(name);
    if (bytes === undefined) {
      return c.text('The page of reelset view was not built: run npm run build\n', 500);
    }
    return c.body(new Uint8Array(bytes), 200, { 'Content-Type': PAGE_FILES[name] as string });
  };
  app.get('/', (c) => page(c, 'index.html'));
  app.get('/assets/:file', (c) => {
    const file = c.req.param('file');
    if (file === 'index.html' || !Object.hasOwn(PAGE_FILES, file)) {
      return c.json(errorBody('REELSET_E_NOT_FOUND', 'no such asset'), 404);
    }
    return page(c, file);
  });

  /** The item a request names by label and folder name, or a 404 answer. */
  const itemOf = (c: Context): ViewItem | Response => {
    const item = index.find(c.req.param('label') ?? '', c.req.param('name') ?? '');
    return item ?? c.json(errorBody('REELSET_E_NOT_FOUND', 'no such item in the root'), 404);
  };

  app.get('/api/summary', (c) =>
    c.json({
      root: index.root,
      labels: index.labelCounts(),
      items: index.items.length,
      indexed: index.indexedCount,
      indexing: index.indexing,
      failure: index.failure === undefined ? null : messageOf(index.failure),
      rootProblems: index.rootProblems,
      problems: index.problemCounts(),
      check: { state: check.state, problems: check.problems, items: check.items, error: check.error ?? null },
      model:
        model === undefined
          ? null
          : {
              source: model.source,
              runtime: model.classifier.runtime,
              labels: model.classifier.labels,
              split: model.split,
              inputs: model.inputs,
            },
    }),
  );

  app.get('/api/health', (c) => c.json({ memory: process.memoryUsage(), uptimeSec: process.uptime() }));

  app.get('/api/items', (c) => {
    const offset = numberParam(c, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const limit = numberParam(c, 'limit', 1, 500) ?? 60;
    const filter: ItemFilter = {};
    const label = numberParam(c, 'label', 0, 30);
    if (label !== undefined) filter.labelId = label;
    const q = c.req.query('q');
    if (q) filter.text = q;
    const min = numberParam(c, 'minDur', 0, 1e6);
    if (min !== undefined) filter.minDurationSec = min;
    const max = numberParam(c, 'maxDur', 0, 1e6);
    if (max !== undefined) filter.maxDurationSec = max;
    const missing = c.req.query('missing');
    if (missing) {
      if (!['any', 'none', 'txt', 'jpeg', 'mp4'].includes(missing)) {
        throw invalidArgument(`missing must be any, none, txt, jpeg or mp4, got ${JSON.stringify(missing)}`);
      }
      filter.missing = missing as ItemFilter['missing'];
    }
    const problem = c.req.query('problem');
    if (problem) filter.problem = problem;
    const split = splitParam(c);
    const truth = numberParam(c, 'truth', 0, 1000);
    const predicted = numberParam(c, 'pred', 0, 1000);
    const misclassified = c.req.query('misclassified') === '1';
    const leastConfident = c.req.query('sort') === 'least-confident';
    const modelFilter =
      split !== undefined || truth !== undefined || predicted !== undefined || misclassified;
    if ((modelFilter || leastConfident) && jobs === undefined) {
      throw invalidArgument('the model filters need reelset view --model');
    }
    let job: ReturnType<ModelJobs['split']> | undefined;
    if (jobs !== undefined && (modelFilter || leastConfident)) {
      job = jobs.split(split ?? 'test');
      let only = job.positions.filter((n) => {
        const p = jobs.predictions.get(n);
        const item = index.items[n];
        if (p === undefined || item === undefined) return false;
        if (truth !== undefined && item.labelId !== truth) return false;
        if (predicted !== undefined && p.labelId !== predicted) return false;
        return !misclassified || p.labelId !== item.labelId;
      });
      if (leastConfident) {
        only = only.sort(
          (a, b) => (jobs.predictions.get(a)?.confidence ?? 0) - (jobs.predictions.get(b)?.confidence ?? 0),
        );
      }
      filter.only = only;
    }
    const key = JSON.stringify([filter, index.indexedCount, check.version, jobs?.version]);
    let positions = cache.get(key);
    if (positions === undefined) {
      positions = index.matching(filter);
      if (cache.size >= 16) cache.delete(cache.keys().next().value as string);
      cache.set(key, positions);
    }
    const page = positions.slice(offset, offset + limit).map((n) => summaryOf(index.items[n] as ViewItem));
    return c.json({
      total: positions.length,
      offset,
      limit,
      partial: index.indexing || (job !== undefined && job.state === 'running'),
      items: page,
    });
  });

  /** One item of a page: what a tile shows. */
  const summaryOf = (item: ViewItem) => {
    const p = jobs?.predictions.get(item.n);
    return {
      n: item.n,
      label: item.label,
      labelId: item.labelId,
      name: item.name,
      id: item.id ?? null,
      indexed: item.indexed,
      brief: item.brief.length > 140 ? `${item.brief.slice(0, 140)}…` : item.brief,
      durationSec: item.durationSec,
      missing: item.missing,
      problems: [...new Set(Index.problems(item).map((x) => x.code))],
      prediction: p === undefined ? null : { labelId: p.labelId, confidence: p.confidence },
    };
  };

  app.get('/api/item/:label/:name', async (c) => {
    const item = itemOf(c);
    if (item instanceof Response) return item;
    const detail = await itemDetail(item);
    let prediction = null;
    let encoding = null;
    if (jobs !== undefined && model !== undefined) {
      try {
        const p = await jobs.predictItem(item);
        prediction = p ?? null;
      } catch (err) {
        prediction = { error: messageOf(err) };
      }
      if (model.encode !== undefined && detail.txtProblem === null) encoding = model.encode(detail.brief);
    }
    return c.json({
      ...detail,
      n: item.n,
      problems: Index.problems(item),
      split: jobs?.partOf.get(item.n) ?? null,
      prediction,
      encoding,
    });
  });

  app.get('/api/frames/:label/:name', async (c) => {
    const item = itemOf(c);
    if (item instanceof Response) return item;
    const options = frameOptions(new URL(c.req.url).searchParams);
    const folder = await scannedFolder(item);
    const mp4 = folder?.files.mp4;
    if (folder === undefined || mp4 === undefined) {
      return c.json(errorBody('REELSET_E_MISSING_MEDIA', 'this item has no clip'), 404);
    }
    return c.json(await sampledFrames(mp4.openPath, folder.id as string, options));
  });

  app.get('/media/:label/:name/:kind', async (c) => {
    const kind = c.req.param('kind');
    if (kind !== 'jpeg' && kind !== 'mp4')
      return c.json(errorBody('REELSET_E_NOT_FOUND', 'no such file'), 404);
    const item = itemOf(c);
    if (item instanceof Response) return item;
    const folder = await scannedFolder(item);
    const file = folder?.files[kind];
    if (file === undefined) {
      const escapes = folder?.problems.some((p) => p.kind === kind) ?? false;
      return escapes
        ? c.json(errorBody('REELSET_E_UNSAFE_PATH', 'the file is a link that leaves the root'), 403)
        : c.json(errorBody('REELSET_E_MISSING_MEDIA', `this item has no ${kind}`), 404);
    }
    const response = await fileResponse(file.openPath, MEDIA_TYPES[kind], c.req.raw);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
    return response;
  });

  app.get('/thumb/:label/:name', async (c) => {
    const item = itemOf(c);
    if (item instanceof Response) return item;
    const folder = await scannedFolder(item);
    const jpeg = folder?.files.jpeg;
    if (jpeg === undefined)
      return c.json(errorBody('REELSET_E_MISSING_MEDIA', 'this item has no cover'), 404);
    const bytes = await thumbs.get(jpeg.openPath);
    return c.body(new Uint8Array(bytes), 200, {
      'Content-Type': 'image/jpeg',
      'Cache-Control': 'private, max-age=3600',
    });
  });

  app.get('/api/stats', async (c) => {
    if (stats === undefined) {
      stats = import('../tools/stats.js').then(({ computeStats }) =>
        computeStats(index.root, { concurrency: 8 }),
      );
      stats.catch((err: unknown) => {
        statsError = messageOf(err);
      });
    }
    if (statsError !== undefined) return c.json(errorBody('REELSET_E_STATS', statsError), 500);
    const s = await stats;
    return c.json({
      labels: s.labels,
      items: s.items,
      distinctIds: s.distinctIds,
      shared: s.shared,
      durations: s.durations,
      disk: s.disk ?? null,
      skips: s.skips,
      warnings: s.warnings,
    });
  });

  app.get('/api/check', (c) => c.json(check));
  app.post('/api/check', async (c) => {
    if (check.state !== 'running') {
      check.state = 'running';
      check.problems = 0;
      check.error = undefined;
      import('../tools/check.js')
        .then(({ checkDataset }) =>
          checkDataset(index.root, {
            concurrency: 2,
            onProblem: () => {
              check.problems++;
            },
          }),
        )
        .then((summary) => {
          index.recordCheck(summary.problems);
          check.items = summary.items;
          check.problems = summary.problemCount;
          check.state = 'done';
          check.version++;
        })
        .catch((err: unknown) => {
          check.state = 'failed';
          check.error = messageOf(err);
        });
    }
    return c.json(check, 202);
  });

  app.get('/api/confusion', (c) => {
    if (jobs === undefined || model === undefined)
      throw invalidArgument('the confusion matrix needs --model');
    const part = splitParam(c) ?? 'test';
    const job = jobs.split(part);
    const { matrix, samples, accuracy } = jobs.confusion(part);
    return c.json({
      split: part,
      record: model.split,
      state: job.state,
      error: job.error ?? null,
      failed: job.failed,
      samples,
      accuracy,
      labels: model.classifier.labels,
      matrix,
    });
  });

  // Bounds checked once here so a bad limit in a test reads the same as from the page.
  checkInteger('port', port, 0, 65_535);
  return app;
}
