import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTfjs } from '../adapters/tfjs.js';
import { ACTIVATIONS } from './converters/activations.js';
import {
  CHECKER_ABSENT,
  checkWrittenModels,
  HAS_ONNX_CHECKER,
  type InputValues,
  parity,
  randomize,
  saveFigures,
} from './testing.js';

/** Max abs difference per case (and per output of multi-output cases): the figures of docs/onnx.md. */
const figures: Record<string, number> = {};
const TOLERANCE = 1e-4;

type Shape = (number | null)[];

/** One input, the given layers each applied to it, one output per layer (named after it). */
function fan(
  shape: Shape,
  layers: tf.layers.Layer[],
  dtype: 'float32' | 'int32' = 'float32',
): tf.LayersModel {
  const x = tf.input({ shape: shape as number[], dtype, name: 'x' });
  const outputs = layers.map((l) => l.apply(x) as tf.SymbolicTensor);
  return randomize(tf, tf.model({ inputs: x, outputs }), 7);
}

/** One input through a chain of layers. */
function chain(
  shape: Shape,
  layers: tf.layers.Layer[],
  dtype: 'float32' | 'int32' = 'float32',
): tf.LayersModel {
  const x = tf.input({ shape: shape as number[], dtype, name: 'x' });
  const y = layers.reduce<tf.SymbolicTensor>((acc, l) => l.apply(acc) as tf.SymbolicTensor, x);
  return randomize(tf, tf.model({ inputs: x, outputs: y }), 11);
}

/** Exports, compares at batches 1, 3 and 8, records the figures (per output when there are several). */
async function expectParity(name: string, model: tf.LayersModel, values?: InputValues): Promise<void> {
  const diffs = await parity(tf, model, name, values === undefined ? {} : { values });
  const entries = Object.entries(diffs);
  for (const [output, diff] of entries) figures[entries.length === 1 ? name : output] = diff;
  for (const [output, diff] of entries) expect(diff, `${name} ${output}`).toBeLessThanOrEqual(TOLERANCE);
}

const L = tf.layers;

beforeAll(async () => {
  loadTfjs(); // quiets the cpu backend's banner
  await tf.setBackend('cpu');
});

afterAll(() => saveFigures(import.meta.filename, figures));

describe('activations', () => {
  it('every activation, as an Activation layer (rank 3: softmax on the last axis)', async () => {
    await expectParity(
      'Activation',
      fan(
        [3, 5],
        ACTIVATIONS.map((a) => L.activation({ activation: a as 'relu', name: `Activation_${a}` })),
      ),
    );
  });

  it('every activation, as the activation option of Dense', async () => {
    await expectParity(
      'Dense activation',
      fan(
        [6],
        ACTIVATIONS.map((a) => L.dense({ units: 5, activation: a as 'relu', name: `Dense_${a}` })),
      ),
    );
  });

  it('the activation layers: ReLU (maxValue), LeakyReLU, ELU, ThresholdedReLU, Softmax, PReLU (sharedAxes)', async () => {
    await expectParity(
      'activation layers',
      fan(
        [4, 5],
        [
          L.reLU({ name: 'ReLU' }),
          L.reLU({ maxValue: 0.7, name: 'ReLU_maxValue' }),
          L.leakyReLU({ alpha: 0.2, name: 'LeakyReLU' }),
          L.elu({ name: 'ELU' }),
          L.thresholdedReLU({ theta: 0.3, name: 'ThresholdedReLU' }),
          L.softmax({ axis: -1, name: 'Softmax_last_axis' }),
          L.prelu({ sharedAxes: [1], name: 'PReLU_sharedAxes' }),
        ],
      ),
    );
    await expectParity('Softmax', chain([5], [L.softmax()]));
  });
});

describe('core', () => {
  it('Dense on rank 2 and rank 3, useBias false', async () => {
    await expectParity(
      'Dense',
      fan(
        [3, 6],
        [
          L.dense({ units: 4, name: 'Dense_rank3' }),
          L.dense({ units: 2, useBias: false, name: 'Dense_useBias_false' }),
        ],
      ),
    );
    await expectParity('Dense rank 2', chain([6], [L.dense({ units: 4 })]));
  });

  it('the training-only layers are the identity, Rescaling scales and shifts', async () => {
    await expectParity(
      'training-only',
      chain(
        [4, 6],
        [
          L.dropout({ rate: 0.5 }),
          L.spatialDropout1d({ rate: 0.5 }),
          L.gaussianNoise({ stddev: 1 }),
          L.gaussianDropout({ rate: 0.3 }),
          L.alphaDropout({ rate: 0.3 }),
          L.dense({ units: 3 }),
        ],
      ),
    );
    await expectParity(
      'Rescaling',
      fan(
        [5],
        [
          L.rescaling({ scale: 1 / 127.5, offset: -1, name: 'Rescaling' }),
          L.rescaling({ scale: 2, name: 'Rescaling_no_offset' }),
        ],
      ),
    );
  });
});

