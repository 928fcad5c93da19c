import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  FfmpegError,
  isReelsetError,
  ParseError,
  ReelsetError,
  type ReelsetErrorCode,
} from './errors.js';

const TABLE: Array<[ReelsetErrorCode, string]> = [
  ['REELSET_E_INVALID_ARGUMENT', 'An argument or option has an invalid value'],
  ['REELSET_E_UNKNOWN_LABEL', 'Unknown label'],
  ['REELSET_E_NOT_FOUND', 'File or folder not found'],
  ['REELSET_E_CATALOG_LINE', 'A catalog line is not a valid entry'],
  ['REELSET_E_PY_LITERAL', 'Text is not a safe Python literal of strings'],
  ['REELSET_E_BAD_ITEM', 'An item of the on-disk layout is invalid'],
  ['REELSET_E_MISSING_MEDIA', 'An item lacks a required media file'],
  ['REELSET_E_STATE', 'An iteration state does not fit this dataset'],
  ['REELSET_E_CACHE', 'A dataset cache is unusable'],
  ['REELSET_E_FFMPEG', 'ffmpeg or ffprobe failed'],
  ['REELSET_E_FFMPEG_NOT_FOUND', 'No ffmpeg or ffprobe executable was found'],
  ['REELSET_E_HTTP', 'An HTTP request failed'],
  ['REELSET_E_REDIRECT', 'A redirect was refused'],
  ['REELSET_E_HOST_NOT_ALLOWED', 'A URL names a host that is not allowed'],
  ['REELSET_E_SIZE', 'A download exceeds its size limit or its announced size'],
  ['REELSET_E_INTEGRITY', 'A downloaded file does not match its checksum'],
  ['REELSET_E_UNSAFE_PATH', 'A path would lie outside the output folder'],
  ['REELSET_E_ABORTED', 'The operation was aborted'],
  ['REELSET_E_BAD_VOCAB', 'A vocabulary file or token list is invalid'],
  ['REELSET_E_BAD_IMAGE', 'An image cannot be decoded'],
  ['REELSET_E_IMAGE_TOO_LARGE', 'An image has more pixels than allowed'],
  ['REELSET_E_NO_VIDEO', 'A media file has no video stream'],
  ['REELSET_E_SHORT_CLIP', 'A clip has fewer frames than requested'],
  ['REELSET_E_BAD_MEDIA', 'A media file is empty, truncated or not decodable'],
  ['REELSET_E_TIMEOUT', 'An operation ran past its time limit'],
  ['REELSET_E_SHAPE', 'Samples of a batch disagree on a shape or dtype'],
  ['REELSET_E_MISSING_PEER', 'An optional package that this feature needs is not installed'],
  ['REELSET_E_BACKEND', 'The TensorFlow.js backend cannot run what was asked'],
  ['REELSET_E_NOT_A_FILE', 'A path names a folder (or something else) where a file is expected'],
  ['REELSET_E_UNSUPPORTED_LAYER', 'A model layer or layer option has no ONNX converter'],
  ['REELSET_E_ONNX', 'An ONNX model cannot be loaded or run'],
  ['REELSET_E_SHARD', 'A shard is missing, truncated, corrupt or does not match its manifest'],
];

describe('ReelsetError codes', () => {
  it('the table pins every code, once', () => {
    expect(TABLE.map(([code]) => code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it.each(TABLE)('%s has its name, code and default message', (code, message) => {
    const err = new ReelsetError(code);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ReelsetError');
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect(isReelsetError(err, code)).toBe(true);
    expect(String(err)).toBe(`ReelsetError: ${message}`);
  });

  it('keeps a custom message and the cause', () => {
    const cause = new Error('disk on fire');
    const err = new ReelsetError('REELSET_E_NOT_FOUND', 'no such folder: /x', { cause });
    expect(err.message).toBe('no such folder: /x');
    expect(err.cause).toBe(cause);
  });

  it('subclasses carry their code and details', () => {
    const parse = new ParseError('REELSET_E_PY_LITERAL', 'unexpected name', 7);
    expect(parse).toBeInstanceOf(ReelsetError);
    expect([parse.name, parse.code, parse.position]).toEqual(['ParseError', 'REELSET_E_PY_LITERAL', 7]);
    const ff = new FfmpegError('ffmpeg exited with code 1', 1, 'moov atom not found');
    expect(ff).toBeInstanceOf(ReelsetError);
    expect([ff.name, ff.code, ff.exitCode, ff.stderr]).toEqual([
      'FfmpegError',
      'REELSET_E_FFMPEG',
      1,
      'moov atom not found',
    ]);
  });

  it('isReelsetError tells codes and foreign errors apart', () => {
    expect(isReelsetError(new Error('x'))).toBe(false);
    expect(isReelsetError(new ReelsetError('REELSET_E_STATE'), 'REELSET_E_CACHE')).toBe(false);
    expect(isReelsetError(new ReelsetError('REELSET_E_STATE'))).toBe(true);
  });
});
