/**
 * @module check — the integrity check of an on-disk data set: every item has its files, the cover decodes,
 * the clip probes, the `.txt` parses and names its folder's id; `fix` renames URL-named media to `<id>.*`.
 */
import { link, lstat, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isReelsetError, messageOf, type ReelsetErrorCode } from '../errors.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, decodeImage } from '../loaders/decode/image.js';
import { probeVideo } from '../loaders/decode/video.js';
import { readItemTxt } from '../loaders/layout/item-files.js';
import { MEDIA_KINDS } from '../loaders/layout/naming.js';
import { layoutRootHint } from '../loaders/layout/root-hint.js';
import {
  type ItemFile,
  itemFileNames,
  type ProblemKind,
  readItemFolder,
  type ScannedItem,
  scanLayout,
} from '../loaders/layout/scan.js';
import { forEachLimit } from '../util/concurrency.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  describeValue,
  invalidArgument,
} from '../util/options.js';

/**
 * One problem found by {@link checkDataset}: one line of the JSONL report.
 *
 * @example
 * ```ts
 * const problem: CheckProblem = {
 *   path: 'data/Beach/12/12.jpeg', id: '12', label: 'Beach', kind: 'jpeg',
 *   code: 'REELSET_E_BAD_IMAGE', reason: 'Cannot decode the image ...',
 * };
 * ```
 */
export interface CheckProblem {
  /** The file (or folder) concerned. */
  path: string;
  /** The mp4_id, or null when the folder name is not one. */
  id: string | null;
  /** The label folder's name. */
  label: string;
  kind: ProblemKind;
  code: ReelsetErrorCode;
  reason: string;
}

/**
 * A URL-named file renamed to `<id>.*` (with `fix`), or that `fix` would rename.
 *
 * @example
 * ```ts
 * const rename: CheckRename = {
 *   from: 'data/Beach/12/000000012_iconl.jpeg', to: 'data/Beach/12/12.jpeg',
 *   id: '12', label: 'Beach', kind: 'jpeg', done: true,
 * };
 * ```
 */
export interface CheckRename {
  from: string;
  to: string;
  id: string;
  label: string;
  kind: 'jpeg' | 'mp4';
  /** True when renamed; false when only found (no `fix`). */
  done: boolean;
}

/**
 * Options of {@link checkDataset}.
 *
 * @example
 * ```ts
 * const options: CheckOptions = { fix: true, concurrency: 8, onProblem: (p) => console.log(p.code, p.path) };
 * ```
 */
export interface CheckOptions {
  /** Rename URL-named media (`<id9>_iconl.jpeg`, `<id9>_main_xl.mp4`) to `<id>.jpeg` / `<id>.mp4`. */
  fix?: boolean;
  /** Items checked at once (each may run one ffprobe). Default 4. */
  concurrency?: number;
  /** Only these label folders. Default: all. */
  labels?: readonly string[];
  /** The most pixels a cover may have. Default 50 M. */
  limitInputPixels?: number;
  /** Time limit of one ffprobe, in milliseconds. Default 30000. */
  probeTimeoutMs?: number;
  /** Called with each problem as it is found. */
  onProblem?: (problem: CheckProblem) => void;
  /** Called with each rename (done, or to do without `fix`). */
  onRename?: (rename: CheckRename) => void;
}

/**
 * What {@link checkDataset} found.
 *
 * @example
 * ```ts
 * const summary: CheckSummary = await checkDataset('data');
 * if (summary.problemCount > 0) process.exitCode = 2;
 * ```
 */
export interface CheckSummary {
  /** The root, resolved. */
  root: string;
  /** Item folders checked (entries of label folders, bad names included). */
  items: number;
  /** Items with no problem. */
  cleanItems: number;
  problemCount: number;
  byCode: Record<string, number>;
  byKind: Record<string, number>;
  /** Every problem, sorted by path (about 200 bytes each: fine for the 60,000 of the real data). */
  problems: CheckProblem[];
  /** Renames done (`fix`) or to do. */
  renames: CheckRename[];
  renamed: number;
  /** URL-named files that `fix` would rename (0 after a fix without conflicts). */
  toRename: number;
  /**
   * What looks wrong with the root as a whole, e.g. a label folder given as the root
   * (`data/Beach looks like a label folder ...: did you mean data?`). Empty when nothing does.
   */
  warnings: string[];
}

/**
 * A decoder's message with the file's path replaced by its name: a problem's `path` already says where,
 * so its `reason` says it once (`The image 12.jpeg is truncated ...`, not the path again).
 */
