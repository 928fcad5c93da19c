/**
 * @module item-files — the layout's safe read of an item's `.txt`: capped, no link, strict UTF-8, checked.
 */
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { messageOf, type ReelsetErrorCode } from '../../errors.js';
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

/**
 * Reads and checks an item's `.txt` as the layout does: at most 4 MiB, not through a symbolic link, UTF-8,
 * a Python dict literal of strings (parsed, never evaluated) with `mp4_id` equal to the folder's id,
 * `mp4_txt_brief`, and well-formed URLs and `mp4_time` when present. Give it the file's `openPath` from
 * `readItemFolder`, which has already resolved a symbolic link allowed by the layout's link rule.
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
