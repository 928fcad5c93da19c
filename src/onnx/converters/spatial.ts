/**
 * @module onnx/converters/spatial — ZeroPadding2D (Pad), Cropping2D (Slice) and UpSampling2D (Resize with
 * tfjs's sampling: asymmetric coordinates, nearest rounding down), all on the channels-last value.
 */
import { attr } from '../graph.js';
import { type Converter, channelsLastOnly, onlyInput } from './context.js';

/** tfjs's `[[top, bottom], [left, right]]` (the config's normalized form). */
const pairs = (value: unknown): [[number, number], [number, number]] =>
  value as [[number, number], [number, number]];

/** ZeroPadding2D: Pad with zeros, [0, top, left, 0] before and [0, bottom, right, 0] after. */
const zeroPadding2d: Converter = (ctx) => {
  channelsLastOnly(ctx);
  const [[top, bottom], [left, right]] = pairs(ctx.config.padding);
  const pads = ctx.g.int64s('pads', [0, top, left, 0, 0, bottom, right, 0]);
  return [
    ctx.g.op('Pad', [onlyInput(ctx).name, pads], { mode: attr.string('constant') }, `${ctx.layer.name}/pad`),
  ];
};

/** Cropping2D: Slice of axes 1 and 2, from [top, left] to [-bottom, -right] (to the end for a 0). */
const cropping2d: Converter = (ctx) => {
  channelsLastOnly(ctx);
  const [[top, bottom], [left, right]] = pairs(ctx.config.cropping);
  const end = (n: number): number => (n === 0 ? Number.MAX_SAFE_INTEGER : -n);
  const { g } = ctx;
  const inputs = [
    onlyInput(ctx).name,
    g.int64s('starts', [top, left]),
    g.int64s('ends', [end(bottom), end(right)]),
    g.int64s('axes', [1, 2]),
  ];
  return [g.op('Slice', inputs, {}, `${ctx.layer.name}/crop`)];
};

/** UpSampling2D: Resize by [1, sh, sw, 1]; tfjs resizes without aligned corners or half-pixel centres. */
const upSampling2d: Converter = (ctx) => {
  channelsLastOnly(ctx);
  const [sh, sw] = ctx.config.size as [number, number];
  const nearest = ctx.config.interpolation !== 'bilinear';
  const attrs = {
    mode: attr.string(nearest ? 'nearest' : 'linear'),
    coordinate_transformation_mode: attr.string('asymmetric'),
    ...(nearest ? { nearest_mode: attr.string('floor') } : {}),
  };
  const scales = ctx.g.floats(`${ctx.layer.name}/scales`, [4], [1, sh, sw, 1]);
  return [ctx.g.op('Resize', [onlyInput(ctx).name, '', scales], attrs, `${ctx.layer.name}/resize`)];
};

/**
 * Converters of the spatial padding, cropping and resizing layers.
 *
 * @example
 * ```ts
 * const convert = SPATIAL_CONVERTERS.ZeroPadding2D;
 * ```
 */
export const SPATIAL_CONVERTERS: Readonly<Record<string, Converter>> = Object.freeze({
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
});
