/**
 * @module catalog — `multimodal_data_info.json` (JSON Lines, one clip per line), streamed with flat memory,
 * every field checked, resumable at any line by byte offset.
 *
 * The file is read in 1 MiB chunks and split on the newline byte; each line is decoded from its own bytes
 * (so a multi-byte character split between two chunks is never damaged). A line in the exact shape the
 * original wrote (`{"mp4_id": "…", "mp4_download_url": "…", …}`, Python's `json.dumps` separators) is
 * matched by one precompiled pattern that also checks every field; any other line (other key order,
 * spacing, extra keys, a URL with a query or port, an unusual host, …) goes through `JSON.parse` and the
 * shared field checks of `fields.ts`. The fast pattern only accepts lines that the full path accepts with
 * the same result, so which path ran never shows.
 */
import { isUtf8 } from 'node:buffer';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { ParseError, ReelsetError } from '../../errors.js';
import { fileError } from '../../util/files.js';
import { checkFunction, checkInteger } from '../../util/options.js';
import { Dataset } from '../dataset/dataset.js';
import type { Json, PassContext, Positioned, Source } from '../dataset/source.js';
import { parseDuration, parseHttpUrl, parseId } from '../layout/fields.js';
import { LABELS, unknownLabelText } from '../layout/labels.js';
import { checkOnError, type OnError, type Skip } from '../sample.js';

const CODE = 'REELSET_E_CATALOG_LINE' as const;
const DEFAULT_CHUNK = 1 << 20;

/**
 * One line of the catalog, checked.
 *
 * @example
 * ```ts
 * const entry: CatalogEntry = {
 *   id: '80328682', label: 'Beach', labelId: 8,
 *   brief: ' Woman in swimsuit and cover up walking at the beach', time: '0:16', durationSec: 16,
 *   mp4Url: 'https://p5-v1.xpccdn.com/080328682_main_xl.mp4',
 *   coverUrl: 'https://p5-i1.xpccdn.com/080328682_iconl.jpeg', line: 1,
 * };
 * ```
 */
export interface CatalogEntry {
  /** `mp4_id`: digits, without zero padding (`'80328682'`). */
  id: string;
  /** `video_label`: one of the 31 English label names. */
  label: string;
  /** The label's id, 0-30. */
  labelId: number;
  /** `mp4_txt_brief` as stored (the original keeps a leading space). */
  brief: string;
  /** `mp4_time` as stored (`m:ss`). */
  time: string;
  /** `mp4_time` in seconds. */
  durationSec: number;
  /** `mp4_download_url`: an http(s) URL. */
  mp4Url: string;
  /** `mp4_background_image_url`: an http(s) URL. */
  coverUrl: string;
  /** 1-based line number in the file. */
  line: number;
}

/**
 * Options of {@link readCatalog} and {@link catalogSource}.
 *
 * @example
 * ```ts
 * const options: ReadCatalogOptions = { onError: 'skip', onSkip: (skip) => console.warn(skip.where, skip.reason) };
 * ```
 */
export interface ReadCatalogOptions {
  /** `'skip'` (default): leave a bad line out and record a {@link Skip}; `'throw'`: throw its {@link ParseError}. */
  onError?: OnError;
  /** Called with each recorded skip, as it happens. */
  onSkip?: (skip: Skip) => void;
}

/**
 * A position in the catalog: the byte offset just after a line (where the next pass starts reading) and
 * that line's 1-based number. `{ offset: 0, line: 0 }` is the start of the file.
 *
 * @example
 * ```ts
 * const position: CatalogPosition = { offset: 251, line: 1 };
 * ```
 */
export interface CatalogPosition {
  offset: number;
  line: number;
}

/**
 * The {@link Source} of a catalog file, with the skips of its latest pass.
 *
 * @example
 * ```ts
 * const source = catalogSource('multimodal_data_info.json');
 * for await (const { value } of source.open(undefined, { epoch: 0 })) console.log(value.id);
 * console.log(source.skips.length, 'lines left out');
 * ```
 */
export interface CatalogSource extends Source<CatalogEntry> {
  /** The catalog file. */
  readonly path: string;
  /**
   * The lines left out by the latest pass (the one most recently opened), in line order. It is a fresh
   * array at every `open`, so keep a reference to read the skips of one pass after another has begun.
   */
  readonly skips: readonly Skip[];
}

