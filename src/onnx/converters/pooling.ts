/**
 * @module onnx/converters/pooling — MaxPooling and AveragePooling 1D/2D/3D (ONNX MaxPool / AveragePool in
 * a channels-first section; padding excluded from averages, as tfjs does) and the global poolings (a
 * ReduceMax / ReduceMean over the spatial axes, channels-last).
 */
import { attr } from '../graph.js';
import { type Converter, channelsLastOnly, onlyInput } from './context.js';
import { channelsFirst, spatialAxes, windowOf } from './window.js';

const pool =
  (op: 'MaxPool' | 'AveragePool', n: number): Converter =>
  (ctx) => {
    channelsLastOnly(ctx);
    const window = windowOf(ctx, n, ctx.config.poolSize, ctx.config.poolSize);
    const attrs = {
      kernel_shape: attr.ints(window.kernel),
      strides: attr.ints(window.strides),
      pads: attr.ints(window.pads),
      ...(op === 'AveragePool' ? { count_include_pad: attr.int(0) } : {}),
    };
    return [channelsFirst(ctx, (x) => ctx.g.op(op, [x], attrs, `${ctx.layer.name}/${op}`))];
  };

/** ReduceMax / ReduceMean over the spatial axes; `axes` is an attribute up to opset 17. */
const globalPool =
  (op: 'ReduceMax' | 'ReduceMean'): Converter =>
  (ctx) => {
    channelsLastOnly(ctx);
    const x = onlyInput(ctx);
    const attrs = { axes: attr.ints(spatialAxes(x.shape.length)), keepdims: attr.int(0) };
    return [ctx.g.op(op, [x.name], attrs, `${ctx.layer.name}/${op}`)];
  };

/**
 * Converters of the pooling layers (tfjs 4.22 has no GlobalAveragePooling3D or GlobalMaxPooling3D).
 *
 * @example
 * ```ts
 * const convert = POOLING_CONVERTERS.MaxPooling2D;
 * ```
 */
export const POOLING_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  MaxPooling1D: pool('MaxPool', 1),
  MaxPooling2D: pool('MaxPool', 2),
  MaxPooling3D: pool('MaxPool', 3),
  AveragePooling1D: pool('AveragePool', 1),
  AveragePooling2D: pool('AveragePool', 2),
  AveragePooling3D: pool('AveragePool', 3),
  GlobalMaxPooling1D: globalPool('ReduceMax'),
  GlobalMaxPooling2D: globalPool('ReduceMax'),
  GlobalAveragePooling1D: globalPool('ReduceMean'),
  GlobalAveragePooling2D: globalPool('ReduceMean'),
});
