/**
 * @module peer — optional peer dependencies (@tensorflow/tfjs, onnxruntime-node, ...), loaded from the
 * user's own installation at first use, with `REELSET_E_MISSING_PEER` naming the package and the install
 * command when it is absent.
 */
import { createRequire } from 'node:module';
import { ReelsetError } from '../errors.js';

/** How to install each peer, when a plain `npm install <name>` is not the whole story. */
const INSTALL_HINTS: { [name: string]: string } = {
  'onnxruntime-node':
    'npm install onnxruntime-node (its install script downloads a CUDA provider from outside the npm registry; ' +
    'for the CPU alone add "allowScripts": { "onnxruntime-node": false } to your package.json, or run ' +
    'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node)',
};

/**
 * The error thrown when peer `name`, needed by `feature`, is not installed: `REELSET_E_MISSING_PEER`, with
 * the package and the command that installs it in the message.
 *
 * @example
 * ```ts
 * throw missingPeer('@tensorflow/tfjs', 'reelset/tf');
 * // ReelsetError: reelset/tf needs @tensorflow/tfjs, which is not installed: npm install @tensorflow/tfjs
 * ```
 */
export function missingPeer(name: string, feature: string, cause?: unknown): ReelsetError {
  const install = INSTALL_HINTS[name] ?? `npm install ${name}`;
  const message = `${feature} needs ${name}, which is not installed: ${install}`;
  return new ReelsetError('REELSET_E_MISSING_PEER', message, { cause });
}

/**
 * Loads peer `name` (a package with a CommonJS entry) synchronously, resolved from where reelset is
 * installed, so the program and reelset share the user's one copy.
 *
 * @throws ReelsetError `REELSET_E_MISSING_PEER` when the package cannot be resolved; an error thrown while
 *   loading an installed package passes through unchanged.
 * @example
 * ```ts
 * const tf = requirePeer<typeof import('@tensorflow/tfjs')>('@tensorflow/tfjs', 'reelset/tf');
 * ```
 */
export function requirePeer<T>(name: string, feature: string): T {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve(name);
  } catch (err) {
    throw missingPeer(name, feature, err);
  }
  return require(path) as T;
}
