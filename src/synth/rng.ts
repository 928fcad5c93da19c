/** @module rng — a small seeded pseudo-random generator (mulberry32) and seed mixing, for the synthesizer. */
import { fmix32, fnv1a, mulberry32 } from '../util/random.js';

/**
 * A deterministic pseudo-random generator: the same seed always yields the same sequence.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.next(); // a float in [0, 1)
 * rng.int(10); // an integer in [0, 10)
 * ```
 */
export interface Rng {
  /** A float in `[0, 1)`. */
  next(): number;
  /** An integer in `[0, n)`. */
  int(n: number): number;
  /** A float in `[min, max)`. */
  range(min: number, max: number): number;
  /** One element of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy of `items` (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
}

/**
 * Mixes numbers and strings into one 32-bit seed (FNV-1a over the parts, then a murmur3 finalizer), so each
 * item can get its own independent generator: `createRng(mixSeed(seed, 'cover', id))`.
 *
 * @example
 * ```ts
 * mixSeed(0, 'cover', '12345678') === mixSeed(0, 'cover', '12345678'); // true
 * ```
 */
export function mixSeed(...parts: ReadonlyArray<number | string>): number {
  let h = fnv1a('');
  for (const part of parts) h = fnv1a(typeof part === 'number' ? `n${part}|` : `s${part}|`, h);
  return fmix32(h);
}

/**
 * A mulberry32 generator seeded with `seed` (any number; it is reduced to 32 bits after mixing).
 *
 * @example
 * ```ts
 * const rng = createRng(7);
 * const id = 10_000_000 + rng.int(90_000_000);
 * ```
 */
export function createRng(seed: number): Rng {
  const next = mulberry32(mixSeed(seed));
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    range: (min, max) => min + (max - min) * next(),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)] as (typeof items)[number];
    },
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
  };
}