function reasonFor(err: unknown, file: string): string {
  const message = messageOf(err);
  const name = path.basename(file);
  let reason = message.split(file).join(name);
  // ffmpeg starts its own line with the input path: "Cannot read 12.mp4: 12.mp4: Invalid data ..."
  reason = reason.split(`${name}: ${name}: `).join(`${name}: `);
  return reason;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Renames `from` to `to` in the same folder without ever replacing an existing file: a hard link to the
 * new name (which fails if it exists), then the old name removed; where hard links are not supported, a
 * rename after checking that the name is free. Returns false when `to` exists.
 */
async function renameNoReplace(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    if (await exists(to)) return false;
    await rename(from, to);
    return true;
  }
  await unlink(from);
  return true;
}

/**
 * Checks every item of a data set in the original's layout `<root>/<label>/<id>/<id>.{txt,jpeg,mp4}`:
 *
 * - the folder: a name that is an mp4_id, a folder, no symbolic link leaving the root; a root folder that
 *   is not one of the 31 labels (`REELSET_E_UNKNOWN_LABEL`);
 * - each file is there (`REELSET_E_MISSING_MEDIA`, under either naming);
 * - the `.txt` is a Python dict literal of strings (`REELSET_E_PY_LITERAL`) whose `mp4_id` is the folder's
 *   and whose fields are well formed (`REELSET_E_BAD_ITEM`);
 * - the cover's structure is complete and it decodes whole (the cover pipeline) under a pixel limit (`REELSET_E_BAD_IMAGE`, `REELSET_E_IMAGE_TOO_LARGE`);
 * - the clip probes with ffprobe, has a video stream and a duration > 0 (`REELSET_E_BAD_MEDIA`,
 *   `REELSET_E_NO_VIDEO`, `REELSET_E_TIMEOUT`, `REELSET_E_FFMPEG`);
 * - a URL-named copy beside an `<id>.*` file is a conflict (`REELSET_E_BAD_ITEM`): never overwritten.
 *
 * URL-named media (`<id9>_iconl.jpeg`, `<id9>_main_xl.mp4`) are not problems (the loaders read them); they
 * are listed in `renames`, and with `fix` renamed to the folder's name (`<id>.jpeg`, `<id>.mp4`) as the
 * original's standardisation step did: within the folder, atomically, never replacing a file. Every item is
 * checked whatever its `.txt` holds. Streamed: one label folder listed at a time, `concurrency` items at once.
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when the root is not a readable folder;
 *   `REELSET_E_FFMPEG_NOT_FOUND` without ffprobe; `REELSET_E_INVALID_ARGUMENT` for a bad option.
 * @example
 * ```ts
 * const summary = await checkDataset('data', { fix: true, onProblem: (p) => console.log(JSON.stringify(p)) });
 * console.log(`${summary.problemCount} problems, ${summary.renamed} files renamed`);
 * ```
 */
