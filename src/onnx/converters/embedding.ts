/**
 * @module onnx/converters/embedding — layers that read token ids: Embedding (a Gather of the weight
 * matrix) and the baseline's `ReelsetMultiHot` (the set of ids as a 0/1 vector).
 */
import { MULTI_HOT_CLASS_NAME } from '../../baseline/model.js';
import { attr } from '../graph.js';
import { DATA_TYPE, rawData } from '../proto.js';
import {
  type ConvertContext,
  type Converter,
  onlyInput,
  refuseOption,
  weight,
  weightsOf,
} from './context.js';

/** The ids as an integer tensor: int32 stays as it is, a float input is cast (tfjs truncates too). */
function ids(ctx: ConvertContext): string {
  const x = onlyInput(ctx);
  if (x.dtype === 'int32') return x.name;
  return ctx.g.op('Cast', [x.name], { to: attr.int(DATA_TYPE.int32) }, `${ctx.layer.name}/ids`);
}

/** Embedding: Gather(embeddings, ids) on axis 0. A mask (maskZero) is refused: ONNX would drop it. */
const embedding: Converter = (ctx) => {
  refuseOption(ctx, 'maskZero', ctx.config.maskZero !== true);
  const table = weight(ctx.layer, weightsOf(ctx.layer), 'embeddings');
  const w = ctx.g.floats(`${ctx.layer.name}/embeddings`, table.shape, table.data);
  return [ctx.g.op('Gather', [w, ids(ctx)], { axis: attr.int(0) }, `${ctx.layer.name}/gather`)];
};

/**
 * ReelsetMultiHot: ones scattered into zeros [B, numTokens] at the ids along axis 1 (an id that appears
 * twice writes the same 1). Memory O(B x numTokens), where OneHot then ReduceMax would need
 * O(B x length x numTokens).
 */
const multiHot: Converter = (ctx) => {
  const { g } = ctx;
  const name = ctx.layer.name;
  const index = ids(ctx);
  const one = attr.tensor({
    name: 'one',
    dataType: DATA_TYPE.float,
    dims: [1],
    rawData: rawData(new Float32Array([1])),
  });
  const idsShape = g.op('Shape', [index], {}, `${name}/ids_shape`);
  const batch = g.op('Slice', [idsShape, g.int64s('zero', [0]), g.int64s('one', [1])], {}, `${name}/batch`);
  const zerosShape = g.op(
    'Concat',
    [batch, g.int64s('tokens', [Number(ctx.config.numTokens)])],
    { axis: attr.int(0) },
    `${name}/zeros_shape`,
  );
  const zeros = g.op('ConstantOfShape', [zerosShape], {}, `${name}/zeros`);
  const ones = g.op('ConstantOfShape', [idsShape], { value: one }, `${name}/ones`);
  return [g.op('ScatterElements', [zeros, index, ones], { axis: attr.int(1) }, `${name}/multi_hot`)];
};

/**
 * Converters of the token-id layers.
 *
 * @example
 * ```ts
 * const convert = EMBEDDING_CONVERTERS.Embedding;
 * ```
 */
export const EMBEDDING_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Embedding: embedding,
  [MULTI_HOT_CLASS_NAME]: multiHot,
});
