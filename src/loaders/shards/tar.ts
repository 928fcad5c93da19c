/**
 * @module shards/tar — a small ustar (POSIX.1-1988) writer and streaming reader: 512-byte headers, data padded
 * to 512 bytes, two zero blocks at the end. Regular files only; enough for WebDataset shards, which Python's
 * `tarfile`, GNU tar and webdataset read.
 */
import { ShardError } from './errors.js';

/**
 * The size of a tar block: headers are one block; member data is padded to a whole number of blocks.
 *
 * @example
 * ```ts
 * const padded = Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
 * ```
 */
export const TAR_BLOCK = 512;

/** The longest member name this writer stores (the ustar `name` field, without `prefix`). */
const MAX_NAME = 100;
/** The largest member size that 11 octal digits can hold. */
const MAX_SIZE = 8 ** 11 - 1;

/**
 * The bytes that follow a member's data so that the next header starts on a block boundary.
 *
 * @example
 * ```ts
 * tarPadding(1000); // 24
 * ```
 */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

function writeOctal(block: Buffer, value: number, offset: number, width: number): void {
  // width - 1 digits, then a NUL.
  block.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'ascii');
  block[offset + width - 1] = 0;
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

/**
 * The ustar header block of a regular file `name` of `size` bytes (mode 0644, owner 0, `mtime` seconds,
 * default 0 so that the same content always gives the same bytes).
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a name longer than 100 bytes, with a NUL, or a size
 *   over 8 GiB.
 * @example
 * ```ts
 * const header = tarHeader('07_1042.json', 120);
 * header.length; // 512
 * ```
 */
