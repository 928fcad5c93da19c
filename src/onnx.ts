/**
 * @module reelset/onnx — ONNX for any TensorFlow.js layers model and for the baseline: export a model to an
 * `.onnx` file (`exportOnnx`), run it with onnxruntime (`OnnxClassifier`) and serve it from an NVIDIA Triton
 * model repository. onnxruntime-node is an optional peer dependency, loaded only when a model is run.
 */
export {};