describe('convolutions', () => {
  it('Conv1D: valid with strides, same with dilation, useBias false', async () => {
    await expectParity(
      'Conv1D',
      fan(
        [9, 3],
        [
          L.conv1d({ filters: 4, kernelSize: 3, strides: 2, name: 'Conv1D_valid_strides2' }),
          L.conv1d({
            filters: 4,
            kernelSize: 3,
            padding: 'same',
            dilationRate: 2,
            activation: 'relu',
            name: 'Conv1D_same_dilation2',
          }),
          L.conv1d({ filters: 2, kernelSize: 2, useBias: false, name: 'Conv1D_valid_noBias' }),
        ],
      ),
    );
  });

  it('Conv2D: same with strides (odd input: the extra pad at the end), valid with dilation, useBias false', async () => {
    await expectParity(
      'Conv2D',
      fan(
        [7, 8, 3],
        [
          L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'Conv2D_same_strides2' }),
          L.conv2d({ filters: 4, kernelSize: [2, 3], padding: 'same', name: 'Conv2D_same_even_kernel' }),
          L.conv2d({
            filters: 3,
            kernelSize: 3,
            dilationRate: 2,
            useBias: false,
            activation: 'tanh',
            name: 'Conv2D_valid_dilation2_noBias',
          }),
          L.conv2d({ filters: 3, kernelSize: 1, activation: 'softmax', name: 'Conv2D_softmax' }),
        ],
      ),
    );
  });

  it('Conv3D: same with strides, valid', async () => {
    await expectParity(
      'Conv3D',
      fan(
        [3, 5, 6, 2],
        [
          L.conv3d({
            filters: 3,
            kernelSize: 3,
            strides: [1, 2, 2],
            padding: 'same',
            name: 'Conv3D_same_strides',
          }),
          L.conv3d({ filters: 2, kernelSize: [2, 3, 3], activation: 'relu', name: 'Conv3D_valid' }),
        ],
      ),
    );
  });

  it('DepthwiseConv2D and SeparableConv2D: depth multiplier, strides, same and valid, useBias false', async () => {
    await expectParity(
      'depthwise',
      fan(
        [7, 6, 3],
        [
          L.depthwiseConv2d({
            kernelSize: 3,
            depthMultiplier: 2,
            strides: 2,
            padding: 'same',
            name: 'DepthwiseConv2D_same_mult2',
          }),
          L.depthwiseConv2d({ kernelSize: 2, useBias: false, name: 'DepthwiseConv2D_valid_noBias' }),
          L.separableConv2d({
            filters: 4,
            kernelSize: 3,
            depthMultiplier: 2,
            activation: 'relu',
            name: 'SeparableConv2D_valid_mult2',
          }),
          L.separableConv2d({
            filters: 3,
            kernelSize: 3,
            padding: 'same',
            strides: 2,
            useBias: false,
            name: 'SeparableConv2D_same_noBias',
          }),
        ],
      ),
    );
  });
});

describe('pooling', () => {
  it('MaxPooling and AveragePooling 1D, 2D, 3D: valid and same (padding left out of averages), strides', async () => {
    await expectParity(
      'pooling 1D',
      fan(
        [7, 3],
        [
          L.maxPooling1d({ poolSize: 2, name: 'MaxPooling1D_valid' }),
          L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same', name: 'MaxPooling1D_same' }),
          L.averagePooling1d({ poolSize: 2, name: 'AveragePooling1D_valid' }),
          L.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same', name: 'AveragePooling1D_same' }),
        ],
      ),
    );
    await expectParity(
      'pooling 2D',
      fan(
        [7, 6, 2],
        [
          L.maxPooling2d({ poolSize: 2, name: 'MaxPooling2D_valid' }),
          L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'MaxPooling2D_same' }),
          L.averagePooling2d({ poolSize: [2, 3], strides: 1, name: 'AveragePooling2D_valid' }),
          L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'AveragePooling2D_same' }),
        ],
      ),
    );
    await expectParity(
      'pooling 3D',
      fan(
        [3, 5, 6, 2],
        [
          L.maxPooling3d({ poolSize: [1, 2, 2], name: 'MaxPooling3D_valid' }),
          L.maxPooling3d({ poolSize: 2, padding: 'same', name: 'MaxPooling3D_same' }),
          L.averagePooling3d({ poolSize: [1, 2, 2], name: 'AveragePooling3D_valid' }),
          L.averagePooling3d({ poolSize: 2, padding: 'same', name: 'AveragePooling3D_same' }),
        ],
      ),
    );
  });

  it('the global poolings', async () => {
    await expectParity(
      'global 1D',
      fan(
        [5, 3],
        [
          L.globalMaxPooling1d({ name: 'GlobalMaxPooling1D' }),
          L.globalAveragePooling1d({ name: 'GlobalAveragePooling1D' }),
        ],
      ),
    );
    await expectParity(
      'global 2D',
      fan(
        [4, 5, 3],
        [
          L.globalMaxPooling2d({ name: 'GlobalMaxPooling2D' }),
          L.globalAveragePooling2d({ name: 'GlobalAveragePooling2D' }),
        ],
      ),
    );
  });
});

