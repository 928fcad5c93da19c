/**
 * @module itemfs — the layout's safe reads of an item on disk: symbolic links followed only inside the
 * root, and the `.txt` read with a size cap, without following links, as strict UTF-8, parsed and checked.
 */
import type { Stats } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ReelsetErrorCode } from '../../errors.js';
import { parseDuration, parseHttpUrl, parseId } from './fields.js';
import { PY_LITERAL_MAX_LENGTH, parsePythonDict } from './py-literal.js';

/** The largest `.txt` read, in bytes: a UTF-8 character takes up to 4 bytes. */
const MAX_TXT_BYTES = PY_LITERAL_MAX_LENGTH * 4;
const NO_FOLLOW = fsConstants.O_NOFOLLOW ?? 0;

/**
 * The result of {@link readItemTxt}: the fields of a good `.txt`, or the problem with it (with the error
 * behind it, when there is one).
 *
 * @example
 * ```ts
 * const txt = await readItemTxt(path, '12');
 * console.log(txt.ok ? txt.brief : txt.reason);
 * ```
 */
export type ItemTxt =
  | { ok: true; brief: string; durationSec: number | null }
  | { ok: false; code: ReelsetErrorCode; reason: string; cause?: unknown };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when `real` (a resolved path) is `rootReal` or lies below it. */
function isInside(real: string, rootReal: string): boolean {
  const relative = path.relative(rootReal, real);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Follows a symbolic link only when its target stays inside the root (the root itself included). Returns
 * the target's resolved path and stats, `'escapes'` when it leaves the root, `'broken'` when it points
 * nowhere.
 *
 * @example
 * ```ts
 * const target = await followInside('data/Beach/12/12.mp4', await realpath('data'));
 * if (typeof target === 'object' && target.stats.isFile()) console.log(target.real);
 * ```
 */
export async function followInside(
  linkPath: string,
  rootReal: string,
): Promise<{ real: string; stats: Stats } | 'escapes' | 'broken'> {
  let real: string;
  try {
    real = await realpath(linkPath);
  } catch {
    return 'broken';
  }
  if (!isInside(real, rootReal)) return 'escapes';
  try {
    return { real, stats: await stat(real) };
  } catch {
    return 'broken';
  }
}

/**
 * Reads and checks an item's `.txt` as the layout does: at most 4 MiB, not through a symbolic link, UTF-8,
 * a Python dict literal of strings (parsed, never evaluated) with `mp4_id` equal to the folder's id,
 * `mp4_txt_brief`, and well-formed URLs and `mp4_time` when present.
 *
 * @example
 * ```ts
 * const txt = await readItemTxt('data/Beach/12/12.txt', '12');
 * if (!txt.ok) console.log(txt.code, txt.reason);
 * ```
 */
export async function readItemTxt(file: string, id: string): Promise<ItemTxt> {
  let bytes: Buffer;
  try {
    const handle = await open(file, fsConstants.O_RDONLY | NO_FOLLOW);
    try {
      const { size } = await handle.stat();
      if (size > MAX_TXT_BYTES) {
        return {
          ok: false,
          code: 'REELSET_E_PY_LITERAL',
          reason: `the txt file is ${size} bytes, over the limit of ${MAX_TXT_BYTES}`,
        };
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const reason = `cannot read the txt file: ${messageOf(err)}`;
    return { ok: false, code: 'REELSET_E_BAD_ITEM', reason, cause: err };
  }
  let dict: Record<string, string>;
  try {
    dict = parsePythonDict(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    const reason = err instanceof TypeError ? 'the txt file is not valid UTF-8' : messageOf(err);
    return { ok: false, code: 'REELSET_E_PY_LITERAL', reason, cause: err };
  }
  try {
    for (const key of ['mp4_id', 'mp4_txt_brief']) {
      if (!Object.hasOwn(dict, key)) {
        return { ok: false, code: 'REELSET_E_BAD_ITEM', reason: `the txt file has no ${key}` };
      }
    }
    if (parseId(dict.mp4_id) !== id) {
      return {
        ok: false,
        code: 'REELSET_E_BAD_ITEM',
        reason: `the txt file's mp4_id ${JSON.stringify(dict.mp4_id)} is not the folder's id ${id}`,
      };
    }
    for (const key of ['mp4_download_url', 'mp4_background_image_url']) {
      if (Object.hasOwn(dict, key)) parseHttpUrl(dict[key]);
    }
    const time = Object.hasOwn(dict, 'mp4_time') ? dict.mp4_time : undefined;
    return {
      ok: true,
      brief: dict.mp4_txt_brief ?? '',
      durationSec: time === undefined ? null : parseDuration(time),
    };
  } catch (err) {
    return { ok: false, code: 'REELSET_E_BAD_ITEM', reason: `the txt file: ${messageOf(err)}`, cause: err };
  }
}
