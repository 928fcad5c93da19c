/**
 * @module onnx/converters/conv — Conv1D, Conv2D, Conv3D, DepthwiseConv2D and SeparableConv2D as ONNX Conv
 * in a channels-first section, kernels permuted on the host, explicit pads.
 */

import { attr } from '../graph.js';
import { applyActivation } from './activations.js';
import {
  type ConvertContext,
  type Converter,
  channelsLastOnly,
  type HostTensor,
  permute,
  weight,
  weightsOf,
} from './context.js';
import { channelsFirst, type Window, windowOf } from './window.js';

/** ONNX Conv on a channels-first value with weights `w` (and bias `b`), the window's attributes. */
function convOp(
  ctx: ConvertContext,
  x: string,
  w: string,
  b: string | undefined,
  window: Window,
  group: number,
  hint: string,
): string {
  return ctx.g.op(
    'Conv',
    b === undefined ? [x, w] : [x, w, b],
    {
      kernel_shape: attr.ints(window.kernel),
      strides: attr.ints(window.strides),
      dilations: attr.ints(window.dilations),
      pads: attr.ints(window.pads),
      group: attr.int(group),
    },
    hint,
  );
}

/** The layer's bias as a Conv input, or undefined with `useBias: false`. */
function biasInput(ctx: ConvertContext, weights: Map<string, HostTensor>): string | undefined {
  if (ctx.config.useBias === false) return undefined;
  const bias = weight(ctx.layer, weights, 'bias');
  return ctx.g.floats(`${ctx.layer.name}/bias`, bias.shape, bias.data);
}

/**
 * `body` (the layer's Conv nodes) in a channels-first section, with the layer's activation inside it
 * when it is elementwise, so that the Transposes between a convolution and a pooling fold away; softmax
 * (on the last axis) comes after the section.
 */
function convSection(ctx: ConvertContext, body: (x: string) => string): string {
  const activation = ctx.config.activation;
  const elementwise = activation !== 'softmax' && activation !== 'logSoftmax';
  const y = channelsFirst(ctx, (x) => (elementwise ? applyActivation(ctx, body(x), activation) : body(x)));
  return elementwise ? y : applyActivation(ctx, y, activation);
}

const spatial = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** ConvND: kernel [k..., in, out] -> W [out, in, k...]. */
const conv =
  (n: number): Converter =>
  (ctx) => {
    channelsLastOnly(ctx);
    const window = windowOf(ctx, n, ctx.config.kernelSize);
    const weights = weightsOf(ctx.layer);
    const kernel = permute(weight(ctx.layer, weights, 'kernel'), [n + 1, n, ...spatial(n)]);
    const w = ctx.g.floats(`${ctx.layer.name}/kernel`, kernel.shape, kernel.data);
    const b = biasInput(ctx, weights);
    return [convSection(ctx, (x) => convOp(ctx, x, w, b, window, 1, `${ctx.layer.name}/conv`))];
  };

/** The depthwise kernel [kh, kw, in, mult] as a grouped Conv's W [in * mult, 1, kh, kw] (channel c * mult + m). */
function depthwiseWeights(
  ctx: ConvertContext,
  weights: Map<string, HostTensor>,
): { w: string; channels: number } {
  const k = permute(weight(ctx.layer, weights, 'depthwise_kernel'), [2, 3, 0, 1]);
  const [inChannels, mult, kh, kw] = k.shape as [number, number, number, number];
  return {
    w: ctx.g.floats(`${ctx.layer.name}/depthwise_kernel`, [inChannels * mult, 1, kh, kw], k.data),
    channels: inChannels,
  };
}

const depthwiseConv2d: Converter = (ctx) => {
  channelsLastOnly(ctx);
  const window = windowOf(ctx, 2, ctx.config.kernelSize);
  const weights = weightsOf(ctx.layer);
  const { w, channels } = depthwiseWeights(ctx, weights);
  const b = biasInput(ctx, weights);
  return [convSection(ctx, (x) => convOp(ctx, x, w, b, window, channels, `${ctx.layer.name}/depthwise`))];
};

/** SeparableConv2D: the depthwise Conv (window, no bias), then a 1x1 Conv (pointwise kernel, bias). */
const separableConv2d: Converter = (ctx) => {
  channelsLastOnly(ctx);
  const window = windowOf(ctx, 2, ctx.config.kernelSize);
  const weights = weightsOf(ctx.layer);
  const { w, channels } = depthwiseWeights(ctx, weights);
  const pk = permute(weight(ctx.layer, weights, 'pointwise_kernel'), [3, 2, 0, 1]);
  const pw = ctx.g.floats(`${ctx.layer.name}/pointwise_kernel`, pk.shape, pk.data);
  const b = biasInput(ctx, weights);
  const pointwise: Window = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] };
  return [
    convSection(ctx, (x) => {
      const depthwise = convOp(ctx, x, w, undefined, window, channels, `${ctx.layer.name}/depthwise`);
      return convOp(ctx, depthwise, pw, b, pointwise, 1, `${ctx.layer.name}/pointwise`);
    }),
  ];
};

/**
 * Converters of the convolution layers.
 *
 * @example
 * ```ts
 * const convert = CONV_CONVERTERS.Conv2D;
 * ```
 */
export const CONV_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv3D: conv(3),
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
});
