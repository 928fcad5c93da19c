/**
 * @module util/random — seeded randomness and hashing, one copy of each: the PRNG (mulberry32), bit mixing
 * (murmur3's finalizer), string hashes (FNV-1a, cyrb53) and the split key hash (sha256).
 */
import { createHash } from 'node:crypto';

/**
 * MurmurHash3's 32-bit finalizer: mixes all bits of `h` into all bits of the result.
 *
 * @example
 * ```ts
 * fmix32(1); // 1364076727
 * ```
 */
export function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The 32-bit PRNG seed of one shuffle pass: the user seed (any safe integer, both 32-bit halves used) mixed
 * with the epoch number, so that every epoch has its own order and the same `(seed, epoch)` always gives the
 * same one.
 *
 * @example
 * ```ts
 * const rng = mulberry32(shuffleSeed(42, 0));
 * ```
 */
export function shuffleSeed(seed: number, epoch: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x100000000) >>> 0;
  return fmix32(lo ^ fmix32(hi ^ fmix32((epoch >>> 0) ^ 0x9e3779b9)));
}

/**
 * FNV-1a (32 bits) over the UTF-16 code units of `text`, continuing from `h` (the FNV offset basis by
 * default, or the result of an earlier call to hash a longer text in parts).
 *
 * @example
 * ```ts
 * fnv1a('a'); // 3826002220
 * fnv1a('b', fnv1a('a')) === fnv1a('ab'); // true
 * ```
 */
export function fnv1a(text: string, h = 0x811c9dc5): number {
  let x = h;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): a small, fast, seedable PRNG returning floats in [0, 1).
 * Deterministic across platforms (only 32-bit integer arithmetic).
 *
 * @example
 * ```ts
 * const rng = mulberry32(7);
 * const index = Math.floor(rng() * 10); // 0..9
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A stable number in [0, 1) for a split key: the first 48 bits of
 * `sha256("reelset-split\0" + seed + "\0" + key)` divided by 2^48. Depends only on the key and the seed, never
 * on order, platform or Node version.
 *
 * @example
 * ```ts
 * const u = splitFraction('99945958', 1); // the same value on every machine
 * const split = u < 0.8 ? 'train' : u < 0.9 ? 'validation' : 'test';
 * ```
 */
export function splitFraction(key: string, seed: number): number {
  const digest = createHash('sha256').update(`reelset-split\0${seed}\0${key}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * A seeded 53-bit hash of a string (cyrb53), as a number in `[0, 2^53)`: used for the seeded sample.
 *
 * @example
 * ```ts
 * hash53('Beach/80328682', 7) / 2 ** 53; // a stable number in [0, 1)
 * ```
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