/** Internal knobs, for tests. */
interface CatalogInternals {
  /** Read size in bytes (default 1 MiB); a line longer than this grows the buffer. */
  chunkSize?: number;
}

// ---- the fast pattern --------------------------------------------------------------------------------
// A strict subset of what the full path accepts (see the module comment):
// - id: canonical digits (no leading zero), so parseId would return it unchanged;
// - URL: http(s), a host of ASCII letter/digit labels joined by single hyphens whose last label starts with
//   a letter (never an IPv4 number nor punycode, so the WHATWG parser behind parseHttpUrl accepts it), and an
//   optional path of unreserved characters and slashes;
// - time: m:ss (parseDuration's form, without hours);
// - brief: any JSON string body (valid escapes only);
// - label: a string without escapes, then checked against the 31 names.
const LABEL_PART = '[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*';
const URL_PART = `https?://(?:${LABEL_PART}\\.)*[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:/[A-Za-z0-9._~/-]*)?`;
const CHAR = '[^"\\\\\\x00-\\x1f]';
const JSON_STRING_BODY = `${CHAR}*(?:\\\\(?:["\\\\/bfnrt]|u[0-9A-Fa-f]{4})${CHAR}*)*`;
const FAST_LINE = new RegExp(
  `^\\{"mp4_id": "(0|[1-9][0-9]{0,11})", "mp4_download_url": "(${URL_PART})", ` +
    `"mp4_time": "([0-9]{1,4}:[0-5][0-9])", "mp4_background_image_url": "(${URL_PART})", ` +
    `"mp4_txt_brief": "(${JSON_STRING_BODY})", "video_label": "(${CHAR}*)"\\}$`,
);
const KEYS = [
  'mp4_id',
  'mp4_download_url',
  'mp4_time',
  'mp4_background_image_url',
  'mp4_txt_brief',
  'video_label',
] as const;

/** Label name → id, from {@link LABELS}: one lookup both checks the name and gives its id. */
const LABEL_IDS: ReadonlyMap<string, number> = new Map(LABELS.map((label) => [label.name, label.id]));

/** Buffer's UTF-8 decoder without `toString`'s argument handling (present on every Node Buffer). */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(start: number, end: number): string })
  .utf8Slice;

const durationCache = new Map<string, number>();
function cachedDuration(time: string): number {
  let seconds = durationCache.get(time);
  if (seconds === undefined) {
    seconds = parseDuration(time, CODE);
    if (durationCache.size < 4096) durationCache.set(time, seconds);
  }
  return seconds;
}

/** A line that is not a valid entry: the reason, and the id when it was readable. */
class BadLine extends Error {
  constructor(
    readonly reason: string,
    readonly id?: string,
  ) {
    super(reason);
  }
}

function entry(
  id: string,
  mp4Url: string,
  time: string,
  coverUrl: string,
  brief: string,
  label: string,
  labelId: number,
  line: number,
): CatalogEntry {
  return {
    id,
    label,
    labelId,
    brief,
    time,
    durationSec: cachedDuration(time),
    mp4Url,
    coverUrl,
    line,
  };
}

