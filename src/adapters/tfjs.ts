/**
 * @module tfjs — @tensorflow/tfjs, the user's own copy (a peer dependency), loaded at first use rather than
 * by a static import, so that a program without it gets `REELSET_E_MISSING_PEER` instead of Node's
 * ERR_MODULE_NOT_FOUND, and modules that only might need it (the CLI's `doctor`) load without it.
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { isReelsetError } from '../errors.js';
import { requirePeer } from '../util/peer.js';

let loaded: typeof Tfjs | undefined;

/**
 * @tensorflow/tfjs, loaded once (its CommonJS build: the file `import '@tensorflow/tfjs'` also gives in
 * Node, so the program and reelset share one copy and one engine).
 *
 * @throws ReelsetError `REELSET_E_MISSING_PEER` when @tensorflow/tfjs is not installed.
 * @example
 * ```ts
 * const tf = loadTfjs();
 * console.log(tf.version.tfjs);
 * ```
 */
export function loadTfjs(): typeof Tfjs {
  loaded ??= requirePeer<typeof Tfjs>('@tensorflow/tfjs', 'reelset/tf');
  return loaded;
}

/**
 * Loads @tensorflow/tfjs now when it is installed, and does nothing when it is not (the first use will
 * throw `REELSET_E_MISSING_PEER`). The entry `reelset/tf` calls it on import.
 *
 * @example
 * ```ts
 * preloadTfjs();
 * ```
 */
export function preloadTfjs(): void {
  try {
    loadTfjs();
  } catch (err) {
    if (!isReelsetError(err, 'REELSET_E_MISSING_PEER')) throw err;
  }
}

/**
 * Stands in for `import * as tf from '@tensorflow/tfjs'` in reelset's modules: every property read loads
 * tfjs ({@link loadTfjs}) and reads it there, so nothing is loaded before the first use. Types come from
 * `import type * as Tfjs from '@tensorflow/tfjs'`.
 *
 * @example
 * ```ts
 * await tf.setBackend('cpu'); // loads @tensorflow/tfjs here, or throws REELSET_E_MISSING_PEER
 * ```
 */
export const tf: typeof Tfjs = new Proxy({} as typeof Tfjs, {
  get: (_target, key) => Reflect.get(loadTfjs(), key),
});
