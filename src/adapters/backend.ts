/** @module backend — picks the TensorFlow.js backend: tfjs-node-gpu, tfjs-node, wasm or cpu, and says why. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { ReelsetError } from '../errors.js';
import { checkBoolean, checkOneOf, describeValue, invalidArgument } from '../util/options.js';
import { loadTfjs, tf } from './tfjs.js';

/**
 * The backends reelset can choose, best first: `'tfjs-node-gpu'` (@tensorflow/tfjs-node-gpu, CUDA),
 * `'tfjs-node'` (@tensorflow/tfjs-node, native libtensorflow on the CPU), `'wasm'`
 * (@tensorflow/tfjs-backend-wasm, shipped with reelset) and `'cpu'` (pure JavaScript, always there).
 *
 * @example
 * ```ts
 * const prefer: BackendKind = 'wasm';
 * ```
 */
export type BackendKind = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

/**
 * Whether one backend could be used for what was asked, and why not.
 *
 * @example
 * ```ts
 * const probe: BackendProbe = { kind: 'tfjs-node', available: false, reason: 'not installed' };
 * const wasm: BackendProbe = {
 *   kind: 'wasm', available: false, missingKernels: ['UnsortedSegmentSum'],
 *   reason: 'cannot train this model: no kernel UnsortedSegmentSum (Embedding)',
 * };
 * ```
 */
export interface BackendProbe {
  kind: BackendKind;
  /**
   * Whether it can be used: it loads and initializes, and (with `training` or `model`) it has every kernel
   * that was asked for.
   */
  available: boolean;
  /** Why it is not available (the import or initialization error, or the kernels it lacks, in short). */
  reason?: string;
  /**
   * With `training` or `model`: the TensorFlow.js kernels (e.g. `'UnsortedSegmentSum'`,
   * `'Conv2DBackpropFilter'`) this backend lacks for what was asked.
   */
  missingKernels?: string[];
}

/**
 * What {@link selectBackend} chose: the kind, TensorFlow.js's name for it (`tf.getBackend()`:
 * `'tensorflow'`, `'wasm'` or `'cpu'`), why, and what it tried.
 *
 * @example
 * ```ts
 * const choice: BackendChoice = {
 *   kind: 'wasm', tfBackend: 'wasm', reason: 'first available in order tfjs-node-gpu, tfjs-node, wasm, cpu',
 *   tried: [{ kind: 'tfjs-node-gpu', available: false, reason: 'not installed' }],
 * };
 * ```
 */
export interface BackendChoice {
  kind: BackendKind;
  tfBackend: string;
  reason: string;
  /** Each backend tried, in order, until one worked. */
  tried: BackendProbe[];
}

/**
 * Options of {@link selectBackend}.
 *
 * @example
 * ```ts
 * const options: SelectBackendOptions = { prefer: 'cpu' };
 * const forTraining: SelectBackendOptions = { training: true, model }; // model: a tf.LayersModel
 * ```
 */
export interface SelectBackendOptions {
  /** Try this backend first; the others follow in the default order. */
  prefer?: BackendKind;
  /** Only this backend: `REELSET_E_INVALID_ARGUMENT` when it is not usable. */
  only?: BackendKind;
  /**
   * The backend must be able to train (default false): with `model`, that model (each candidate runs its
   * forward and backward pass once, on zeros; the cpu backend, which has every kernel a gradient calls,
   * runs the forward pass only); without, every common layer (Dense, Embedding, the convolutions, pooling,
   * normalization, recurrent layers, losses and optimizers: a lookup of the kernels their gradients need).
   */
  training?: boolean;
  /**
   * The model to run (built: its inputs known): the backend must have every kernel its forward pass needs
   * (and its backward pass, with `training`). Checked by running it at batch 1 on zeros of its input
   * shapes, inside `tf.tidy`: no tensor stays behind and the weights are left as they were.
   */
  model?: Tfjs.LayersModel;
}

