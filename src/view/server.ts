/**
 * @module view/server — starts `reelset view`: checks its options, indexes the root in the background, loads
 * the model when given, binds the hono app on @hono/node-server and gives the URL with its token.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ReelsetError } from '../errors.js';
import { checkInteger, describeValue, invalidArgument } from '../util/options.js';
import { viewApp } from './app.js';
import { findPageDir, loadPageAssets } from './assets.js';
import type { ViewModel } from './classifier.js';
import { allowedHosts, isLoopback, newToken } from './security.js';
import { defaultThumbDir, ThumbCache } from './thumbs.js';
import { ViewIndex } from './view-index.js';

/**
 * Options of {@link startView}.
 *
 * @example
 * ```ts
 * const options: ViewOptions = { port: 0, host: '127.0.0.1', model: 'runs/lite', cacheDir: '/tmp/thumbs' };
 * ```
 */
export interface ViewOptions {
  /** The port (0: any free port). Default 0. */
  port?: number;
  /** The address to bind. Default `127.0.0.1`; anything else that is not loopback warns on stderr. */
  host?: string;
  /** A model directory written by `reelset train`, or an `.onnx` file written by `reelset export`. */
  model?: string;
  /** The thumbnail cache (outside the root). Default `~/.cache/reelset/thumbs`. */
  cacheDir?: string;
  /** The token of the URL. Default: a fresh random one. */
  token?: string;
  /** The folder of the built page. Default: found beside the code (`dist/view/page`). */
  pageDir?: string;
  /** Where warnings go. Default: standard error. */
  warn?: (line: string) => void;
}

/**
 * A running viewer.
 *
 * @example
 * ```ts
 * const view = await startView('data');
 * console.log(view.url);
 * await view.close();
 * ```
 */
export interface RunningView {
  /** The URL to open, token included. */
  url: string;
  /** The URL without the token. */
  origin: string;
  token: string;
  port: number;
  host: string;
  index: ViewIndex;
  /** Resolves when the index is complete. */
  indexed: Promise<void>;
  model: ViewModel | undefined;
  close: () => Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Starts the viewer of a data set root: lists and reads the root in the background (the page shows items
 * as they come), loads `model` when given (tfjs only then), and listens on `host:port`. The page and its
 * API answer only requests whose Host header names this server and that carry the token.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option or an `.onnx` model;
 *   `REELSET_E_NOT_FOUND` when the root is not a readable folder.
 * @example
 * ```ts
 * const view = await startView('data', { port: 8765 });
 * process.stdout.write(`${view.url}\n`);
 * ```
 */
export async function startView(root: string, options: ViewOptions = {}): Promise<RunningView> {
  if (typeof root !== 'string' || root === '') {
    throw invalidArgument(`reelset view needs a root folder, got ${describeValue(root)}`);
  }
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw invalidArgument('host must be a non-empty string');
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let model: ViewModel | undefined;
  if (options.model !== undefined) {
    const { loadViewModel } = await import('./classifier.js');
    model = await loadViewModel(options.model);
  }
  const index = new ViewIndex(root);
  const indexed = index.build();
  indexed.catch(() => undefined);
  const assets = await loadPageAssets(findPageDir(options.pageDir));
  const token = options.token ?? newToken();
  const thumbs = new ThumbCache(options.cacheDir ?? defaultThumbDir());

  let app: ReturnType<typeof viewApp> | undefined;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      { fetch: (request, env) => (app as NonNullable<typeof app>).fetch(request, env), port, hostname: host },
      () => resolve(s),
    );
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ReelsetError(
          err.code === 'EADDRINUSE' ? 'REELSET_E_INVALID_ARGUMENT' : 'REELSET_E_NOT_FOUND',
          `cannot listen on ${host}:${port}: ${err.message}`,
          { cause: err },
        ),
      ),
    );
  });
  const bound = (server.address() as AddressInfo).port;
  app = viewApp({ index, thumbs, token, allowed: allowedHosts(host, bound), port: bound, assets, model });
  if (!isLoopback(host)) {
    warn(
      `reelset view: warning: listening on ${host}, not only on this machine: anyone who can reach it and has the token can see the data`,
    );
  }
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const origin = `http://${urlHost(shownHost)}:${bound}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port: bound,
    host,
    index,
    indexed,
    model,
    close: () =>
      new Promise<void>((resolve) => {
        const s = server as unknown as { close: (cb: () => void) => void; closeAllConnections?: () => void };
        s.close(() => resolve());
        s.closeAllConnections?.();
      }),
  };
}
