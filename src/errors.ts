/**
 * @module errors — every error reelset throws: one base class, {@link ReelsetError}, with a stable `code`.
 *
 * Match on `code`, never on the message: codes are part of the public contract, messages may improve.
 */

/**
 * Every code reelset uses, with its default message. Codes never change meaning once released.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from 'reelset';
 * console.log(Object.keys(ERROR_CODES)); // ['REELSET_E_INVALID_ARGUMENT', ...]
 * ```
 */
export const ERROR_CODES = {
  REELSET_E_INVALID_ARGUMENT: 'An argument or option has an invalid value',
  REELSET_E_UNKNOWN_LABEL: 'Unknown label',
  REELSET_E_NOT_FOUND: 'File or folder not found',
  REELSET_E_CATALOG_LINE: 'A catalog line is not a valid entry',
  REELSET_E_PY_LITERAL: 'Text is not a safe Python literal of strings',
  REELSET_E_BAD_ITEM: 'An item of the on-disk layout is invalid',
  REELSET_E_MISSING_MEDIA: 'An item lacks a required media file',
  REELSET_E_STATE: 'An iteration state does not fit this dataset',
  REELSET_E_CACHE: 'A dataset cache is unusable',
  REELSET_E_FFMPEG: 'ffmpeg or ffprobe failed',
  REELSET_E_FFMPEG_NOT_FOUND: 'No ffmpeg or ffprobe executable was found',
  REELSET_E_HTTP: 'An HTTP request failed',
  REELSET_E_REDIRECT: 'A redirect was refused',
  REELSET_E_HOST_NOT_ALLOWED: 'A URL names a host that is not allowed',
  REELSET_E_SIZE: 'A download exceeds its size limit or its announced size',
  REELSET_E_INTEGRITY: 'A downloaded file does not match its checksum',
  REELSET_E_UNSAFE_PATH: 'A path would lie outside the output folder',
  REELSET_E_ABORTED: 'The operation was aborted',
  REELSET_E_BAD_VOCAB: 'A vocabulary file or token list is invalid',
  REELSET_E_BAD_IMAGE: 'An image cannot be decoded',
  REELSET_E_IMAGE_TOO_LARGE: 'An image has more pixels than allowed',
  REELSET_E_NO_VIDEO: 'A media file has no video stream',
  REELSET_E_SHORT_CLIP: 'A clip has fewer frames than requested',
  REELSET_E_BAD_MEDIA: 'A media file is empty, truncated or not decodable',
  REELSET_E_TIMEOUT: 'An operation ran past its time limit',
  REELSET_E_SHAPE: 'Samples of a batch disagree on a shape or dtype',
  REELSET_E_MISSING_PEER: 'An optional package that this feature needs is not installed',
  REELSET_E_BACKEND: 'The TensorFlow.js backend cannot run what was asked',
  REELSET_E_NOT_A_FILE: 'A path names a folder (or something else) where a file is expected',
  REELSET_E_UNSUPPORTED_LAYER: 'A model layer or layer option has no ONNX converter',
  REELSET_E_ONNX: 'An ONNX model cannot be loaded or run',
  REELSET_E_SHARD: 'A shard is missing, truncated, corrupt or does not match its manifest',
} as const;

/**
 * A stable error code: one of the keys of {@link ERROR_CODES}.
 *
 * @example
 * ```ts
 * const code: ReelsetErrorCode = 'REELSET_E_UNKNOWN_LABEL';
 * ```
 */
export type ReelsetErrorCode = keyof typeof ERROR_CODES;

/**
 * The base class of every error reelset throws. `code` is stable; `cause` holds the underlying error.
 *
 * @example
 * ```ts
 * try {
 *   labelId('Cats');
 * } catch (err) {
 *   if (err instanceof ReelsetError && err.code === 'REELSET_E_UNKNOWN_LABEL') console.log(err.message);
 * }
 * ```
 */
export class ReelsetError extends Error {
  /** The stable code: match on this, not on the message. */
  readonly code: ReelsetErrorCode;

  /**
   * @param code one of {@link ERROR_CODES}
   * @param message what went wrong, in words; defaults to the code's default message
   * @param options `cause`: the underlying error
   */
  constructor(code: ReelsetErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options);
    this.code = code;
  }

  override get name(): string {
    return 'ReelsetError';
  }
}

/**
 * A text or line that failed to parse. `position` is the 0-based character offset where parsing stopped,
 * when known.
 *
 * @example
 * ```ts
 * try {
 *   parsePythonDict("{'a': __import__('os')}");
 * } catch (err) {
 *   if (err instanceof ParseError) console.log(err.code, err.position);
 * }
 * ```
 */
export class ParseError extends ReelsetError {
  /** 0-based character offset where parsing failed, if known. */
  readonly position: number | undefined;

  /**
   * @param code `REELSET_E_PY_LITERAL` or `REELSET_E_CATALOG_LINE`
   * @param message what went wrong
   * @param position 0-based offset in the text
   */
  constructor(code: 'REELSET_E_PY_LITERAL' | 'REELSET_E_CATALOG_LINE', message: string, position?: number) {
    super(code, message);
    this.position = position;
  }

  override get name(): string {
    return 'ParseError';
  }
}

/**
 * A failure of an ffmpeg or ffprobe process: its exit code and the tail of its standard error.
 *
 * @example
 * ```ts
 * try {
 *   await runFfmpeg(['-i', 'missing.mp4', '-f', 'null', '-']);
 * } catch (err) {
 *   if (err instanceof FfmpegError) console.log(err.exitCode, err.stderr);
 * }
 * ```
 */
export class FfmpegError extends ReelsetError {
  /** The process's exit code, or null when it was killed by a signal. */
  readonly exitCode: number | null;
  /** The last part of what the process wrote to standard error. */
  readonly stderr: string;

  /**
   * @param message what went wrong
   * @param exitCode exit code, or null when killed
   * @param stderr the tail of standard error
   */
  constructor(message: string, exitCode: number | null, stderr: string) {
    super('REELSET_E_FFMPEG', message);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  override get name(): string {
    return 'FfmpegError';
  }
}

/**
 * True when `err` is a {@link ReelsetError}, optionally of the given code.
 *
 * @example
 * ```ts
 * if (isReelsetError(err, 'REELSET_E_NOT_FOUND')) console.log('no such folder');
 * ```
 */
export function isReelsetError(err: unknown, code?: ReelsetErrorCode): err is ReelsetError {
  return err instanceof ReelsetError && (code === undefined || err.code === code);
}

/**
 * The message of anything thrown: an `Error`'s message, or the value as text.
 *
 * @example
 * ```ts
 * try { await readFile(path); } catch (err) { console.warn(`cannot read ${path}: ${messageOf(err)}`); }
 * ```
 */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