/**
 * The default order of {@link selectBackend}.
 *
 * @example
 * ```ts
 * console.log(BACKEND_ORDER.join(' > ')); // tfjs-node-gpu > tfjs-node > wasm > cpu
 * ```
 */
export const BACKEND_ORDER: readonly BackendKind[] = Object.freeze([
  'tfjs-node-gpu',
  'tfjs-node',
  'wasm',
  'cpu',
]);

/**
 * The kernels (TensorFlow.js's names) that training common layers needs, forward and backward, by what
 * needs them: read from tfjs 4.22 by tracing small models on the cpu backend (backend.test.ts traces them
 * again, so a tfjs upgrade that changes them fails a test). `selectBackend({ training: true })` without a
 * model requires all of them.
 *
 * @example
 * ```ts
 * for (const { needs, kernels } of TRAINING_KERNELS) console.log(needs, kernels.join(' '));
 * // Embedding GatherV2 UnsortedSegmentSum
 * ```
 */
export const TRAINING_KERNELS: ReadonlyArray<{
  readonly needs: string;
  readonly kernels: readonly string[];
}> = Object.freeze(
  [
    [
      'Dense, activations, Dropout, normalization, recurrent layers, losses, optimizers',
      'Abs Add AddN ArgMax BatchMatMul Cast ClipByValue Concat Elu EluGrad Equal Erf Exp Fill Floor ' +
        'FusedBatchNorm GatherV2 Greater GreaterEqual Identity LeakyRelu Less LessEqual Log Log1p ' +
        'LogicalAnd Max Maximum Mean Minimum Multiply Neg OneHot OnesLike Pack PadV2 Pow Prelu RealDiv ' +
        'Relu Relu6 Reshape Rsqrt Select Selu Sigmoid Slice Softmax Softplus SplitV Sqrt Square Step ' +
        'Sub Sum Tanh Tile Transpose Unpack ZerosLike _FusedMatMul',
    ],
    ['Embedding', 'GatherV2 UnsortedSegmentSum'],
    [
      'Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D',
      'Conv2D FusedConv2D Conv2DBackpropFilter Conv2DBackpropInput',
    ],
    [
      'DepthwiseConv2D, SeparableConv2D',
      'DepthwiseConv2dNative DepthwiseConv2dNativeBackpropFilter DepthwiseConv2dNativeBackpropInput',
    ],
    ['Conv3D', 'Conv3D Conv3DBackpropFilterV2 Conv3DBackpropInputV2'],
    ['MaxPooling1D, MaxPooling2D', 'MaxPool MaxPoolGrad'],
    ['AveragePooling1D, AveragePooling2D', 'AvgPool AvgPoolGrad'],
    ['MaxPooling3D', 'MaxPool3D MaxPool3DGrad'],
    ['AveragePooling3D', 'AvgPool3D AvgPool3DGrad'],
    ['UpSampling2D', 'ResizeNearestNeighbor ResizeNearestNeighborGrad ResizeBilinear ResizeBilinearGrad'],
  ].map(([needs, kernels]) =>
    Object.freeze({ needs: needs as string, kernels: Object.freeze((kernels as string).split(' ')) }),
  ),
);

/** What in {@link TRAINING_KERNELS} needs `kernel`, for messages: `'Embedding'`, or undefined. */
function neededBy(kernel: string): string | undefined {
  const needs = TRAINING_KERNELS.filter((g) => g.kernels.includes(kernel)).map((g) => g.needs);
  return needs.length > 0 ? needs.join('; ') : undefined;
}

/** The kernels that compute a weight's gradient (a kernel's filter, an embedding's rows). */
const WEIGHT_GRADIENT = /BackpropFilter|UnsortedSegmentSum/;

/**
 * The weight-gradient kernels that training `model` certainly needs, known without running it: those of
 * {@link TRAINING_KERNELS} for each trainable layer of a class it names (Embedding, the convolutions),
 * wrapped and nested layers included. A frozen layer needs none.
 */
