/**
 * @module onnx/convert — walks a tfjs LayersModel (functional with any number of inputs and outputs,
 * Sequential, or models nested as layers) from its outputs back to its inputs and converts each layer call
 * once with the registered converter of its class.
 */
import type * as Tfjs from '@tensorflow/tfjs';
import { invalidArgument } from '../util/options.js';
import { type ConvertContext, type LayerLike, unsupported, type Value } from './converters/context.js';
import { CONVERTERS } from './converters/registry.js';
import { OnnxGraph } from './graph.js';
import { DATA_TYPE, type DataType, type GraphProto, type ValueInfoProto } from './proto.js';

type SymbolicTensor = Tfjs.SymbolicTensor;
type ModelLike = Pick<Tfjs.LayersModel, 'name' | 'inputs' | 'outputs'>;

/** Class names of models, converted by walking their own graph when they are used as a layer. */
const MODEL_CLASSES = ['Model', 'Sequential'];

/** The symbolic name (`dim_param`) of the batch dimension of every input and output. */
const BATCH_DIM = 'batch';

const ELEM_TYPES: Record<string, DataType> = {
  float32: DATA_TYPE.float,
  int32: DATA_TYPE.int32,
  bool: DATA_TYPE.bool,
};

/**
 * Every tfjs class name the exporter converts: the converters' table, InputLayer and nested models,
 * sorted.
 *
 * @example
 * ```ts
 * supportedLayers().includes('Conv2D'); // true
 * ```
 */
export function supportedLayers(): string[] {
  return [...CONVERTERS.keys(), 'InputLayer', ...MODEL_CLASSES].sort();
}

/** One layer call: the converter of its class (or the walk of a nested model) on the input values. */
function convertLayer(
  g: OnnxGraph,
  layer: LayerLike,
  inputs: readonly Value[],
  outputShapes: ConvertContext['outputShapes'],
): string[] {
  const className = layer.getClassName();
  if (MODEL_CLASSES.includes(className))
    return walk(g, layer as unknown as ModelLike, inputs).map((v) => v.name);
  const converter = CONVERTERS.get(className);
  if (converter === undefined) throw unsupported(layer, `the layer class ${className}`);
  const ctx: ConvertContext = {
    g,
    layer,
    config: layer.getConfig() as Record<string, unknown>,
    inputs,
    outputShapes,
    convertLayer: (inner, innerInputs, innerShapes) => convertLayer(g, inner, innerInputs, innerShapes),
  };
  return converter(ctx);
}

/** Converts the graph of `model` with its inputs bound to `inputs`; returns its outputs' values. */
function walk(g: OnnxGraph, model: ModelLike, inputs: readonly Value[]): Value[] {
  const known = new Map<number, Value>();
  for (const [i, t] of model.inputs.entries()) known.set(t.id, inputs[i] as Value);
  const resolve = (t: SymbolicTensor): Value => {
    const found = known.get(t.id);
    if (found !== undefined) return found;
    const layer = t.sourceLayer;
    const node = layer.inboundNodes[t.nodeIndex];
    if (node === undefined || layer.getClassName() === 'InputLayer') {
      throw unsupported(layer, 'a tensor that is not one of the model inputs');
    }
    const names = convertLayer(
      g,
      layer,
      node.inputTensors.map(resolve),
      node.outputTensors.map((o) => o.shape),
    );
    for (const [j, o] of node.outputTensors.entries()) {
      known.set(o.id, { name: names[j] as string, shape: o.shape, dtype: o.dtype });
    }
    return known.get(t.id) as Value;
  };
  return model.outputs.map(resolve);
}

function valueInfo(layer: LayerLike, name: string, t: SymbolicTensor): ValueInfoProto {
  const elemType = ELEM_TYPES[t.dtype];
  if (elemType === undefined) throw unsupported(layer, `a ${t.dtype} tensor ${JSON.stringify(name)}`);
  return { name, elemType, shape: [BATCH_DIM, ...t.shape.slice(1)] };
}

/** `names` made distinct: a repeated name gets `_1`, `_2`... */
function distinct(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 1; seen.has(name); i++) name = `${n}_${i}`;
    seen.add(name);
    return name;
  });
}

/**
 * The ONNX graph of a tfjs LayersModel: inputs named and typed as in tfjs (channels-last, batch
 * dimension `batch`), outputs named after their layers.
 *
 * @throws ReelsetError `REELSET_E_UNSUPPORTED_LAYER` naming the first layer or option without a
 *   conversion; `REELSET_E_INVALID_ARGUMENT` when `model` is not a LayersModel.
 * @example
 * ```ts
 * const { graph, inputs, outputs } = convertModel(model, 17);
 * ```
 */
export function convertModel(
  model: Tfjs.LayersModel,
  opset: number,
): { graph: GraphProto; inputs: ValueInfoProto[]; outputs: ValueInfoProto[] } {
  if (!Array.isArray(model?.inputs) || !Array.isArray(model?.outputs)) {
    throw invalidArgument(
      'model must be a built TensorFlow.js LayersModel (tf.model, tf.sequential or loaded)',
    );
  }
  // Named after their layers, as tfjs's inputNames and outputNames (which a Sequential leaves empty).
  const inputNames = model.inputs.map((t) => t.sourceLayer.name);
  const outputNames = distinct(model.outputs.map((t) => t.sourceLayer.name));
  const g = new OnnxGraph(opset, [...inputNames, ...outputNames]);
  const inputs = model.inputs.map((t, i) => valueInfo(t.sourceLayer, inputNames[i] as string, t));
  const values = walk(
    g,
    model,
    inputs.map((info, i) => ({
      name: g.input(info),
      shape: (model.inputs[i] as SymbolicTensor).shape,
      dtype: model.inputs[i]?.dtype as string,
    })),
  );
  const outputs = model.outputs.map((t, i) => valueInfo(t.sourceLayer, outputNames[i] as string, t));
  const graph = g.build(
    model.name,
    outputs.map((info, i) => ({ value: (values[i] as Value).name, info })),
  );
  return { graph, inputs, outputs };
}
