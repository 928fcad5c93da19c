/**
 * @module format — the text of the commands' output: counts with the right plural, aligned tables, paths
 * shown relative to a root.
 */
import path from 'node:path';

/**
 * `n` and the noun, singular for 1 and plural otherwise: `1 file`, `2 files`, `0 entries`.
 *
 * @example
 * ```ts
 * count(1, 'file'); // '1 file'
 * count(3, 'entry', 'entries'); // '3 entries'
 * count(12345, 'item'); // '12,345 items'
 * ```
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}

/**
 * Rows of cells as lines whose columns line up: each column as wide as its widest cell, two spaces
 * between columns; `right` lists the columns aligned right (numbers). Trailing spaces are trimmed.
 *
 * @example
 * ```ts
 * table([['id', 'label', 'items'], ['8', 'Beach', '20,113']], { right: [0, 2] });
 * // ['id  label   items', ' 8  Beach  20,113']
 * ```
 */
export function table(
  rows: readonly (readonly string[])[],
  options: { right?: readonly number[] } = {},
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  const right = new Set(options.right ?? []);
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - [...cell].length);
        return right.has(i) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

/**
 * `file` relative to `root` when it lies inside it, else as it is.
 *
 * @example
 * ```ts
 * relativeTo('/tmp/demo', '/tmp/demo/Beach/12/12.mp4'); // 'Beach/12/12.mp4'
 * ```
 */
export function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}