describe('normalization', () => {
  it('BatchNormalization: epsilon, without center or scale', async () => {
    await expectParity(
      'BatchNormalization',
      fan(
        [4, 5, 3],
        [
          L.batchNormalization({ name: 'BatchNormalization' }),
          L.batchNormalization({ epsilon: 0.01, name: 'BatchNormalization_epsilon' }),
          L.batchNormalization({ center: false, scale: false, name: 'BatchNormalization_no_center_scale' }),
        ],
      ),
    );
  });

  it('LayerNormalization: last axis, two axes, without center or scale', async () => {
    await expectParity(
      'LayerNormalization',
      fan(
        [4, 6],
        [
          L.layerNormalization({ name: 'LayerNormalization' }),
          L.layerNormalization({ axis: [1, 2], epsilon: 0.01, name: 'LayerNormalization_axes12' }),
          L.layerNormalization({ center: false, scale: false, name: 'LayerNormalization_no_center_scale' }),
        ],
      ),
    );
  });
});

describe('token ids', () => {
  it('Embedding on int32 ids and on float ids', async () => {
    await expectParity('Embedding', chain([6], [L.embedding({ inputDim: 10, outputDim: 4 })], 'int32'));
    await expectParity('Embedding float ids', chain([6], [L.embedding({ inputDim: 10, outputDim: 4 })]), {
      x: (_, r) => Math.floor(r * 10),
    });
  });
});

describe('recurrent', () => {
  const rnn = (kind: 'lstm' | 'gru' | 'simpleRNN', args: Record<string, unknown>): tf.layers.Layer =>
    (L[kind] as unknown as (a: Record<string, unknown>) => tf.layers.Layer)({
      units: 4,
      recurrentInitializer: 'glorotUniform',
      ...args,
    });

  it('LSTM, GRU and SimpleRNN: last output and sequences, activations, useBias false', async () => {
    await expectParity(
      'recurrent',
      fan(
        [5, 3],
        [
          rnn('lstm', { name: 'LSTM' }),
          rnn('lstm', { returnSequences: true, name: 'LSTM_sequences' }),
          rnn('lstm', {
            activation: 'relu',
            recurrentActivation: 'sigmoid',
            useBias: false,
            name: 'LSTM_relu_sigmoid_noBias',
          }),
          rnn('gru', { name: 'GRU' }),
          rnn('gru', { returnSequences: true, activation: 'softsign', name: 'GRU_sequences_softsign' }),
          rnn('simpleRNN', { name: 'SimpleRNN' }),
          rnn('simpleRNN', { returnSequences: true, activation: 'relu', name: 'SimpleRNN_sequences_relu' }),
        ],
      ),
    );
  });

  it('Bidirectional: every merge mode, sequences or not, LSTM, GRU and SimpleRNN', async () => {
    const bi = (
      kind: 'lstm' | 'gru' | 'simpleRNN',
      mergeMode: string | undefined,
      returnSequences: boolean,
      name: string,
    ) =>
      L.bidirectional({
        layer: rnn(kind, { returnSequences }) as tf.RNN,
        mergeMode: mergeMode as 'concat',
        name,
      });
    await expectParity(
      'Bidirectional',
      fan(
        [5, 3],
        [
          bi('lstm', 'concat', true, 'Bidirectional_LSTM_concat_sequences'),
          bi('lstm', 'concat', false, 'Bidirectional_LSTM_concat'),
          bi('gru', 'sum', true, 'Bidirectional_GRU_sum_sequences'),
          bi('gru', 'mul', false, 'Bidirectional_GRU_mul'),
          bi('simpleRNN', 'ave', true, 'Bidirectional_SimpleRNN_ave_sequences'),
        ],
      ),
    );
    const x = tf.input({ shape: [5, 3], name: 'x' });
    const both = L.bidirectional({
      layer: rnn('lstm', { returnSequences: true }) as tf.RNN,
      mergeMode: null as unknown as 'concat',
      name: 'Bidirectional_null',
    }).apply(x) as tf.SymbolicTensor[];
    await expectParity(
      'Bidirectional_mergeMode_null',
      randomize(tf, tf.model({ inputs: x, outputs: both }), 3),
    );
  });
});

