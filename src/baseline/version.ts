/** @module version — reelset's own version, read once from its package.json (recorded in model directories and checkpoints). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * reelset's version (`package.json`'s `version`), or `'unknown'` when the package.json cannot be found (a
 * bundler that left it behind). This module is `src/baseline/version.ts` in the repository and a chunk of
 * `dist/` in the package: the package's root is the nearest folder above whose package.json is reelset's.
 *
 * @example
 * ```ts
 * reelsetVersion(); // '0.1.0'
 * ```
 */
export function reelsetVersion(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'reelset' && typeof pkg.version === 'string') {
        cached = pkg.version;
        return cached;
      }
    } catch {
      // no package.json here: look further up
    }
    dir = path.dirname(dir);
  }
  cached = 'unknown';
  return cached;
}