/** The full path: JSON.parse, then every key and field checked with the shared checks. */
function slowLine(text: string, line: number): CatalogEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadLine(`invalid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadLine(
      `not a JSON object: ${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed}`,
    );
  }
  const record = parsed as Record<string, unknown>;
  const rawId = record.mp4_id;
  const knownId = typeof rawId === 'string' ? rawId : undefined;
  for (const key of KEYS) {
    if (!Object.hasOwn(record, key)) throw new BadLine(`missing key ${key}`, knownId);
    const value = record[key];
    if (typeof value !== 'string') {
      throw new BadLine(`${key} must be a string, got ${value === null ? 'null' : typeof value}`, knownId);
    }
  }
  try {
    const id = parseId(rawId, CODE);
    const label = record.video_label as string;
    const labelId = LABEL_IDS.get(label);
    if (labelId === undefined) throw new BadLine(`unknown label ${unknownLabelText(label)}`, id);
    return entry(
      id,
      parseHttpUrl(record.mp4_download_url, CODE),
      record.mp4_time as string,
      parseHttpUrl(record.mp4_background_image_url, CODE),
      record.mp4_txt_brief as string,
      label,
      labelId,
      line,
    );
  } catch (err) {
    if (err instanceof BadLine) throw err;
    throw new BadLine((err as Error).message, knownId);
  }
}

/** Parses one line (without its line break); throws BadLine. */
function parseLine(text: string, line: number): CatalogEntry {
  const m = FAST_LINE.exec(text);
  if (m !== null) {
    const labelId = LABEL_IDS.get(m[6] as string);
    if (labelId !== undefined) {
      const rawBrief = m[5] as string;
      const brief = rawBrief.includes('\\') ? (JSON.parse(`"${rawBrief}"`) as string) : rawBrief;
      return entry(
        m[1] as string,
        m[2] as string,
        m[3] as string,
        m[4] as string,
        brief,
        m[6] as string,
        labelId,
        line,
      );
    }
  }
  return slowLine(text, line);
}

/**
 * Parses and checks one catalog line (without its line break).
 *
 * @param text the line
 * @param line its 1-based line number (for `entry.line` and messages)
 * @param where what to name in the error message, e.g. the file
 * @throws ParseError `REELSET_E_CATALOG_LINE` when the line is not a valid entry.
 * @example
 * ```ts
 * const entry = parseCatalogLine(
 *   '{"mp4_id": "80328682", "mp4_download_url": "https://p5-v1.xpccdn.com/080328682_main_xl.mp4", ' +
 *     '"mp4_time": "0:16", "mp4_background_image_url": "https://p5-i1.xpccdn.com/080328682_iconl.jpeg", ' +
 *     '"mp4_txt_brief": " Woman in swimsuit and cover up walking at the beach", "video_label": "Beach"}',
 * );
 * entry.durationSec; // 16
 * ```
 */
export function parseCatalogLine(text: string, line = 1, where = 'line'): CatalogEntry {
  try {
    return parseLine(text.endsWith('\r') ? text.slice(0, -1) : text, line);
  } catch (err) {
    if (err instanceof BadLine) throw new ParseError(CODE, `${where}:${line}: ${err.reason}`);
    throw err;
  }
}

function toPosition(position: Json | undefined): CatalogPosition {
  if (position === undefined || position === null) return { offset: 0, line: 0 };
  if (typeof position === 'object' && !Array.isArray(position)) {
    const { offset, line } = position;
    if (
      typeof offset === 'number' &&
      typeof line === 'number' &&
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(line) &&
      offset >= 0 &&
      line >= 0
    ) {
      return { offset, line };
    }
  }
  throw new ReelsetError('REELSET_E_STATE', `Not a catalog position: ${JSON.stringify(position)}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function openFile(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ReelsetError('REELSET_E_NOT_FOUND', `Catalog not found: ${path}`, { cause: err });
    }
    throw fileError(err, path, 'the catalog');
  }
  let isFile = false;
  let isDir = false;
  try {
    const st = await fh.stat();
    isFile = st.isFile();
    isDir = st.isDirectory();
  } finally {
    if (!isFile) await fh.close();
  }
  if (!isFile) {
    const inside = joinPath(path, 'multimodal_data_info.json');
    const hint = isDir && (await exists(inside)) ? ` (did you mean ${inside}?)` : '';
    throw new ReelsetError(
      'REELSET_E_NOT_A_FILE',
      `The catalog ${path} is ${isDir ? 'a folder' : 'not a regular file'}, not a file${hint}`,
    );
  }
  return fh;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One pass over the file. A hand-written async iterator rather than an async generator: lines of a chunk
 * already read are served synchronously (an already resolved promise per line), and only reading the next
 * chunk waits on I/O, which saves most of an async generator's per-element cost.
 */
class CatalogPass implements AsyncIterator<Positioned<CatalogEntry>, undefined> {
  readonly #path: string;
  readonly #throwing: boolean;
  readonly #onSkip: ((skip: Skip) => void) | undefined;
  readonly #skips: Skip[];
  #fh: FileHandle | undefined;
  #buf: Buffer;
  /** File offset of the next read. */
  #readAt: number;
  /** File offset of `#buf[0]`. */
  #base: number;
  /** Number of the last line seen. */
  #line: number;
  /** Start of the next line in `#buf`. */
  #from = 0;
  /** Index of the last newline byte in `#buf` (-1: no complete line left). */
  #last = -1;
  /** End of the bytes read into `#buf`. */
  #end = 0;
  /** Whether the current chunk holds invalid UTF-8 (then each line is checked). */
  #checkUtf8 = false;
  #started = false;
  #eof = false;
  #done = false;
  /** Blank lines not yet known to be followed by more lines (trailing blank lines are not skips). */
  #blanks: number[] = [];
  #busy: Promise<unknown> | undefined;

