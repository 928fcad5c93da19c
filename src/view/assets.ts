/**
 * @module view/assets — the page's built files (`dist/view/page`: index.html, app.js, app.css), found beside
 * the running code and held in memory; only these names are ever served.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The page's files and their content types: nothing else is served as an asset.
 *
 * @example
 * ```ts
 * PAGE_FILES['app.js']; // 'text/javascript; charset=utf-8'
 * ```
 */
export const PAGE_FILES: Readonly<Record<string, string>> = Object.freeze({
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
});

/**
 * The folder of the built page: `dir` when given, else `dist/view/page` as seen from the built command
 * (`dist/cli/*.js`) or from the sources (`src/view/*.ts`, after `npm run build`); undefined when not built.
 *
 * @example
 * ```ts
 * const dir = findPageDir(); // '/.../node_modules/reelset/dist/view/page'
 * ```
 */
export function findPageDir(dir?: string): string | undefined {
  const candidates = dir !== undefined ? [dir] : ['../view/page/', '../../dist/view/page/'];
  for (const candidate of candidates) {
    const folder = dir !== undefined ? candidate : fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${folder}/index.html`)) return folder;
  }
  return undefined;
}

/**
 * Reads the page's files into memory: name -> bytes (those of {@link PAGE_FILES} that exist).
 *
 * @example
 * ```ts
 * const assets = await loadPageAssets(findPageDir());
 * ```
 */
export async function loadPageAssets(dir: string | undefined): Promise<Map<string, Buffer>> {
  const assets = new Map<string, Buffer>();
  if (dir === undefined) return assets;
  for (const name of Object.keys(PAGE_FILES)) {
    try {
      assets.set(name, await readFile(`${dir}/${name}`));
    } catch {}
  }
  return assets;
}
