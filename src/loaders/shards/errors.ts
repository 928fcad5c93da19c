/**
 * @module shards/errors — {@link ShardError}: a `REELSET_E_SHARD` error that names the shard and, when known,
 * the member and the byte offset where reading failed.
 */
import { ReelsetError, type ReelsetErrorCode } from '../../errors.js';

/**
 * Where a shard error happened, and its code when it is not `REELSET_E_SHARD`.
 *
 * @example
 * ```ts
 * const details: ShardErrorDetails = { shard: 'shard-000003.tar', member: '07_1042.mp4', offset: 10240 };
 * ```
 */
export interface ShardErrorDetails {
  /** The shard's name (or URL). */
  shard?: string;
  /** The member being read, when known. */
  member?: string;
  /** Byte offset in the shard of the header where reading failed. */
  offset?: number;
  /** The last member read before a header that could not be read (names the place when `member` cannot). */
  after?: string | undefined;
  /** Default `REELSET_E_SHARD`. */
  code?: ReelsetErrorCode;
  cause?: unknown;
}

/**
 * A shard that is missing, truncated, corrupt or does not match its manifest (`REELSET_E_SHARD`), with the
 * shard, member and offset as fields; its message names them too.
 *
 * @example
 * ```ts
 * try {
 *   for await (const s of openShards('shards/')) use(s);
 * } catch (err) {
 *   if (err instanceof ShardError) console.log(err.shard, err.member);
 * }
 * ```
 */
export class ShardError extends ReelsetError {
  /** The shard's name, when known. */
  readonly shard: string | undefined;
  /** The member, when known. */
  readonly member: string | undefined;
  /** Byte offset of the failing header, when known. */
  readonly offset: number | undefined;

  /**
   * @param message what went wrong
   * @param details the shard, member, offset, code (default `REELSET_E_SHARD`) and cause
   */
  constructor(message: string, details: ShardErrorDetails = {}) {
    super(
      details.code ?? 'REELSET_E_SHARD',
      message,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.shard = details.shard;
    this.member = details.member ?? (details.after === undefined ? undefined : `after ${details.after}`);
    this.offset = details.offset;
  }

  override get name(): string {
    return 'ShardError';
  }
}
