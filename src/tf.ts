/**
 * @module reelset/tf — TensorFlow.js: a decoded Dataset as a tf.data dataset (`toTfDataset`) and the choice
 * of backend (`selectBackend`, `probeBackends`). @tensorflow/tfjs is a peer dependency: importing this entry
 * loads the user's copy when it is installed (one copy, shared with the program); without it the import
 * succeeds and each function throws `REELSET_E_MISSING_PEER` naming the package and the install command.
 */
import { preloadTfjs } from './adapters/tfjs.js';

export type { BackendChoice, BackendKind, BackendProbe, SelectBackendOptions } from './adapters/backend.js';
export { explainBackendError, probeBackends, selectBackend } from './adapters/backend.js';
export type { InputNames, TfBatch, TfDatasetOptions } from './adapters/tf-data.js';
export { toTfDataset } from './adapters/tf-data.js';

preloadTfjs();