  constructor(
    path: string,
    options: ReadCatalogOptions,
    chunkSize: number,
    start: CatalogPosition,
    skips: Skip[],
  ) {
    this.#path = path;
    this.#throwing = options.onError === 'throw';
    this.#onSkip = options.onSkip;
    this.#skips = skips;
    this.#buf = Buffer.allocUnsafe(chunkSize);
    this.#readAt = start.offset;
    this.#base = start.offset;
    this.#line = start.line;
  }

  next(): Promise<IteratorResult<Positioned<CatalogEntry>, undefined>> {
    if (this.#busy !== undefined) return this.#busy.then(() => this.next());
    try {
      for (;;) {
        if (this.#done) return Promise.resolve(DONE);
        if (this.#from <= this.#last) {
          const from = this.#from;
          const nl = this.#buf.indexOf(10, from);
          const line = ++this.#line;
          this.#from = nl + 1;
          const value = this.#lineAt(from, nl, line, this.#checkUtf8);
          if (value !== null) {
            return Promise.resolve({
              done: false,
              value: { value, position: { offset: this.#base + nl + 1, line } },
            });
          }
        } else if (this.#eof) {
          return this.#finish();
        } else {
          const busy = this.#fill();
          this.#busy = busy;
          return busy.then(
            () => {
              this.#busy = undefined;
              return this.next();
            },
            (err: unknown) => {
              this.#busy = undefined;
              return this.#abort(err);
            },
          );
        }
      }
    } catch (err) {
      return this.#abort(err);
    }
  }

  async return(): Promise<IteratorResult<Positioned<CatalogEntry>, undefined>> {
    if (this.#busy !== undefined) await this.#busy.catch(() => undefined);
    await this.#close();
    return DONE;
  }

  async #close(): Promise<void> {
    this.#done = true;
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }

  async #abort(err: unknown): Promise<never> {
    await this.#close();
    throw err;
  }

  /** Moves the unfinished line to the front of the buffer and reads until the buffer holds a line break. */
  async #fill(): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      this.#fh = await openFile(this.#path);
      if (this.#readAt === 0) {
        const b = Buffer.alloc(3);
        const { bytesRead } = await this.#fh.read(b, 0, 3, 0);
        if (bytesRead === 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
          this.#readAt = 3;
          this.#base = 3;
        }
      }
    }
    const fh = this.#fh;
    if (fh === undefined || this.#done) return;
    let buf = this.#buf;
    const carry = this.#end - this.#from;
    if (this.#from > 0) buf.copy(buf, 0, this.#from, this.#end);
    this.#base += this.#from;
    this.#from = 0;
    this.#end = carry;
    this.#last = -1;
    for (;;) {
      if (this.#end === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, this.#end);
        buf = bigger;
        this.#buf = buf;
      }
      const { bytesRead } = await fh.read(buf, this.#end, buf.length - this.#end, this.#readAt);
      if (bytesRead === 0) {
        this.#eof = true;
        return;
      }
      this.#readAt += bytesRead;
      const last = buf.lastIndexOf(10, this.#end + bytesRead - 1);
      this.#end += bytesRead;
      if (last >= 0) {
        this.#last = last;
        this.#checkUtf8 = !isUtf8(buf.subarray(0, last));
        return;
      }
    }
  }

  /** At the end of the file: the last line when it has no line break, then done. */
  #finish(): Promise<IteratorResult<Positioned<CatalogEntry>, undefined>> {
    const from = this.#from;
    const to = this.#end;
    this.#from = to;
    if (to > from) {
      const line = ++this.#line;
      const value = this.#lineAt(from, to, line, true);
      if (value !== null) {
        return Promise.resolve({
          done: false,
          value: { value, position: { offset: this.#base + to, line } },
        });
      }
    }
    // Blank lines still pending are trailing: not skips.
    return this.#close().then(() => DONE);
  }

  /** One line's bytes `buf[from, to)` (line break excluded): the entry, or null when it is left out. */
  #lineAt(from: number, to: number, line: number, checkUtf8: boolean): CatalogEntry | null {
    const buf = this.#buf;
    const end = to > from && buf[to - 1] === 13 ? to - 1 : to;
    if (checkUtf8 && !isUtf8(buf.subarray(from, end))) {
      this.#flushBlanks();
      this.#fail(line, 'invalid UTF-8');
      return null;
    }
    const text = utf8Slice.call(buf, from, end);
    try {
      const value = parseLine(text, line);
      if (this.#blanks.length > 0) this.#flushBlanks();
      return value;
    } catch (err) {
      if (!(err instanceof BadLine)) throw err;
      if (text.trim() === '') {
        this.#blanks.push(line);
      } else {
        this.#flushBlanks();
        this.#fail(line, err.reason, err.id);
      }
      return null;
    }
  }

  #flushBlanks(): void {
    const blanks = this.#blanks;
    this.#blanks = [];
    for (const line of blanks) this.#fail(line, 'blank line');
  }

  #fail(line: number, reason: string, id?: string): void {
    const where = `${this.#path}:${line}`;
    if (this.#throwing) throw new ParseError(CODE, `${where}: ${reason}`);
    const skip: Skip =
      id === undefined ? { where, line, reason, code: CODE } : { where, id, line, reason, code: CODE };
    this.#skips.push(skip);
    this.#onSkip?.(skip);
  }
}

class CatalogFileSource implements CatalogSource {
  readonly name = 'Catalog';
  skips: readonly Skip[] = [];

  constructor(
    readonly path: string,
    private readonly options: ReadCatalogOptions,
    private readonly chunkSize: number,
  ) {}

  open(position: Json | undefined, _ctx: PassContext): AsyncIterable<Positioned<CatalogEntry>> {
    const start = toPosition(position);
    return {
      [Symbol.asyncIterator]: () => {
        const skips: Skip[] = [];
        this.skips = skips;
        return new CatalogPass(this.path, this.options, this.chunkSize, start, skips);
      },
    };
  }
}

/**
 * The {@link Source} of a catalog file (JSON Lines): each valid line as a {@link CatalogEntry}, with its
 * position `{ offset, line }` ({@link CatalogPosition}). Opening it at a position seeks to that byte offset:
 * nothing before it is read again.
 *
 * Bad lines (invalid JSON, not an object, a missing key, a value that is not a string, a bad id, URL,
 * duration or label, invalid UTF-8, a blank line followed by more lines) are left out and recorded as a
 * {@link Skip} with code `REELSET_E_CATALOG_LINE` (`onError: 'skip'`, the default), or thrown as a
 * {@link ParseError} (`onError: 'throw'`). Unknown extra keys are ignored. CRLF line breaks, a UTF-8 BOM, a last
 * line without a line break and blank lines at the very end are accepted silently.
 *
 * @param path the `multimodal_data_info.json` file
 * @param options error policy and skip callback
 * @throws ReelsetError `REELSET_E_NOT_FOUND` (when a pass opens) if the file does not exist,
 *   `REELSET_E_NOT_A_FILE` when it is a folder (naming the catalog inside it when there is one);
 *   `REELSET_E_STATE` for a position that is not a catalog position.
 * @example
 * ```ts
 * const source = catalogSource('multimodal_data_info.json');
 * let last;
 * for await (const { value, position } of source.open(undefined, { epoch: 0 })) {
 *   last = position;
 *   if (value.line === 10) break;
 * }
 * // continue with line 11, reading from its byte offset:
 * for await (const { value } of source.open(last, { epoch: 0 })) console.log(value.line);
 * ```
 */
export function catalogSource(
  path: string,
  options: ReadCatalogOptions = {},
  /** @internal */ internals: CatalogInternals = {},
): CatalogSource {
  const chunkSize = checkInteger('chunkSize', internals.chunkSize ?? DEFAULT_CHUNK, 1);
  checkOnError(options.onError);
  checkFunction('onSkip', options.onSkip);
  return new CatalogFileSource(path, options, chunkSize);
}

/**
 * Reads `multimodal_data_info.json` (JSON Lines) as a restartable, resumable {@link Dataset} of
 * {@link CatalogEntry}: streamed with flat memory, every field checked (see {@link catalogSource}).
 *
 * @param path the catalog file
 * @param options error policy and skip callback
 * @example
 * ```ts
 * import { readCatalog } from 'reelset';
 * const skips = [];
 * for await (const entry of readCatalog('multimodal_data_info.json', { onSkip: (s) => skips.push(s) })) {
 *   console.log(entry.id, entry.label, entry.durationSec, entry.brief);
 * }
 * ```
 */
export function readCatalog(path: string, options: ReadCatalogOptions = {}): Dataset<CatalogEntry> {
  return Dataset.fromSource(catalogSource(path, options));
}
