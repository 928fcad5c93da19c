import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReelsetError } from '../errors.js';
import { explainBackendError, GRADIENT_KERNELS, selectBackend, TRAINING_KERNELS } from './backend.js';

const L = tf.layers;

/** Embedding -> Flatten -> softmax: its gradient needs UnsortedSegmentSum, which wasm lacks. */
function embeddingModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      L.embedding({ inputDim: 50, outputDim: 4, inputLength: 6 }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** Conv2D -> BatchNormalization -> MaxPooling2D -> softmax: Conv2DBackpropFilter, which wasm lacks. */
function convModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      L.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, activation: 'relu' }),
      L.batchNormalization(),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** Dense layers and average pooling over two inputs: every kernel it needs is in wasm. */
function denseModel(): tf.LayersModel {
  const text = tf.input({ shape: [6] });
  const image = tf.input({ shape: [8, 8, 3] });
  const t = L.dense({ units: 4, activation: 'relu' }).apply(text) as tf.SymbolicTensor;
  const i = L.flatten().apply(
    L.averagePooling2d({ poolSize: 2 }).apply(L.dense({ units: 2 }).apply(image)),
  ) as tf.SymbolicTensor;
  const x = L.concatenate().apply([t, i]) as tf.SymbolicTensor;
  const out = L.dense({ units: 3, activation: 'softmax' }).apply(L.dropout({ rate: 0.2 }).apply(x));
  return tf.model({ inputs: [text, image], outputs: out as tf.SymbolicTensor });
}

/** The kernels (registered on cpu) that one forward and backward pass of `model` runs on cpu. */
async function trace(model: tf.LayersModel): Promise<{ forward: Set<string>; all: Set<string> }> {
  await tf.setBackend('cpu');
  const names = (list: string[]): Set<string> => new Set(list.filter((n) => tf.getKernel(n, 'cpu') != null));
  let forwardEnd = 0;
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      const xs = model.inputs.map((input) =>
        tf.ones([2, ...(input.shape.slice(1) as number[])], input.dtype),
      );
      tf.variableGrads(
        () => {
          const y = tf.sum(model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar;
          forwardEnd = tf.engine().state.activeProfile.kernels.length;
          return y;
        },
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      );
    });
  });
  const all = profile.kernels.map((k) => k.name);
  return { forward: names(all.slice(0, forwardEnd)), all: names(all) };
}

async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

let initial = '';
beforeAll(async () => {
  await selectBackend(); // loads wasm: the default here (no tfjs-node)
  initial = tf.getBackend();
});
afterEach(async () => {
  await tf.setBackend(initial);
});

