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
  if (loaded === undefined) {
    loaded = requirePeer<typeof Tfjs>('@tensorflow/tfjs', 'reelset/tf');
    quietCpuBanner(loaded);
  }
  return loaded;
}

/**
 * The cpu backend prints a banner ("Hi, looks like you are running TensorFlow.js in Node.js...") on its
 * first use. `selectBackend`'s `reason` says which backend runs and how to get a faster one, and
 * `reelset doctor` lists them, so with reelset the banner is noise. It is keyed on the backend's `firstUse`
 * field: set to false on the cpu backend that exists, and on each one the engine creates later (its
 * factory in the engine's registry is wrapped once).
 */
function quietCpuBanner(tfjs: typeof Tfjs): void {
  const quiet = (backend: unknown): void => {
    const b = backend as { firstUse?: unknown } | null | undefined;
    if (b != null && typeof b.firstUse === 'boolean') b.firstUse = false;
  };
  const engine = tfjs.engine() as unknown as {
    registry: { [name: string]: unknown };
    registryFactory: { [name: string]: { factory: () => unknown; quieted?: true } | undefined };
  };
  quiet(engine.registry.cpu);
  const entry = engine.registryFactory.cpu;
  if (entry === undefined || entry.quieted) return;
  const factory = entry.factory;
  entry.factory = () => {
    const backend = factory();
    quiet(backend);
    return backend;
  };
  entry.quieted = true;
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
