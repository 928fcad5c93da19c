/**
 * @module util/files — the paths of files named in typed errors: an input that must be a file
 * (`REELSET_E_NOT_FOUND`, `REELSET_E_NOT_A_FILE`) and an output file checked before anything is written.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ReelsetError } from '../errors.js';
import { invalidArgument } from './options.js';

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The typed error of a failed read of `file` (what it is in words: `the catalog`, `the vocabulary file`):
 * `REELSET_E_NOT_FOUND` when it does not exist, `REELSET_E_NOT_A_FILE` when it is a folder; any other error
 * as it is.
 *
 * @example
 * ```ts
 * try { await readFile(file); } catch (err) { throw fileError(err, file, 'the manifest'); }
 * ```
 */
export function fileError(err: unknown, file: string, what: string): unknown {
  const code = errnoCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ReelsetError('REELSET_E_NOT_FOUND', `${capital(what)} was not found: ${file}`, { cause: err });
  }
  if (code === 'EISDIR') return notAFile(file, what, 'a folder', err);
  return err;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function notAFile(file: string, what: string, is: string, cause?: unknown): ReelsetError {
  return new ReelsetError(
    'REELSET_E_NOT_A_FILE',
    `${capital(what)} ${file} is ${is}, not a file`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Checks that `file` exists and is a file (a link to one counts). For a folder holding a file named
 * `options.usualName` (e.g. `multimodal_data_info.json`), the message asks whether that file was meant.
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when it does not exist; `REELSET_E_NOT_A_FILE` for a folder
 *   or anything else that is not a file.
 * @example
 * ```ts
 * await checkInputFile('multimodal_data_info.json', 'the catalog');
 * ```
 */
export async function checkInputFile(
  file: string,
  what: string,
  options: { usualName?: string } = {},
): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(file);
  } catch (err) {
    throw fileError(err, file, what);
  }
  if (st.isFile()) return;
  const error = notAFile(file, what, st.isDirectory() ? 'a folder' : 'not a regular file');
  if (st.isDirectory() && options.usualName !== undefined) {
    const inside = path.join(file, options.usualName);
    const there = await stat(inside).then(
      (s) => s.isFile(),
      () => false,
    );
    if (there) error.message += ` (did you mean ${inside}?)`;
  }
  throw error;
}

/**
 * Checks, before anything is written, that `file` can be created or replaced: it is not a folder, and
 * the folder it goes in exists. Creates nothing.
 *
 * @throws ReelsetError `REELSET_E_NOT_A_FILE` when `file` is a folder; `REELSET_E_NOT_FOUND` when its
 *   folder does not exist (or is not a folder).
 * @example
 * ```ts
 * await checkOutputFile('failures.jsonl', 'the report');
 * ```
 */
export async function checkOutputFile(file: string, what: string): Promise<void> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw notAFile(file, what, 'a folder');
    return;
  } catch (err) {
    if (err instanceof ReelsetError) throw err;
    const code = errnoCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  const dir = path.dirname(path.resolve(file));
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `The folder of ${what} ${file} does not exist: ${dir}`);
  }
}

/**
 * Checks that an output file's extension (case-insensitive) is one of `allowed` (`''`: no extension), so
 * that a file never holds a format its name does not say. Returns the file.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` naming the flag, the format and the extensions allowed.
 * @example
 * ```ts
 * checkExtension('--plot', 'stats.jpg', ['.png'], 'PNG');
 * // throws: --plot writes PNG: its file must end in .png, got "stats.jpg"
 * ```
 */
export function checkExtension(
  flag: string,
  file: string,
  allowed: readonly string[],
  format: string,
): string {
  const ext = path.extname(file).toLowerCase();
  if (!allowed.includes(ext)) {
    const names = allowed.filter((e) => e !== '');
    const list =
      names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
    const none = allowed.includes('') ? ' (or have no extension)' : '';
    throw invalidArgument(
      `${flag} writes ${format}: its file must end in ${list}${none}, got ${JSON.stringify(file)}`,
    );
  }
  return file;
}

/**
 * Writes `data` to `file` atomically: a temporary file beside it, written, flushed to the disk (fsync) and
 * renamed over `file`, so that `file` is always either the old or the new complete content, whatever
 * moment the process is killed at.
 *
 * @example
 * ```ts
 * await writeFileAtomic('runs/1/reelset.json', JSON.stringify(info));
 * ```
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true }).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => {});
    throw err;
  }
}
