/** @module tar.test — the ustar writer and streaming reader: headers, padding, round trip, truncation, corruption. */
import { describe, expect, it } from 'vitest';
import { ShardError } from './errors.js';
import { readTar, TAR_BLOCK, tarEnd, tarHeader, tarPadding } from './tar.js';

function archive(members: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of members)
    parts.push(tarHeader(name, data.length), data, Buffer.alloc(tarPadding(data.length)));
  parts.push(tarEnd());
  return Buffer.concat(parts);
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function readAll(data: Buffer, size = 7) {
  const out = [];
  for await (const m of readTar(chunks(data, size), 'x.tar'))
    out.push({ name: m.name, data: m.data.toString(), offset: m.offset, dataOffset: m.dataOffset });
  return out;
}

describe('tar', () => {
  it('writes ustar headers with a valid checksum, octal size and magic', () => {
    const h = tarHeader('07_1042.json', 1000);
    expect(h.length).toBe(TAR_BLOCK);
    expect(h.subarray(257, 263).toString('latin1')).toBe('ustar\0');
    expect(h.subarray(124, 135).toString()).toBe((1000).toString(8).padStart(11, '0'));
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    expect(Number.parseInt(h.subarray(148, 154).toString(), 8)).toBe(sum);
    expect(tarPadding(1000)).toBe(24);
    expect(tarPadding(1024)).toBe(0);
  });

  it('refuses names it cannot store', () => {
    expect(() => tarHeader('x'.repeat(101), 1)).toThrow(/1 to 100 bytes/);
    expect(() => tarHeader('', 1)).toThrow();
  });

  it('reads back every member with its offsets, whatever the chunk size', async () => {
    const data = archive([
      ['a.json', Buffer.from('{"a":1}')],
      ['a.jpg', Buffer.alloc(600, 1)],
      ['b.json', Buffer.from('')],
    ]);
    for (const size of [1, 7, 512, 4096]) {
      const got = await readAll(data, size);
      expect(got.map((m) => m.name)).toEqual(['a.json', 'a.jpg', 'b.json']);
      expect(got[0]).toMatchObject({ data: '{"a":1}', offset: 0, dataOffset: 512 });
      expect(got[1]?.offset).toBe(1024);
      expect(got[2]?.offset).toBe(1024 + 512 + 1024);
    }
  });

  it('names the member a truncated archive ends in', async () => {
    const data = archive([
      ['a.json', Buffer.from('{}')],
      ['a.mp4', Buffer.alloc(2000, 2)],
    ]);
    const err = await readAll(data.subarray(0, 1024 + 512 + 100)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardError);
    expect((err as ShardError).code).toBe('REELSET_E_SHARD');
    expect((err as ShardError).member).toBe('a.mp4');
    expect((err as ShardError).message).toMatch(/x\.tar: truncated in member a\.mp4/);
  });

  it('reports a corrupt header with its offset', async () => {
    const data = archive([
      ['a.json', Buffer.from('{}')],
      ['a.jpg', Buffer.from('jpg')],
    ]);
    data[1024 + 10] = 0x41; // inside the second header's name
    const err = (await readAll(data).catch((e: unknown) => e)) as ShardError;
    expect(err.code).toBe('REELSET_E_SHARD');
    expect(err.offset).toBe(1024);
    expect(err.message).toMatch(/corrupt header at byte 1024/);
  });
});
