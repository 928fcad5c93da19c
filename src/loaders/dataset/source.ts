/**
 * @module source — the interface every origin of elements implements (a folder tree, a catalog file, an
 * array), so that a {@link Dataset} built on it can stop and resume exactly.
 */

/**
 * A JSON value: what iteration states and source positions are made of.
 *
 * @example
 * ```ts
 * const position: Json = { label: 'Beach', id: '1042' };
 * ```
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What a pass knows about its place in a run: `epoch` counts the passes of an enclosing `repeat` (0 when
 * there is none), so that a seeded shuffle can give each epoch its own order.
 *
 * @example
 * ```ts
 * const ctx: PassContext = { epoch: 0 };
 * ```
 */
export interface PassContext {
  epoch: number;
}

/**
 * One element of a source and its position: `position` means "everything up to and including this element
 * has been produced"; opening the source again at that position yields the element after it.
 *
 * @example
 * ```ts
 * const item: Positioned<string> = { value: 'a', position: 1 };
 * ```
 */
export interface Positioned<T> {
  value: T;
  position: Json;
}

/**
 * An origin of elements that can restart after any element. `open(undefined, ctx)` starts at the
 * beginning; `open(position, ctx)` starts right after the element that `position` came with.
 *
 * @example
 * ```ts
 * const letters: Source<string> = {
 *   name: 'Letters',
 *   async *open(position) {
 *     const start = typeof position === 'number' ? position : 0;
 *     for (let i = start; i < 3; i++) yield { value: 'abc'[i] ?? '', position: i + 1 };
 *   },
 * };
 * ```
 */
export interface Source<T> {
  /** The name shown first in `Dataset.summary()`, e.g. `Layout` or `Catalog`. */
  readonly name: string;
  /** Starts a pass after `position` (or at the beginning when undefined). */
  open(position: Json | undefined, ctx: PassContext): AsyncIterable<Positioned<T>>;
}