function weightGradientKernels(model: Tfjs.LayersModel): Set<string> {
  const kernels = new Set<string>();
  const visit = (layer: Tfjs.layers.Layer): void => {
    const name = layer.getClassName();
    if (layer.trainable && layer.trainableWeights.length > 0) {
      for (const group of TRAINING_KERNELS) {
        if (!group.needs.split(', ').includes(name)) continue;
        for (const k of group.kernels) if (WEIGHT_GRADIENT.test(k)) kernels.add(k);
      }
    }
    const inner = (layer as { layer?: Tfjs.layers.Layer }).layer; // TimeDistributed, Bidirectional
    if (inner !== undefined) visit(inner);
    for (const sub of (layer as { layers?: Tfjs.layers.Layer[] }).layers ?? []) visit(sub); // nested models
  };
  for (const layer of model.layers) visit(layer);
  return kernels;
}

/** `UnsortedSegmentSum (Embedding), Conv2DBackpropFilter (Conv1D, Conv2D, ...)`. */
function kernelList(kernels: readonly string[]): string {
  return kernels
    .map((k) => {
      const needs = neededBy(k);
      return needs === undefined ? k : `${k} (${needs})`;
    })
    .join(', ');
}

/** The kernels in `kernels` that TensorFlow.js backend `tfBackend` has not registered. */
function missingOn(tfBackend: string, kernels: Iterable<string>): string[] {
  const missing = new Set<string>();
  for (const k of kernels) if (tf.getKernel(k, tfBackend) == null) missing.add(k);
  return [...missing].sort();
}

const KERNEL_ERRORS: readonly RegExp[] = [
  /Kernel '([^']+)' not registered for backend '([^']+)'/,
  /Cannot find registered kernel '([^']+)' for backend '([^']+)'/,
];
/** A backend method that is missing (older kernels are methods of the backend object). */
const METHOD_ERROR = /'([^']+)' not yet implemented or not found in the registry/;

/** The kernel and backend named by a TensorFlow.js "kernel not registered" error, or undefined. */
function missingKernelOf(err: unknown): { kernel: string; backend: string } | undefined {
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  for (const re of KERNEL_ERRORS) {
    const m = re.exec(message);
    if (m) return { kernel: m[1] as string, backend: m[2] as string };
  }
  const m = METHOD_ERROR.exec(message);
  if (!m) return undefined;
  let backend = 'unknown';
  try {
    backend = tf.getBackend() ?? backend;
  } catch {
    // tfjs cannot be loaded: keep 'unknown'
  }
  return { kernel: m[1] as string, backend };
}

const KIND_OF: { readonly [tfBackend: string]: string } = {
  tensorflow: 'tfjs-node',
  wasm: 'wasm',
  cpu: 'cpu',
};

/**
 * Turns a TensorFlow.js error about a missing kernel (`Kernel 'UnsortedSegmentSum' not registered for
 * backend 'wasm'`, as `model.fit` on the wasm backend throws for a model with an Embedding layer) into a
 * `ReelsetError` `REELSET_E_BACKEND` whose one-line message names the backend, the kernel, what needs it
 * and the fix, with the original error as `cause`. Any other error is returned unchanged, so it fits a
 * `catch` around any TensorFlow.js call: `throw explainBackendError(err)`.
 *
 * @example
 * ```ts
 * try {
 *   await model.fitDataset(toTfDataset(train, { batchSize: 32 }), { epochs: 5 });
 * } catch (err) {
 *   throw explainBackendError(err);
 *   // ReelsetError REELSET_E_BACKEND: the TensorFlow.js backend 'wasm' has no kernel 'UnsortedSegmentSum'
 *   // (needed by Embedding): call selectBackend({ training: true, model }) before training ...
 * }
 * ```
 */
