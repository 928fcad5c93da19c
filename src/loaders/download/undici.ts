/**
 * @module download/undici — undici, loaded at the first download: importing reelset does not load it.
 */
import type * as Undici from 'undici';

let undici: typeof Undici | undefined;

/**
 * The undici module, imported once at first use (later calls return the same module without waiting on an
 * import again).
 *
 * @example
 * ```ts
 * const { Agent } = await loadUndici();
 * const agent = new Agent({ connections: 16 });
 * ```
 */
export async function loadUndici(): Promise<typeof Undici> {
  undici ??= await import('undici');
  return undici;
}
