/**
 * @module reelset/onnx — ONNX for any TensorFlow.js layers model and for the baseline: export a model to an
 * `.onnx` file (`exportOnnx`), run it with onnxruntime (`OnnxClassifier`) and serve it from an NVIDIA Triton
 * model repository. onnxruntime-node is an optional peer dependency, loaded only when a model is run.
 */

export type { OnnxClassifierOptions, OnnxPredictOptions } from './onnx/classifier.js';
export { OnnxClassifier } from './onnx/classifier.js';
export { supportedLayers } from './onnx/convert.js';
export type { OnnxExportOptions, OnnxExportResult, OnnxTensorInfo } from './onnx/export.js';
export { exportOnnx, modelToOnnx } from './onnx/export.js';
export { readOnnxMetadata, readOnnxSignature } from './onnx/read-model.js';
export type { ExecutionProvider } from './onnx/session.js';
export type { TritonOptions, TritonRepository } from './onnx/triton.js';
export { writeTritonRepository } from './onnx/triton.js';
