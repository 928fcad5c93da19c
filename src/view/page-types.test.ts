/**
 * @module page-types.test — the page's TypeScript (`src/view/page`, browser code with the DOM library, left
 * out of the root tsconfig) type-checks with its own tsconfig.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the page of reelset view', () => {
  it('type-checks with src/view/page/tsconfig.json', () => {
    const repo = join(import.meta.dirname, '..', '..');
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', join(repo, 'src', 'view', 'page', 'tsconfig.json')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