export async function checkDataset(root: string, options: CheckOptions = {}): Promise<CheckSummary> {
  if (typeof root !== 'string' || root === '') {
    throw invalidArgument(`checkDataset needs a root folder, got ${describeValue(root)}`);
  }
  const concurrency = checkInteger('concurrency', options.concurrency ?? 4, 1, 256);
  const limitInputPixels = checkInteger(
    'limitInputPixels',
    options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS,
    1,
  );
  const probeTimeoutMs = checkInteger('probeTimeoutMs', options.probeTimeoutMs ?? 30_000, 1);
  checkBoolean('fix', options.fix, false);
  checkFunction('onProblem', options.onProblem);
  checkFunction('onRename', options.onRename);
  if (options.labels !== undefined && !Array.isArray(options.labels)) {
    throw invalidArgument(`labels must be an array of label names, got ${describeValue(options.labels)}`);
  }
  const resolved = path.resolve(root);
  const summary: CheckSummary = {
    root: resolved,
    items: 0,
    cleanItems: 0,
    problemCount: 0,
    byCode: {},
    byKind: {},
    problems: [],
    renames: [],
    renamed: 0,
    toRename: 0,
    warnings: [],
  };
  const report = (problem: CheckProblem): void => {
    summary.problems.push(problem);
    summary.problemCount++;
    summary.byCode[problem.code] = (summary.byCode[problem.code] ?? 0) + 1;
    summary.byKind[problem.kind] = (summary.byKind[problem.kind] ?? 0) + 1;
    options.onProblem?.(problem);
  };

  const checkItem = async (item: ScannedItem): Promise<number> => {
    let found = 0;
    const problem = (kind: ProblemKind, file: string, code: ReelsetErrorCode, reason: string): void => {
      found++;
      report({ path: file, id: item.id ?? null, label: item.label, kind, code, reason });
    };
    for (const p of item.problems) problem(p.kind, item.dir, p.code, p.reason);
    const id = item.id;
    if (id === undefined || item.problems.some((p) => p.kind === 'folder')) return found;
    // Naming: URL-named media, renamed with fix; URL-named copies beside <id>.* are conflicts.
    for (const kind of ['jpeg', 'mp4'] as const) {
      const duplicate = item.duplicates[kind];
      const file = item.files[kind];
      if (duplicate !== undefined && file !== undefined) {
        problem(
          kind,
          duplicate.path,
          'REELSET_E_BAD_ITEM',
          `both ${file.name} and ${duplicate.name} exist; the URL-named copy was left as is`,
        );
        continue;
      }
      if (file === undefined || !file.urlNamed) continue;
      const to = path.join(item.dir, `${item.name}.${kind}`);
      const rename: CheckRename = { from: file.path, to, id, label: item.label, kind, done: false };
      if (options.fix) {
        let ok: boolean;
        try {
          ok = await renameNoReplace(file.path, to);
        } catch (err) {
          problem(
            kind,
            file.path,
            'REELSET_E_BAD_ITEM',
            `cannot rename to ${path.basename(to)}: ${messageOf(err)}`,
          );
          continue;
        }
        if (!ok) {
          problem(
            kind,
            file.path,
            'REELSET_E_BAD_ITEM',
            `${path.basename(to)} already exists; ${file.name} was not renamed`,
          );
          continue;
        }
        rename.done = true;
        summary.renamed++;
        item.files[kind] = {
          ...file,
          name: path.basename(to),
          path: to,
          openPath: file.openPath === file.path ? to : file.openPath,
          urlNamed: false,
        } satisfies ItemFile;
      } else {
        summary.toRename++;
      }
      summary.renames.push(rename);
      options.onRename?.(rename);
    }
    for (const kind of MEDIA_KINDS) {
      if (item.files[kind] !== undefined || item.problems.some((p) => p.kind === kind)) continue;
      const names = itemFileNames(item.name, id, kind).join(' or ');
      problem(
        kind,
        path.join(item.dir, `${item.name}.${kind}`),
        'REELSET_E_MISSING_MEDIA',
        `missing ${names}`,
      );
    }
    const { txt, jpeg, mp4 } = item.files;
    if (txt !== undefined) {
      const result = await readItemTxt(txt.openPath, id);
      if (!result.ok) problem('txt', txt.path, result.code, result.reason);
    }
    if (jpeg !== undefined) {
      try {
        await decodeImage(
          jpeg.openPath,
          { height: 8, width: 8, limitInputPixels },
          { key: path.basename(jpeg.path) },
        );
      } catch (err) {
        if (!isReelsetError(err)) throw err;
        problem('jpeg', jpeg.path, err.code, reasonFor(err, jpeg.openPath));
      }
    }
    if (mp4 !== undefined) {
      try {
        const info = await probeVideo(mp4.openPath, { timeoutMs: probeTimeoutMs });
        if (!(info.durationSec > 0)) {
          problem('mp4', mp4.path, 'REELSET_E_BAD_MEDIA', `the clip's duration is ${info.durationSec} s`);
        }
      } catch (err) {
        if (!isReelsetError(err) || err.code === 'REELSET_E_FFMPEG_NOT_FOUND') throw err;
        problem('mp4', mp4.path, err.code, reasonFor(err, mp4.openPath));
      }
    }
    return found;
  };

  const entries = scanLayout(resolved, { labels: options.labels });
  const hint = await layoutRootHint(resolved);
  if (hint !== undefined) summary.warnings.push(hint);
  await forEachLimit(entries, concurrency, async (entry) => {
    if (entry.type === 'problem') {
      const { dir, label, problem: p } = entry;
      report({ path: dir, id: null, label, kind: p.kind, code: p.code, reason: p.reason });
      return;
    }
    summary.items++;
    const found = await checkItem(await readItemFolder(entry));
    if (found === 0) summary.cleanItems++;
  });
  const byPath = (a: { path?: string; from?: string }, b: { path?: string; from?: string }): number => {
    const x = a.path ?? a.from ?? '';
    const y = b.path ?? b.from ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  };
  summary.problems.sort(byPath);
  summary.renames.sort(byPath);
  return summary;
}