export function explainBackendError<E>(err: E): E | ReelsetError {
  if (err instanceof ReelsetError) return err;
  const found = missingKernelOf(err);
  if (found === undefined) return err;
  const { kernel, backend } = found;
  const kind = KIND_OF[backend];
  const needs = neededBy(kernel);
  const fix =
    backend === 'tensorflow'
      ? 'call selectBackend({ training: true, model }) to pick a backend that has every kernel the model needs'
      : 'call selectBackend({ training: true, model }) before training to pick a backend that has every kernel ' +
        'the model needs, or install @tensorflow/tfjs-node';
  return new ReelsetError(
    'REELSET_E_BACKEND',
    `the TensorFlow.js backend '${backend}'${kind !== undefined && kind !== backend ? ` (${kind})` : ''} has no ` +
      `kernel '${kernel}'${needs === undefined ? '' : ` (needed by ${needs})`}: ${fix}`,
    { cause: err },
  );
}

function short(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return 'not installed';
  return String(e?.message ?? err).split('\n')[0] ?? 'unknown error';
}

/** Imports an optional package by a name TypeScript and bundlers do not resolve. */
async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

/** The folder holding the wasm backend's `.wasm` files (they ship in its npm package). */
function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

let wasmPathsSet = false;
/** Makes backend `kind` the active one; throws when it cannot be. */
async function activate(kind: BackendKind): Promise<string> {
  if (kind === 'tfjs-node-gpu' || kind === 'tfjs-node') {
    // Both register the 'tensorflow' backend with the same tfjs-core as @tensorflow/tfjs.
    await importOptional(kind === 'tfjs-node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend failed to initialize');
    return 'tensorflow';
  }
  if (kind === 'wasm') {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as {
      setWasmPaths: (prefix: string) => void;
    };
    if (!wasmPathsSet) {
      wasm.setWasmPaths(wasmDir());
      wasmPathsSet = true;
    }
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialize');
    return 'wasm';
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialize');
  return 'cpu';
}

/** The size given to a dimension the model leaves open (other than the batch) when it is run on zeros. */
const OPEN_DIM = 32;

/** Checks that `value` is a built tf.LayersModel (one with known inputs). */
function checkModel(value: unknown): Tfjs.LayersModel {
  const model = value as Tfjs.LayersModel;
  if (typeof model !== 'object' || model === null || typeof model.apply !== 'function') {
    throw invalidArgument(`model must be a tf.LayersModel, got ${describeValue(value)}`);
  }
  let inputs: unknown;
  try {
    inputs = model.inputs;
  } catch {
    inputs = undefined;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalidArgument('model has no inputs yet: give its first layer an inputShape (or build it) first');
  }
  return model;
}

/**
 * The kernels that the gradient of a forward kernel calls, besides element-wise ones (those of the first
 * group of {@link TRAINING_KERNELS}): read from tfjs 4.22 (backend.test.ts checks them by tracing). Used to
 * name what a backend lacks beyond the first missing kernel a run stops at, and on the cpu backend.
 *
 * @example
 * ```ts
 * console.log(GRADIENT_KERNELS.GatherV2); // ['UnsortedSegmentSum']: the gradient of an Embedding
 * ```
 */
export const GRADIENT_KERNELS: { readonly [forward: string]: readonly string[] } = Object.freeze({
  GatherV2: ['UnsortedSegmentSum'],
  Conv2D: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  FusedConv2D: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  Conv2DBackpropInput: ['Conv2D', 'Conv2DBackpropFilter'],
  DepthwiseConv2dNative: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
  FusedDepthwiseConv2D: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
  Conv3D: ['Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2'],
  MaxPool: ['MaxPoolGrad'],
  AvgPool: ['AvgPoolGrad'],
  MaxPool3D: ['MaxPool3DGrad'],
  AvgPool3D: ['AvgPool3DGrad'],
  ResizeNearestNeighbor: ['ResizeNearestNeighborGrad'],
  ResizeBilinear: ['ResizeBilinearGrad'],
  Elu: ['EluGrad'],
});

/** What one run of a model on a backend showed. */
interface ModelRun {
  /** The kernels of the forward pass, when it ran to its end. */
  forward?: Set<string>;
  /** Every kernel it ran, forward and backward. */
  kernels: Set<string>;
  /** What stopped it. */
  error?: unknown;
}

/**
 * A backward pass that throws leaves alive the tensors its tape kept for the gradients (tfjs-core 4.22
 * disposes them only at the end of a successful pass): dispose them as it would have.
 */
function disposeTape(): void {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = [];
}

/**
 * Runs `model` once on the active backend, `tfBackend`: its forward pass (in training mode with
 * `training`) on zeros of its input shapes at batch 1 and, with `backward`, the gradients of every
 * trainable weight (`tf.variableGrads`: no update). Records the kernels it runs (`tf.profile`); an error is
 * returned, not thrown. Inside `tf.tidy`, so no tensor stays behind; the non-trainable weights
 * (BatchNormalization's moving statistics, which a training-mode pass moves) are written back.
 */
async function runModel(
  model: Tfjs.LayersModel,
  training: boolean,
  backward: boolean,
  tfBackend: string,
): Promise<ModelRun> {
  const engine = tf.engine();
  const kept = training ? model.nonTrainableWeights.map((w) => tf.clone(w.read())) : [];
  let error: unknown;
  let forwardEnd: number | undefined;
  try {
    const profile = await tf.profile(() => {
      try {
        tf.tidy(() => {
          const xs = model.inputs.map((input) =>
            tf.zeros([1, ...input.shape.slice(1).map((d) => d ?? OPEN_DIM)], input.dtype),
          );
          const total = (): Tfjs.Scalar => {
            const out = model.apply(xs.length === 1 ? (xs[0] as Tfjs.Tensor) : xs, { training }) as
              | Tfjs.Tensor
              | Tfjs.Tensor[];
            const sum = tf.addN((Array.isArray(out) ? out : [out]).map((o) => tf.sum(tf.cast(o, 'float32'))));
            forwardEnd = engine.state.activeProfile.kernels.length;
            return sum as Tfjs.Scalar;
          };
          const weights = backward ? model.trainableWeights.map((w) => w.read() as Tfjs.Variable) : [];
          if (weights.length > 0) tf.variableGrads(total, weights);
          else total();
        });
      } catch (err) {
        error = err; // caught here, so that tf.profile ends normally (it does not reset itself on a throw)
        disposeTape();
      }
    });
    const names = profile.kernels.map((k) => k.name);
    const real = (list: string[]): Set<string> =>
      new Set(list.filter((n) => tf.getKernel(n, tfBackend) != null));
    const run: ModelRun = { kernels: real(names) };
    if (forwardEnd !== undefined) run.forward = real(names.slice(0, forwardEnd));
    if (error !== undefined) run.error = error;
    return run;
  } finally {
    model.nonTrainableWeights.forEach((w, i) => {
      const value = kept[i];
      if (value !== undefined) w.write(value);
    });
    tf.dispose(kept);
  }
}

/** The probe of a backend that lacks `missing` for `what`. */
function lacking(kind: BackendKind, what: string, missing: string[], hint = ''): BackendProbe {
  return {
    kind,
    available: false,
    reason: `cannot ${what}: no kernel ${kernelList(missing)}${hint}`,
    missingKernels: missing,
  };
}

/** The active backend's name, or undefined (none yet, or tfjs not loadable). */
function activeBackend(): string | undefined {
  try {
    return (tf.engine().backendName as string | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Chooses and activates the TensorFlow.js backend: @tensorflow/tfjs-node-gpu when installed (and its CUDA
 * libraries load), else @tensorflow/tfjs-node, else wasm (its `.wasm` files are read from the installed
 * package, so it works offline), else cpu. The two native packages are optional peer dependencies, loaded
 * by dynamic import. `prefer` moves one kind to the front; `only` tries just that one.
 *
 * For training, say so: the wasm backend lacks the kernels of some gradients (`UnsortedSegmentSum` for
 * Embedding, `Conv2DBackpropFilter` for Conv1D/Conv2D, the depthwise ones), so a model that needs them
 * fails inside `fit`. With `training: true` and `model`, each candidate runs the model's forward and
 * backward pass once (batch 1, zeros; milliseconds for a small model; cpu, which has every kernel a
 * gradient calls, runs the forward pass only) and the first that can is chosen; with `training: true`
 * alone, the candidate must have the kernels of every common layer (see docs/adapters.md), which rules out
 * wasm. `model` without `training` checks the forward pass only. A rejected backend appears in `tried`
 * with `available: false`, the kernels it lacks (`missingKernels`) and a `reason`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for an unknown kind or a bad option, or when `only` is
 *   not usable; `REELSET_E_BACKEND` when no backend (or not `only`) can run or train what was asked (the
 *   previously active backend is restored); `REELSET_E_MISSING_PEER` when @tensorflow/tfjs is not installed.
 * @example
 * ```ts
 * const choice = await selectBackend();
 * console.log(choice.kind, choice.reason); // 'wasm' 'first available in order tfjs-node-gpu, ...'
 *
 * const forTraining = await selectBackend({ training: true, model }); // model: a tf.LayersModel
 * console.log(forTraining.kind); // 'cpu' for a model with an Embedding layer (without tfjs-node)
 * for (const t of forTraining.tried) if (t.missingKernels) console.log(t.kind, t.reason);
 * // wasm cannot train this model: no kernel UnsortedSegmentSum (Embedding)
 * ```
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  loadTfjs(); // REELSET_E_MISSING_PEER, naming the install command, when @tensorflow/tfjs is absent
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const { prefer, only } = options;
  for (const [name, value] of [
    ['prefer', prefer],
    ['only', only],
  ] as const) {
    if (value !== undefined) checkOneOf(name, value, BACKEND_ORDER);
  }
  const training = checkBoolean('training', options.training, false);
  const model = options.model === undefined ? undefined : checkModel(options.model);
  const what =
    model !== undefined
      ? `${training ? 'train' : 'run'} this model`
      : training
        ? 'train every common layer'
        : undefined;
  const order: BackendKind[] =
    only !== undefined
      ? [only]
      : prefer !== undefined
        ? [prefer, ...BACKEND_ORDER.filter((k) => k !== prefer)]
        : [...BACKEND_ORDER];
  const previous = activeBackend();
  const tried: BackendProbe[] = [];
  /** The backends that loaded but lack kernels (or failed to run the model), with TensorFlow.js's names. */
  const unfit: { probe: BackendProbe; tfBackend: string }[] = [];
  /** What the runs of the model showed so far: its forward kernels, and every kernel met (or missed). */
  let forward: Set<string> | undefined;
  const met = new Set<string>();
  /** The kernels the model needs, as far as known: those met, and the gradients of its forward kernels. */
  const needed = (): Set<string> => {
    const all = new Set(met);
    if (training) for (const k of forward ?? []) for (const g of GRADIENT_KERNELS[k] ?? []) all.add(g);
    return all;
  };
  for (const kind of order) {
    let tfBackend: string;
    try {
      tfBackend = await activate(kind);
    } catch (err) {
      tried.push({ kind, available: false, reason: short(err) });
      continue;
    }
    if (what !== undefined) {
      let probe: BackendProbe | undefined;
      const layerLacks =
        training && model !== undefined ? missingOn(tfBackend, weightGradientKernels(model)) : [];
      if (layerLacks.length > 0) {
        // A trainable layer needs a weight-gradient kernel this backend lacks: rejected without running the
        // model (a run of a full-size model on a backend that cannot train it costs minutes).
        probe = lacking(kind, what, layerLacks);
      } else if (model !== undefined) {
        // The cpu backend registers every kernel that TensorFlow.js's gradients call (backend.test.ts pins
        // the few it lacks), and its backward pass is the slow part (seconds for a large model): there, the
        // forward pass is run (when no other run has shown it) and the rest is looked up.
        const forwardOnly = training && tfBackend === 'cpu';
        const run =
          forwardOnly && forward !== undefined
            ? undefined
            : await runModel(model, training, training && !forwardOnly, tfBackend);
        if (run !== undefined) {
          forward ??= run.forward;
          for (const k of run.kernels) met.add(k);
        }
        const found = run?.error === undefined ? undefined : missingKernelOf(run.error);
        if (found !== undefined) met.add(found.kernel);
        if (run?.error !== undefined) {
          probe =
            found !== undefined
              ? lacking(kind, what, missingOn(tfBackend, [found.kernel, ...needed()]))
              : { kind, available: false, reason: `cannot ${what}: ${short(run.error)}` };
        } else if (forwardOnly) {
          const missing = missingOn(tfBackend, needed());
          if (missing.length > 0) probe = lacking(kind, what, missing);
        }
        if (probe === undefined) {
          // Name all the kernels that the rejected backends lack (their runs stopped at the first): those
          // this run met when it went through the model, else those the model's forward pass implies.
          const known = forwardOnly ? needed() : met;
          for (const u of unfit) {
            if (u.probe.missingKernels === undefined) continue;
            const all = missingOn(u.tfBackend, [...u.probe.missingKernels, ...known]);
            Object.assign(u.probe, lacking(u.probe.kind, what, all));
          }
        }
      } else {
        const missing = missingOn(
          tfBackend,
          TRAINING_KERNELS.flatMap((g) => g.kernels),
        );
        if (missing.length > 0)
          probe = lacking(kind, what, missing, '; pass { model } to check your own model');
      }
      if (probe !== undefined) {
        tried.push(probe);
        unfit.push({ probe, tfBackend });
        continue;
      }
    }
    tried.push({ kind, available: true });
    const reason =
      only !== undefined
        ? `asked for only ${kind}`
        : kind === prefer
          ? `preferred ${kind}`
          : `first available in order ${order.join(', ')}`;
    return { kind, tfBackend, reason: what === undefined ? reason : `${reason} that can ${what}`, tried };
  }
  if (previous !== undefined && activeBackend() !== previous) {
    try {
      await tf.setBackend(previous);
    } catch {
      // leave the last one tried active
    }
  }
  if (unfit.length > 0) {
    const list = tried
      .map((t) => `${t.kind} (${(t.reason ?? '').replace(`cannot ${what}: `, '')})`)
      .join(', ');
    throw new ReelsetError(
      'REELSET_E_BACKEND',
      only !== undefined
        ? `the ${only} backend cannot ${what}: ${list}; leave out only, or install @tensorflow/tfjs-node`
        : `no TensorFlow.js backend can ${what}: ${list}; install @tensorflow/tfjs-node`,
    );
  }
  const list = tried.map((t) => `${t.kind} (${t.reason})`).join(', ');
  throw new ReelsetError('REELSET_E_INVALID_ARGUMENT', `no TensorFlow.js backend usable: ${list}`);
}

/**
 * Which backends could be used, without changing the active one (each is tried, then the previous
 * backend is restored). `reelset doctor` prints it.
 *
 * @example
 * ```ts
 * for (const probe of await probeBackends()) console.log(probe.kind, probe.available, probe.reason ?? '');
 * ```
 */
export async function probeBackends(): Promise<BackendProbe[]> {
  loadTfjs();
  const previous = tf.engine().backendName as string | null;
  const probes: BackendProbe[] = [];
  for (const kind of BACKEND_ORDER) {
    try {
      await activate(kind);
      probes.push({ kind, available: true });
    } catch (err) {
      probes.push({ kind, available: false, reason: short(err) });
    }
  }
  if (previous) await tf.setBackend(previous);
  return probes;
}