export function tarHeader(name: string, size: number, mtime = 0): Buffer {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > MAX_NAME || name.includes('\0')) {
    throw new ShardError(
      `A tar member name must be 1 to ${MAX_NAME} bytes without NUL, got ${JSON.stringify(name)}`,
      {
        code: 'REELSET_E_INVALID_ARGUMENT',
      },
    );
  }
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_SIZE) {
    throw new ShardError(`A tar member size must be 0 to ${MAX_SIZE} bytes, got ${size}`, {
      code: 'REELSET_E_INVALID_ARGUMENT',
    });
  }
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(name, 0, MAX_NAME, 'utf8');
  writeOctal(block, 0o644, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, mtime, 136, 12);
  block[156] = 0x30; // '0': regular file
  block.write('ustar\0' + '00', 257, 8, 'ascii');
  // 6 octal digits, NUL, space (what GNU tar and Python write).
  block.write(`${checksum(block).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

/**
 * The end of an archive: two zero blocks.
 *
 * @example
 * ```ts
 * out.write(tarEnd());
 * ```
 */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

/**
 * One member of a tar stream: its name, where its header and data start in the archive, and its data.
 *
 * @example
 * ```ts
 * const member: TarMember = { name: '07_1042.json', offset: 0, dataOffset: 512, size: 2, data: Buffer.from('{}') };
 * ```
 */
export interface TarMember {
  name: string;
  /** Byte offset of the header block. */
  offset: number;
  /** Byte offset of the first data byte. */
  dataOffset: number;
  size: number;
  data: Buffer;
}

function readOctal(block: Uint8Array, offset: number, width: number): number {
  let text = '';
  for (let i = offset; i < offset + width; i++) {
    const c = block[i] as number;
    if (c === 0 || c === 0x20) {
      if (text !== '') break;
      continue;
    }
    if (c < 0x30 || c > 0x37) return Number.NaN;
    text += String.fromCharCode(c);
  }
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function readString(block: Uint8Array, offset: number, width: number): string {
  const end = block.indexOf(0, offset);
  return Buffer.from(
    block.buffer,
    block.byteOffset + offset,
    (end < 0 || end > offset + width ? offset + width : end) - offset,
  ).toString('utf8');
}

/** Reads exactly `n` bytes at a time from an async iterable of chunks; null at a clean end. */
class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #done = false;
  /** Bytes handed out so far (the archive offset of the next byte). */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /** The next `n` bytes, fewer at the end of the stream (possibly 0). */
  async read(n: number): Promise<Buffer> {
    while (this.#buffered < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) {
        this.#done = true;
        break;
      }
      const chunk = Buffer.isBuffer(r.value)
        ? r.value
        : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length);
      if (chunk.length === 0) continue;
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const take = Math.min(n, this.#buffered);
    let out: Buffer;
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= take) {
      // One chunk holds it all: a view, no copy (a copy only when the chunk is much larger than the take,
      // so that a small member does not pin a large chunk).
      out = first.length > 4 * take + 65536 ? Buffer.from(first.subarray(0, take)) : first.subarray(0, take);
      if (first.length === take) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(take);
    } else {
      out = Buffer.allocUnsafe(take);
      let at = 0;
      while (at < take) {
        const c = this.#chunks[0] as Buffer;
        const piece = Math.min(c.length, take - at);
        c.copy(out, at, 0, piece);
        at += piece;
        if (piece === c.length) this.#chunks.shift();
        else this.#chunks[0] = c.subarray(piece);
      }
    }
    this.#buffered -= take;
    this.offset += take;
    return out;
  }

  /** Stops the underlying iterator (closes its file or connection). */
  async close(): Promise<void> {
    this.#chunks = [];
    if (!this.#done) {
      this.#done = true;
      await this.#it.return?.();
    }
  }
}

/**
 * Reads a tar archive from a stream of chunks, one member at a time (regular files; directories, links and
 * PAX or GNU extension headers are read past). Memory holds one member. `want(name)` may return false to
 * read past a member's data without keeping it (its `data` is then empty).
 *
 * @throws ShardError `REELSET_E_SHARD` (with `member` and `offset`) for a header whose checksum or fields
 *   are wrong, or an archive that ends inside a header or a member's data; `shard` is `where`.
 * @example
 * ```ts
 * for await (const member of readTar(createReadStream('shard-000000.tar'), 'shard-000000.tar')) {
 *   console.log(member.name, member.size);
 * }
 * ```
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  where: string,
  want: (name: string) => boolean = () => true,
): AsyncGenerator<TarMember> {
  const reader = new ByteReader(source);
  let previous: string | undefined;
  try {
    for (;;) {
      const offset = reader.offset;
      const block = await reader.read(TAR_BLOCK);
      if (block.length === 0) return; // no end blocks: accepted, as tarfile does
      if (block.length < TAR_BLOCK) {
        throw new ShardError(`${where}: truncated inside the header at byte ${offset}`, {
          shard: where,
          offset,
          after: previous,
        });
      }
      if (block.every((b) => b === 0)) return;
      const name = readString(block, 0, 100);
      const size = readOctal(block, 124, 12);
      const stored = readOctal(block, 148, 8);
      if (Number.isNaN(size) || Number.isNaN(stored) || stored !== checksum(block)) {
        throw new ShardError(`${where}: corrupt header at byte ${offset} (checksum or size field)`, {
          shard: where,
          offset,
          after: previous,
        });
      }
      const prefix =
        block.subarray(257, 262).toString('ascii') === 'ustar' ? readString(block, 345, 155) : '';
      const full = prefix === '' ? name : `${prefix}/${name}`;
      const type = String.fromCharCode(block[156] as number);
      const padded = size + tarPadding(size);
      const regular = type === '0' || type === '\0';
      const keep = regular && want(full);
      const dataOffset = reader.offset;
      let data: Buffer;
      if (keep) {
        data = await reader.read(size);
        if (data.length < size) {
          throw new ShardError(`${where}: truncated in member ${full} (${data.length} of ${size} bytes)`, {
            shard: where,
            member: full,
            offset,
          });
        }
        const pad = await reader.read(padded - size);
        if (pad.length < padded - size) {
          throw new ShardError(`${where}: truncated after member ${full}`, {
            shard: where,
            member: full,
            offset,
          });
        }
      } else {
        let left = padded;
        while (left > 0) {
          const got = (await reader.read(Math.min(left, 1 << 20))).length;
          if (got === 0) {
            throw new ShardError(`${where}: truncated in member ${full}`, {
              shard: where,
              member: full,
              offset,
            });
          }
          left -= got;
        }
        data = Buffer.alloc(0);
      }
      previous = full;
      if (regular) yield { name: full, offset, dataOffset, size, data };
    }
  } finally {
    await reader.close();
  }
}
