/**
 * @module options — parsers of command-line option values shared by the commands: each returns the value
 * or throws `ReelsetError` `REELSET_E_INVALID_ARGUMENT` naming the option, in the style of util/options.
 */
import { ReelsetError } from '../errors.js';
import { invalidArgument, rangeText } from '../util/options.js';

/**
 * Parses a whole number within `[min, max]`, for commander's `argParser`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` naming `flag` otherwise.
 * @example
 * ```ts
 * program.option('--limit <n>', 'at most n samples', integerOption('--limit', 1));
 * ```
 */
export function integerOption(
  flag: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): (value: string) => number {
  return (value) => {
    const parsed = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw invalidArgument(
        `${flag} must be a whole number${rangeText(min, max)}, got ${JSON.stringify(value)}`,
      );
    }
    return parsed;
  };
}

/**
 * Parses a finite number within `[min, max]`, for commander's `argParser`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` naming `flag` otherwise.
 * @example
 * ```ts
 * program.option('--seconds <s>', 'clip length', numberOption('--seconds', 0.1, 600));
 * ```
 */
export function numberOption(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw invalidArgument(`${flag} must be a number${rangeText(min, max)}, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };
}

/**
 * The extensions a JSON Lines output (`--report`, `--sha256-manifest`) may have: its content is JSON Lines
 * whatever the name, so a name that promises another format (`report.csv`, `report.png`) is refused.
 *
 * @example
 * ```ts
 * checkExtension('--report', file, JSONL_EXTENSIONS, 'JSON Lines');
 * ```
 */
export const JSONL_EXTENSIONS: readonly string[] = ['.jsonl', '.ndjson', '.json', '.txt', '.log', ''];

/**
 * Refuses a data set root that looks like a label folder or an item folder (`data/Beach`, `data/Beach/12`),
 * which would give 0 samples and a skip per folder, with the folder that was meant.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT`: `data/Beach looks like the label folder of "Beach",
 *   not a data set root (...): did you mean data?`
 * @example
 * ```ts
 * await refuseMisplacedRoot(root);
 * ```
 */
export async function refuseMisplacedRoot(root: string): Promise<void> {
  const { layoutRootHint } = await import('../loaders/layout/root-hint.js');
  const hint = await layoutRootHint(root);
  if (hint !== undefined) throw invalidArgument(hint);
}

/**
 * Checks a data set root before a command reads it or writes anything: an existing folder (not a file),
 * and not a label or item folder ({@link refuseMisplacedRoot}).
 *
 * @throws ReelsetError `REELSET_E_NOT_FOUND` when it does not exist; `REELSET_E_INVALID_ARGUMENT` for a
 *   file or a misplaced root.
 * @example
 * ```ts
 * await checkLayoutRoot('data');
 * ```
 */
export async function checkLayoutRoot(root: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  let isDir: boolean;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch (err) {
    throw new ReelsetError('REELSET_E_NOT_FOUND', `The data set root ${root} does not exist`, { cause: err });
  }
  if (!isDir) {
    throw invalidArgument(
      `The data set root ${root} is a file, not a folder (a catalog is read by stats and download)`,
    );
  }
  await refuseMisplacedRoot(root);
}