describe('selectBackend for training', () => {
  it('without a model: refuses wasm (no gradients for Embedding and convolutions) and says which kernels', async () => {
    expect(initial).toBe('wasm');
    const choice = await selectBackend({ training: true });
    expect(choice).toMatchObject({ kind: 'cpu', tfBackend: 'cpu' });
    expect(choice.reason).toMatch(/that can train every common layer$/);
    const wasm = choice.tried.find((t) => t.kind === 'wasm');
    expect(wasm).toMatchObject({ available: false });
    expect(wasm?.missingKernels).toEqual([
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'UnsortedSegmentSum',
    ]);
    expect(wasm?.reason).toMatch(
      /^cannot train every common layer: no kernel Conv2DBackpropFilter \(Conv1D, Conv2D/,
    );
    expect(wasm?.reason).toMatch(/UnsortedSegmentSum \(Embedding\); pass \{ model \}/);
    expect(choice.tried.at(-1)).toEqual({ kind: 'cpu', available: true });
  });

  it('with an Embedding model: does not pick wasm, says why, leaves no tensor behind', async () => {
    const model = embeddingModel();
    const before = tf.memory().numTensors;
    const choice = await selectBackend({ training: true, model });
    expect(tf.memory().numTensors).toBe(before);
    expect(choice).toMatchObject({ kind: 'cpu', tfBackend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.reason).toBe(
      'first available in order tfjs-node-gpu, tfjs-node, wasm, cpu that can train this model',
    );
    expect(choice.tried.find((t) => t.kind === 'wasm')).toEqual({
      kind: 'wasm',
      available: false,
      reason: 'cannot train this model: no kernel UnsortedSegmentSum (Embedding)',
      missingKernels: ['UnsortedSegmentSum'],
    });
    // the choice holds: a real training step on it works
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const [x, y] = [tf.zeros([4, 6]), tf.zeros([4, 1])];
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    tf.dispose([x, y]);
  });

  it('with a Conv2D + BatchNormalization model: not wasm; the weights and moving statistics are left as they were', async () => {
    const model = convModel();
    const weights = await weightsOf(model);
    const before = tf.memory().numTensors;
    const choice = await selectBackend({ training: true, model });
    expect(tf.memory().numTensors).toBe(before);
    expect(await weightsOf(model)).toEqual(weights);
    expect(choice.kind).toBe('cpu');
    const wasm = choice.tried.find((t) => t.kind === 'wasm');
    expect(wasm?.missingKernels).toEqual(['Conv2DBackpropFilter']);
    expect(wasm?.reason).toMatch(
      /no kernel Conv2DBackpropFilter \(Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D\)$/,
    );
  });

  it('names every kernel a backend lacks, not only the first the run stopped at', async () => {
    const text = tf.input({ shape: [6] });
    const image = tf.input({ shape: [8, 8, 3] });
    const t = L.flatten().apply(L.embedding({ inputDim: 50, outputDim: 2 }).apply(text)) as tf.SymbolicTensor;
    const i = L.flatten().apply(L.conv2d({ filters: 2, kernelSize: 3 }).apply(image)) as tf.SymbolicTensor;
    const out = L.dense({ units: 3 }).apply(L.concatenate().apply([t, i])) as tf.SymbolicTensor;
    const choice = await selectBackend({
      training: true,
      model: tf.model({ inputs: [text, image], outputs: out }),
    });
    expect(choice.kind).toBe('cpu');
    expect(choice.tried.find((t) => t.kind === 'wasm')?.missingKernels).toEqual([
      'Conv2DBackpropFilter',
      'UnsortedSegmentSum',
    ]);
  });

  it('with a model wasm can train: picks wasm, and training on it works', async () => {
    const model = denseModel();
    const choice = await selectBackend({ training: true, model });
    expect(choice).toMatchObject({ kind: 'wasm', tfBackend: 'wasm' });
    expect(choice.tried.at(-1)).toEqual({ kind: 'wasm', available: true });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const xs = [tf.zeros([4, 6]), tf.zeros([4, 8, 8, 3])];
    const y = tf.zeros([4, 1]);
    await model.fit(xs, y, { epochs: 1, batchSize: 4, verbose: 0 });
    tf.dispose([...xs, y]);
  });

  it('judges by what the model runs: a frozen Conv2D needs no gradient, so wasm trains it', async () => {
    const model = convModel();
    for (const layer of model.layers) if (layer.name.startsWith('conv2d')) layer.trainable = false;
    const choice = await selectBackend({ training: true, model });
    expect(choice).toMatchObject({
      kind: 'wasm',
      tried: expect.arrayContaining([{ kind: 'wasm', available: true }]),
    });
  });

  it('prefer cpu: checks its forward pass only (cpu has every kernel a gradient calls)', async () => {
    const choice = await selectBackend({ training: true, model: embeddingModel(), prefer: 'cpu' });
    expect(choice).toMatchObject({ kind: 'cpu', reason: 'preferred cpu that can train this model' });
    expect(choice.tried).toEqual([{ kind: 'cpu', available: true }]);
  });

  it('a model without training checks the forward pass only: wasm runs an Embedding model', async () => {
    const choice = await selectBackend({ model: embeddingModel() });
    expect(choice).toMatchObject({ kind: 'wasm', reason: expect.stringMatching(/that can run this model$/) });
  });

  it('plain selectBackend() is unchanged: wasm, first available', async () => {
    await tf.setBackend('cpu');
    const choice = await selectBackend();
    expect(choice).toMatchObject({
      kind: 'wasm',
      reason: 'first available in order tfjs-node-gpu, tfjs-node, wasm, cpu',
    });
    expect(choice.tried.every((t) => t.missingKernels === undefined)).toBe(true);
  });

  it('only wasm for a model it cannot train: REELSET_E_BACKEND naming the kernel, previous backend restored', async () => {
    await tf.setBackend('cpu');
    const err = await selectBackend({ only: 'wasm', training: true, model: embeddingModel() }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ReelsetError);
    expect(err.code).toBe('REELSET_E_BACKEND');
    expect(err.message).toBe(
      'the wasm backend cannot train this model: wasm (no kernel UnsortedSegmentSum (Embedding)); ' +
        'leave out only, or install @tensorflow/tfjs-node',
    );
    expect(tf.getBackend()).toBe('cpu');
  });

  it("rejects a backend that lacks a trainable layer's weight-gradient kernel without running the model", async () => {
    // A layer after the Embedding that throws when called: a run of the model on wasm would end in its
    // error; the static check of the Embedding's UnsortedSegmentSum rejects wasm before any run.
    class Explodes extends tf.layers.Layer {
      static className = 'ReelsetTestExplodes';
      override call(): tf.Tensor {
        throw new Error('the model was run');
      }
    }
    const input = tf.input({ shape: [4], dtype: 'int32' });
    const embedded = L.embedding({ inputDim: 10, outputDim: 3 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: new Explodes({}).apply(embedded) as tf.SymbolicTensor });
    await tf.setBackend('cpu');
    const err = await selectBackend({ only: 'wasm', training: true, model }).catch((e) => e);
    expect(err.code).toBe('REELSET_E_BACKEND');
    expect(err.message).toContain('no kernel UnsortedSegmentSum (Embedding)');
    expect(err.message).not.toContain('the model was run');
    model.dispose();
  });

  it('rejects bad options', async () => {
    for (const options of [
      { training: 'yes' },
      { model: {} },
      { model: tf.sequential() }, // no layers yet: no inputs
    ]) {
      await expect(selectBackend(options as never)).rejects.toMatchObject({
        code: 'REELSET_E_INVALID_ARGUMENT',
      });
    }
  });
});

describe('explainBackendError', () => {
  it('turns a real failing fit on wasm into REELSET_E_BACKEND naming wasm, the kernel and the fix', async () => {
    await selectBackend({ only: 'wasm' });
    const model = embeddingModel();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const [x, y] = [tf.zeros([2, 6]), tf.zeros([2, 1])];
    const original = await model.fit(x, y, { epochs: 1, verbose: 0 }).catch((e: unknown) => e);
    tf.dispose([x, y]);
    expect((original as Error).message).toBe("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'");
    const err = explainBackendError(original);
    expect(err).toBeInstanceOf(ReelsetError);
    expect(err).toMatchObject({ code: 'REELSET_E_BACKEND', cause: original });
    expect((err as Error).message).toBe(
      "the TensorFlow.js backend 'wasm' has no kernel 'UnsortedSegmentSum' (needed by Embedding): " +
        'call selectBackend({ training: true, model }) before training to pick a backend that has every kernel ' +
        'the model needs, or install @tensorflow/tfjs-node',
    );
    expect((err as Error).message).not.toMatch(/\n/);
  });

  it('reads the other forms of the message; leaves anything else as it is', () => {
    const assertForm = new Error("Cannot find registered kernel 'Conv2DBackpropFilter' for backend 'wasm'");
    expect((explainBackendError(assertForm) as Error).message).toMatch(
      /^the TensorFlow.js backend 'wasm' has no kernel 'Conv2DBackpropFilter' \(needed by Conv1D, Conv2D/,
    );
    const native = explainBackendError(new Error("Kernel 'Foo' not registered for backend 'tensorflow'"));
    expect((native as Error).message).toBe(
      "the TensorFlow.js backend 'tensorflow' (tfjs-node) has no kernel 'Foo': call selectBackend({ training: " +
        'true, model }) to pick a backend that has every kernel the model needs',
    );
    const method = explainBackendError(
      new Error(
        "'batchNorm' not yet implemented or not found in the registry. This kernel may not be supported",
      ),
    );
    expect(method).toMatchObject({ code: 'REELSET_E_BACKEND' });
    expect((method as Error).message).toMatch(/^the TensorFlow.js backend 'wasm' has no kernel 'batchNorm':/);
    const other = new Error('Input 0 is incompatible with layer dense');
    expect(explainBackendError(other)).toBe(other);
    const own = new ReelsetError('REELSET_E_SHAPE');
    expect(explainBackendError(own)).toBe(own);
    for (const value of [undefined, null, 'text', 42]) expect(explainBackendError(value)).toBe(value);
  });
});

describe('the kernel tables', () => {
  /** One small model per group of TRAINING_KERNELS (after a Dense, so that input gradients are needed too). */
  const models: { [needs: string]: () => tf.layers.Layer[] } = {
    'Dense, activations, Dropout, normalization, recurrent layers, losses, optimizers': () => [
      L.dense({ inputShape: [5, 3], units: 4, activation: 'elu' }),
      L.batchNormalization(),
      L.layerNormalization(),
      L.dropout({ rate: 0.5 }),
      L.lstm({ units: 3, returnSequences: true }),
      L.gru({ units: 3, returnSequences: true }),
      L.simpleRNN({ units: 3 }),
      L.dense({ units: 4, activation: 'selu' }),
      L.leakyReLU(),
      L.prelu(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    Embedding: () => [L.embedding({ inputShape: [6], inputDim: 50, outputDim: 4 })],
    'Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D': () => [
      L.dense({ inputShape: [8, 8, 3], units: 3 }),
      L.conv2d({ filters: 2, kernelSize: 3, useBias: false }),
      L.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }),
      L.conv2dTranspose({ filters: 2, kernelSize: 3 }),
    ],
    'DepthwiseConv2D, SeparableConv2D': () => [
      L.dense({ inputShape: [8, 8, 3], units: 3 }),
      L.depthwiseConv2d({ kernelSize: 3 }),
    ],
    Conv3D: () => [L.dense({ inputShape: [4, 6, 6, 3], units: 3 }), L.conv3d({ filters: 2, kernelSize: 3 })],
    'MaxPooling1D, MaxPooling2D': () => [
      L.dense({ inputShape: [8, 8, 3], units: 3 }),
      L.maxPooling2d({ poolSize: 2 }),
    ],
    'AveragePooling1D, AveragePooling2D': () => [
      L.dense({ inputShape: [8, 8, 3], units: 3 }),
      L.averagePooling2d({ poolSize: 2 }),
    ],
    MaxPooling3D: () => [L.dense({ inputShape: [4, 6, 6, 3], units: 3 }), L.maxPooling3d({ poolSize: 2 })],
    AveragePooling3D: () => [
      L.dense({ inputShape: [4, 6, 6, 3], units: 3 }),
      L.averagePooling3d({ poolSize: 2 }),
    ],
    UpSampling2D: () => [
      L.dense({ inputShape: [4, 4, 3], units: 3 }),
      L.upSampling2d({}),
      L.upSampling2d({ interpolation: 'bilinear' } as never),
    ],
  };

  it('TRAINING_KERNELS and GRADIENT_KERNELS cover what tfjs runs to train each group of layers', async () => {
    expect(TRAINING_KERNELS.map((g) => g.needs)).toEqual(Object.keys(models));
    const core = new Set(TRAINING_KERNELS[0]?.kernels);
    for (const group of TRAINING_KERNELS) {
      const make = models[group.needs] as () => tf.layers.Layer[];
      const model = tf.sequential({ layers: make() });
      if ((model.outputs[0]?.shape.length ?? 0) > 2) model.add(L.flatten());
      model.add(L.dense({ units: 2 }));
      const { forward, all } = await trace(model);
      const allowed = new Set([...core, ...group.kernels]);
      expect(
        [...all].filter((k) => !allowed.has(k)),
        group.needs,
      ).toEqual([]);
      if (group !== TRAINING_KERNELS[0]) {
        const notRun = group.kernels.filter((k) => !all.has(k) && k !== 'FusedConv2D');
        expect(notRun, `${group.needs}: listed but not run`).toEqual([]);
      }
      const predicted = new Set([...forward].flatMap((k) => GRADIENT_KERNELS[k] ?? []));
      const backwardOnly = [...all].filter((k) => !forward.has(k) && !core.has(k));
      expect(
        backwardOnly.filter((k) => !predicted.has(k)),
        `${group.needs}: gradients`,
      ).toEqual([]);
    }
    // SeparableConv2D = a depthwise and a pointwise convolution: both groups
    const separable = tf.sequential({
      layers: [
        L.dense({ inputShape: [8, 8, 3], units: 3 }),
        L.separableConv2d({ filters: 2, kernelSize: 3 }),
        L.flatten(),
        L.dense({ units: 2 }),
      ],
    });
    const { all } = await trace(separable);
    const both = TRAINING_KERNELS.filter(
      (g) => g.needs === TRAINING_KERNELS[0]?.needs || /Separable/.test(g.needs),
    );
    expect(both).toHaveLength(3);
    expect([...all].filter((k) => !both.some((g) => g.kernels.includes(k)))).toEqual([]);
  });

  it('the first group covers what activations, losses and optimizers run (fit on cpu)', async () => {
    await tf.setBackend('cpu');
    const seen = new Set<string>();
    const record = async (f: () => Promise<unknown>): Promise<void> => {
      const profile = await tf.profile(async () => {
        await f();
      });
      for (const k of profile.kernels) if (tf.getKernel(k.name, 'cpu') != null) seen.add(k.name);
    };
    const activations = [
      'elu',
      'gelu',
      'hardSigmoid',
      'linear',
      'logSoftmax',
      'mish',
      'relu',
      'relu6',
      'selu',
    ];
    activations.push('sigmoid', 'softmax', 'softplus', 'softsign', 'swish', 'tanh');
    const layers = [
      ...activations.map((a) => L.dense({ units: 3, activation: a as never })),
      L.leakyReLU(),
      L.prelu(),
      L.dense({ units: 3, activation: 'softmax' }),
    ];
    const model = tf.sequential({ layers: [L.dense({ inputShape: [4], units: 3 }), ...layers] });
    const x = tf.ones([2, 4]);
    const sparse = tf.tensor2d([[0], [1]]);
    const oneHot = tf.tensor2d([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    for (const loss of ['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'binaryCrossentropy']) {
      for (const optimizer of ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax']) {
        model.compile({ optimizer, loss, metrics: ['accuracy'] });
        const y = loss === 'sparseCategoricalCrossentropy' ? sparse : oneHot;
        await record(() => model.fit(x, y, { epochs: 1, verbose: 0 }));
      }
    }
    for (const loss of ['meanSquaredError', 'meanAbsoluteError', 'hinge', 'logcosh', 'poisson']) {
      model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss });
      await record(() => model.fit(x, oneHot, { epochs: 1, verbose: 0 }));
    }
    tf.dispose([x, sparse, oneHot]);
    const core = TRAINING_KERNELS[0]?.kernels ?? [];
    expect([...seen].filter((k) => !core.includes(k))).toEqual([]);
  });

  it('cpu registers every kernel a gradient calls: it lacks only these, none called by a gradient', async () => {
    await tf.setBackend('cpu');
    const kernelNames = Object.entries(tf)
      .filter(([key, value]) => typeof value === 'string' && key === value && /^[A-Z_]/.test(key))
      .map(([key]) => key)
      .filter((name) => name !== 'ENV');
    expect(kernelNames.length).toBeGreaterThan(150);
    expect(kernelNames.filter((name) => tf.getKernel(name, 'cpu') == null).sort()).toEqual([
      'BroadcastTo', // the op runs Tile
      'FromPixels', // browser input, no gradient calls it
      'LogSoftmax', // the op is composed of other kernels
      'LogicalXor',
      'LowerBound',
      'MatrixBandPart',
      'Pool', // the op runs MaxPool / AvgPool
      'UpperBound',
    ]);
    const gradientKernels = new Set([
      ...TRAINING_KERNELS.flatMap((g) => g.kernels),
      ...Object.values(GRADIENT_KERNELS).flat(),
    ]);
    expect([...gradientKernels].filter((k) => tf.getKernel(k, 'cpu') == null)).toEqual([]);
  });
});