describe('wrappers and shapes', () => {
  it('TimeDistributed around Dense and Conv2D', async () => {
    await expectParity(
      'TimeDistributed(Dense)',
      chain([3, 5], [L.timeDistributed({ layer: L.dense({ units: 4, activation: 'relu' }) })]),
    );
    await expectParity(
      'TimeDistributed(Conv2D)',
      chain(
        [2, 5, 5, 2],
        [L.timeDistributed({ layer: L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }) })],
      ),
    );
  });

  it('Flatten after a convolution (channels-last order), Reshape, Permute, RepeatVector', async () => {
    await expectParity(
      'Flatten',
      chain([5, 4, 3], [L.conv2d({ filters: 2, kernelSize: 2 }), L.flatten(), L.dense({ units: 3 })]),
    );
    await expectParity(
      'Reshape',
      fan(
        [4, 6],
        [
          L.reshape({ targetShape: [3, 8], name: 'Reshape' }),
          L.reshape({ targetShape: [-1, 2], name: 'Reshape_minus1' }),
        ],
      ),
    );
    await expectParity('Permute', chain([2, 3, 4], [L.permute({ dims: [3, 1, 2] })]));
    await expectParity('RepeatVector', chain([5], [L.repeatVector({ n: 3 })]));
  });
});

describe('padding, cropping, resizing', () => {
  it('ZeroPadding2D, Cropping2D, UpSampling2D (nearest and bilinear)', async () => {
    await expectParity(
      'spatial',
      fan(
        [5, 6, 2],
        [
          L.zeroPadding2d({
            padding: [
              [1, 2],
              [0, 3],
            ],
            name: 'ZeroPadding2D',
          }),
          L.cropping2D({
            cropping: [
              [1, 0],
              [2, 1],
            ],
            name: 'Cropping2D',
          }),
          L.upSampling2d({ size: [2, 3], name: 'UpSampling2D_nearest' }),
          L.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'UpSampling2D_bilinear' }),
        ],
      ),
    );
  });
});

describe('merge', () => {
  it('Concatenate, Add, Multiply, Average, Maximum, Minimum; lower ranks expanded at axis 1', async () => {
    const a = tf.input({ shape: [3, 4], name: 'a' });
    const b = tf.input({ shape: [3, 4], name: 'b' });
    const c = tf.input({ shape: [4], name: 'c' });
    const outputs = [
      L.concatenate({ name: 'Concatenate' }).apply([a, b]),
      L.concatenate({ axis: 1, name: 'Concatenate_axis1' }).apply([a, b]),
      L.add({ name: 'Add' }).apply([a, b, a]),
      L.multiply({ name: 'Multiply' }).apply([a, b]),
      L.average({ name: 'Average' }).apply([a, b, a]),
      L.maximum({ name: 'Maximum' }).apply([a, b]),
      L.minimum({ name: 'Minimum' }).apply([a, b]),
      L.add({ name: 'Add_rank2_rank3' }).apply([c, a]),
    ] as tf.SymbolicTensor[];
    await expectParity('merge', tf.model({ inputs: [a, b, c], outputs }));
  });
});

describe('models', () => {
  it('a Sequential model, and a model nested in a functional one', async () => {
    const seq = tf.sequential({
      layers: [
        L.dense({ inputShape: [6], units: 5, activation: 'relu' }),
        L.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomize(tf, seq, 5);
    await expectParity('Sequential', seq);
    const x = tf.input({ shape: [6], name: 'outer' });
    const y = L.dense({ units: 2 }).apply(seq.apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
    await expectParity('nested', randomize(tf, tf.model({ inputs: x, outputs: y }), 9));
  });
});

describe('the ONNX checker', () => {
  it.skipIf(!HAS_ONNX_CHECKER)(
    `passes every exported graph with full shape inference (one python process)${CHECKER_ABSENT}`,
    () => {
      expect(checkWrittenModels()).toEqual([]);
    },
  );
});
