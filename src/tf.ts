/**
 * @module reelset/tf — TensorFlow.js: a decoded Dataset as a tf.data dataset (`toTfDataset`) and the choice
 * of backend (`selectBackend`, `probeBackends`). Importing it loads `@tensorflow/tfjs`.
 */

export type { BackendChoice, BackendKind, BackendProbe, SelectBackendOptions } from './adapters/backend.js';
export { probeBackends, selectBackend } from './adapters/backend.js';
export type { InputNames, TfBatch, TfDatasetOptions } from './adapters/tf-data.js';
export { toTfDataset } from './adapters/tf-data.js';
