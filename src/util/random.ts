/** @module dataset/random — the seeded PRNG behind `Dataset.shuffle` and the stable hash behind `Dataset.split`. */
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
