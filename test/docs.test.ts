/**
 * @module docs.test — the documentation links only to files that exist in the repository (or to web
 * addresses): no link leaves it, none is broken.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((name) => join('docs', name))].filter((f) =>
  f.endsWith('.md'),
);

describe('documentation links', () => {
  it.each(DOCS)('%s links only to files inside the repository that exist', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
    const local = targets.filter((t) => !/^(https?:|mailto:|#)/.test(t));
    for (const target of local) {
      const path = resolve(dirname(join(ROOT, file)), target.split('#')[0] ?? '');
      expect(relative(ROOT, path).startsWith('..'), `${file} links outside the repository: ${target}`).toBe(
        false,
      );
      expect(existsSync(path), `${file} links to a missing file: ${target}`).toBe(true);
    }
    expect(text, `${file} names a file outside the repository`).not.toMatch(/\.\.\/shared|shared\/seed/);
  });
});
