/**
 * @module onnx/converters/registry — the table of converters, tfjs layer class name -> converter,
 * assembled from the families.
 */
import { ACTIVATION_CONVERTERS } from './activations.js';
import type { Converter } from './context.js';
import { CONV_CONVERTERS } from './conv.js';
import { CORE_CONVERTERS } from './core.js';
import { EMBEDDING_CONVERTERS } from './embedding.js';
import { MERGE_CONVERTERS } from './merge.js';
import { NORMALIZATION_CONVERTERS } from './normalization.js';
import { POOLING_CONVERTERS } from './pooling.js';
import { RECURRENT_CONVERTERS } from './recurrent.js';
import { RESHAPE_CONVERTERS } from './reshape.js';
import { SPATIAL_CONVERTERS } from './spatial.js';
import { WRAPPER_CONVERTERS } from './wrappers.js';

/**
 * Every layer converter by tfjs class name (`layer.getClassName()`).
 *
 * @example
 * ```ts
 * const convert = CONVERTERS.get(layer.getClassName());
 * ```
 */
export const CONVERTERS: ReadonlyMap<string, Converter> = new Map(
  Object.entries({
    ...ACTIVATION_CONVERTERS,
    ...CONV_CONVERTERS,
    ...CORE_CONVERTERS,
    ...EMBEDDING_CONVERTERS,
    ...MERGE_CONVERTERS,
    ...NORMALIZATION_CONVERTERS,
    ...POOLING_CONVERTERS,
    ...RECURRENT_CONVERTERS,
    ...RESHAPE_CONVERTERS,
    ...SPATIAL_CONVERTERS,
    ...WRAPPER_CONVERTERS,
  }),
);
