/**
 * @module session — the one module that loads onnxruntime-node (an optional peer): an inference session on
 * the first execution provider that works, CUDA when the installed onnxruntime has it, else the CPU.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { ReelsetError } from '../errors.js';
import { requirePeer } from '../util/peer.js';

/**
 * An onnxruntime execution provider reelset asks for: `'cuda'` (an NVIDIA GPU, when onnxruntime-node was
 * installed with its CUDA provider) or `'cpu'`.
 *
 * @example
 * ```ts
 * const providers: ExecutionProvider[] = ['cuda', 'cpu'];
 * ```
 */
export type ExecutionProvider = 'cuda' | 'cpu';

/**
 * The providers reelset knows, in the order tried by default.
 *
 * @example
 * ```ts
 * console.log(EXECUTION_PROVIDERS); // ['cuda', 'cpu']
 * ```
 */
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = Object.freeze(['cuda', 'cpu'] as const);

/**
 * An open session and how it was chosen.
 *
 * @example
 * ```ts
 * const { session, provider, tried } = await openSession(bytes, ['cuda', 'cpu'], 'model.onnx');
 * ```
 */
export interface OnnxSession {
  /** The onnxruntime module the session came from (its `Tensor` class builds the feeds). */
  ort: typeof Ort;
  session: Ort.InferenceSession;
  /** The provider the session runs on. */
  provider: ExecutionProvider;
  /** Each provider tried before it, with why it was not used. */
  tried: { provider: ExecutionProvider; reason: string }[];
}

/**
 * Loads onnxruntime-node from the user's installation.
 *
 * @throws ReelsetError `REELSET_E_MISSING_PEER` with the install command when it is absent.
 * @example
 * ```ts
 * const ort = loadOrt();
 * ```
 */
export function loadOrt(): typeof Ort {
  return requirePeer<typeof Ort>('onnxruntime-node', 'running an ONNX model');
}

/** The CUDA provider library's file names (Linux, Windows). */
const CUDA_LIBRARY = /^(lib)?onnxruntime_providers_cuda\.(so|dll)$/;

/**
 * Whether the installed onnxruntime-node has its CUDA provider library (its install script downloads it
 * from outside the npm registry; an install that skipped it has the CPU alone). Asking a session for CUDA
 * without it fails after onnxruntime logs an error line, so it is looked for first.
 */
function hasCudaLibrary(): boolean {
  let root: string;
  try {
    root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    return false;
  }
  try {
    const files = readdirSync(path.join(root, 'bin'), { recursive: true, encoding: 'utf8' });
    return files.some((file) => CUDA_LIBRARY.test(path.basename(file)));
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;
}

/**
 * Opens an inference session on the model `bytes`, trying `providers` in order: a provider that fails to
 * start (CUDA without its provider library or without a GPU) is recorded in `tried` and the next is tried.
 *
 * @throws ReelsetError `REELSET_E_ONNX` when no provider can load the model (the message says why for each);
 *   `REELSET_E_MISSING_PEER` when onnxruntime-node is not installed.
 * @example
 * ```ts
 * const { provider } = await openSession(await readFile('model.onnx'), ['cuda', 'cpu'], 'model.onnx');
 * ```
 */
export async function openSession(
  bytes: Uint8Array,
  providers: readonly ExecutionProvider[],
  what: string,
): Promise<OnnxSession> {
  const ort = loadOrt();
  const tried: OnnxSession['tried'] = [];
  for (const provider of providers) {
    if (provider === 'cuda' && !hasCudaLibrary()) {
      tried.push({
        provider,
        reason: 'onnxruntime-node was installed without its CUDA provider (see docs/onnx.md, "On a GPU")',
      });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [provider] });
      return { ort, session, provider, tried };
    } catch (err) {
      tried.push({ provider, reason: firstLine(err) });
    }
  }
  const why = tried.map((t) => `${t.provider}: ${t.reason}`).join('; ');
  throw new ReelsetError('REELSET_E_ONNX', `${what} cannot be run by onnxruntime: ${why}`);
}
