/** @module backend — picks the TensorFlow.js backend: tfjs-node-gpu, tfjs-node, wasm or cpu, and says why. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ReelsetError } from '../errors.js';
import { checkOneOf } from '../util/options.js';

/**
 * The backends reelset can choose, best first: `'tfjs-node-gpu'` (@tensorflow/tfjs-node-gpu, CUDA),
 * `'tfjs-node'` (@tensorflow/tfjs-node, native libtensorflow on the CPU), `'wasm'`
 * (@tensorflow/tfjs-backend-wasm, shipped with reelset) and `'cpu'` (pure JavaScript, always there).
 *
 * @example
 * ```ts
 * const prefer: BackendKind = 'wasm';
 * ```
 */
export type BackendKind = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

/**
 * Whether one backend could be used, and why not.
 *
 * @example
 * ```ts
 * const probe: BackendProbe = { kind: 'tfjs-node', available: false, reason: 'not installed' };
 * ```
 */
export interface BackendProbe {
  kind: BackendKind;
  available: boolean;
  /** Why it is not available (the import or initialization error, in short). */
  reason?: string;
}

/**
 * What {@link selectBackend} chose: the kind, TensorFlow.js's name for it (`tf.getBackend()`:
 * `'tensorflow'`, `'wasm'` or `'cpu'`), why, and what it tried.
 *
 * @example
 * ```ts
 * const choice: BackendChoice = {
 *   kind: 'wasm', tfBackend: 'wasm', reason: 'first available in order tfjs-node-gpu, tfjs-node, wasm, cpu',
 *   tried: [{ kind: 'tfjs-node-gpu', available: false, reason: 'not installed' }],
 * };
 * ```
 */
export interface BackendChoice {
  kind: BackendKind;
  tfBackend: string;
  reason: string;
  /** Each backend tried, in order, until one worked. */
  tried: BackendProbe[];
}

/**
 * Options of {@link selectBackend}.
 *
 * @example
 * ```ts
 * const options: SelectBackendOptions = { prefer: 'cpu' };
 * ```
 */
export interface SelectBackendOptions {
  /** Try this backend first; the others follow in the default order. */
  prefer?: BackendKind;
  /** Only this backend: `REELSET_E_INVALID_ARGUMENT` when it is not usable. */
  only?: BackendKind;
}

/**
 * The default order of {@link selectBackend}.
 *
 * @example
 * ```ts
 * console.log(BACKEND_ORDER.join(' > ')); // tfjs-node-gpu > tfjs-node > wasm > cpu
 * ```
 */
export const BACKEND_ORDER: readonly BackendKind[] = Object.freeze([
  'tfjs-node-gpu',
  'tfjs-node',
  'wasm',
  'cpu',
]);

function short(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return 'not installed';
  return String(e?.message ?? err).split('\n')[0] ?? 'unknown error';
}

/** Imports an optional package by a name TypeScript and bundlers do not resolve. */
async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

/** The folder holding the wasm backend's `.wasm` files (they ship in its npm package). */
function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

let wasmPathsSet = false;

/** Makes backend `kind` the active one; throws when it cannot be. */
async function activate(kind: BackendKind): Promise<string> {
  if (kind === 'tfjs-node-gpu' || kind === 'tfjs-node') {
    // Both register the 'tensorflow' backend with the same tfjs-core as @tensorflow/tfjs.
    await importOptional(kind === 'tfjs-node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend failed to initialize');
    return 'tensorflow';
  }
  if (kind === 'wasm') {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as {
      setWasmPaths: (prefix: string) => void;
    };
    if (!wasmPathsSet) {
      wasm.setWasmPaths(wasmDir());
      wasmPathsSet = true;
    }
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialize');
    return 'wasm';
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialize');
  return 'cpu';
}

/**
 * Chooses and activates the TensorFlow.js backend: @tensorflow/tfjs-node-gpu when installed (and its CUDA
 * libraries load), else @tensorflow/tfjs-node, else wasm (its `.wasm` files are read from the installed
 * package, so it works offline), else cpu. The two native packages are optional peer dependencies, loaded
 * by dynamic import. `prefer` moves one kind to the front; `only` tries just that one.
 *
 * Note: the wasm backend has no kernels to train convolutions or embeddings (see docs/adapters.md); use
 * `prefer: 'cpu'` for such a model when no native backend is installed.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an unknown kind, or when `only` is not usable.
 * @example
 * ```ts
 * const choice = await selectBackend();
 * console.log(choice.kind, choice.reason); // 'wasm' 'first available in order tfjs-node-gpu, ...'
 * ```
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const { prefer, only } = options;
  for (const [name, value] of [
    ['prefer', prefer],
    ['only', only],
  ] as const) {
    if (value !== undefined) checkOneOf(name, value, BACKEND_ORDER);
  }
  const order: BackendKind[] =
    only !== undefined
      ? [only]
      : prefer !== undefined
        ? [prefer, ...BACKEND_ORDER.filter((k) => k !== prefer)]
        : [...BACKEND_ORDER];
  const tried: BackendProbe[] = [];
  for (const kind of order) {
    try {
      const tfBackend = await activate(kind);
      tried.push({ kind, available: true });
      const reason =
        only !== undefined
          ? `asked for only ${kind}`
          : kind === prefer
            ? `preferred ${kind}`
            : `first available in order ${order.join(', ')}`;
      return { kind, tfBackend, reason, tried };
    } catch (err) {
      tried.push({ kind, available: false, reason: short(err) });
    }
  }
  throw new ReelsetError(
    'REELSET_E_INVALID_ARGUMENT',
    `no TensorFlow.js backend usable: ${tried.map((t) => `${t.kind} (${t.reason})`).join(', ')}`,
  );
}

/**
 * Which backends could be used, without changing the active one (each is tried, then the previous
 * backend is restored). `reelset doctor` prints it.
 *
 * @example
 * ```ts
 * for (const probe of await probeBackends()) console.log(probe.kind, probe.available, probe.reason ?? '');
 * ```
 */
export async function probeBackends(): Promise<BackendProbe[]> {
  const previous = tf.engine().backendName as string | null;
  const probes: BackendProbe[] = [];
  for (const kind of BACKEND_ORDER) {
    try {
      await activate(kind);
      probes.push({ kind, available: true });
    } catch (err) {
      probes.push({ kind, available: false, reason: short(err) });
    }
  }
  if (previous) await tf.setBackend(previous);
  return probes;
}
