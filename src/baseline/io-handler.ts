import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';
import { loadTfjs } from '../adapters/tfjs.js';
import { fileError, writeFileAtomic } from '../util/files.js';
import { invalidArgument } from '../util/options.js';

/**
 * The file names of {@link fileIOHandler}: the model JSON and the one weights file, inside the folder.
 *
 * @example
 * ```ts
 * const names: ModelFileNames = { model: 'model.json', weights: 'weights.bin' };
 * ```
 */
export interface ModelFileNames {
  /** The model JSON (topology, training config, weights manifest): default `model.json`. */
  model?: string;
  /** The weights, every tensor in the manifest's order, little-endian: default `weights.bin`. */
  weights?: string;
}

/** Bytes an element of each dtype takes in a weights file. */
const DTYPE_BYTES: { readonly [dtype: string]: number } = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/**
 * The bytes that weights of these specs take (undefined when one is a string tensor, whose size is known
 * only from its data).
 *
 * @example
 * ```ts
 * weightBytes([{ name: 'dense/kernel', shape: [3, 2], dtype: 'float32' }]); // 24
 * ```
 */
export function weightBytes(specs: readonly Tfjs.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) return undefined;
    let count = 1;
    for (const d of spec.shape) count *= d;
    total += count * size;
  }
  return total;
}

/** A file name that stays inside the folder: no separator, not `.` or `..`. */
function checkFileName(what: string, name: unknown): string {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0')
  ) {
    throw invalidArgument(`${what} must be a plain file name inside the folder, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** One ArrayBuffer holding `data` (an ArrayBuffer or the list tfjs may give). */
function joinWeightData(data: Tfjs.io.WeightData): ArrayBuffer {
  return Array.isArray(data) ? loadTfjs().io.concatenateArrayBuffers(data) : data;
}

/**
 * A TensorFlow.js `IOHandler` over a folder of the local disk, in the tfjs layers format that
 * `tf.loadLayersModel` reads from a URL and that `tensorflowjs_converter` reads: `model.json` (topology,
 * training config, and a weights manifest naming one file) and `weights.bin` (every weight, in the
 * manifest's order, little-endian). It needs only node:fs, not @tensorflow/tfjs-node's `file://` handler.
 *
 * `save` creates the folder, writes `weights.bin` and then `model.json`, each atomically (a temporary file,
 * fsync, rename). `load` reads `model.json`, refuses a manifest that names a file outside the folder, and
 * checks that the weights files hold exactly the bytes the manifest announces.
 *
 * @throws ReelsetError (from `load`) `REELSET_E_NOT_FOUND` when `model.json` or a weights file is missing;
 *   `REELSET_E_INVALID_ARGUMENT` when `model.json` is not a tfjs layers model or the weights are truncated.
 * @example
 * ```ts
 * await model.save(fileIOHandler('runs/1'));
 * const again = await tf.loadLayersModel(fileIOHandler('runs/1'));
 * ```
 */
export function fileIOHandler(dir: string, names: ModelFileNames = {}): Tfjs.io.IOHandler {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('dir must be a non-empty string');
  const modelName = checkFileName('names.model', names.model ?? 'model.json');
  const weightsName = checkFileName('names.weights', names.weights ?? 'weights.bin');
  if (modelName === weightsName) throw invalidArgument('names.model and names.weights must differ');
  const modelFile = path.join(dir, modelName);
  return {
    async save(artifacts: Tfjs.io.ModelArtifacts): Promise<Tfjs.io.SaveResult> {
      const tf = loadTfjs();
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
        throw invalidArgument('fileIOHandler saves layers models (a JSON topology), not graph models');
      }
      await mkdir(dir, { recursive: true });
      const weights = joinWeightData(artifacts.weightData ?? new ArrayBuffer(0));
      const manifest: Tfjs.io.WeightsManifestConfig = [
        { paths: [weightsName], weights: artifacts.weightSpecs ?? [] },
      ];
      const json: Tfjs.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: manifest,
      };
      if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.signature != null) json.signature = artifacts.signature;
      await writeFileAtomic(path.join(dir, weightsName), new Uint8Array(weights));
      await writeFileAtomic(modelFile, `${JSON.stringify(json)}\n`);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<Tfjs.io.ModelArtifacts> {
      const tf = loadTfjs();
      let text: string;
      try {
        text = await readFile(modelFile, 'utf8');
      } catch (err) {
        throw fileError(err, modelFile, 'the model file');
      }
      let json: Tfjs.io.ModelJSON;
      try {
        json = JSON.parse(text) as Tfjs.io.ModelJSON;
      } catch (err) {
        throw invalidArgument(`${modelFile} is not JSON`, err);
      }
      if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object') {
        throw invalidArgument(`${modelFile} is not a TensorFlow.js layers model (no modelTopology)`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        if (!Array.isArray(manifest)) throw invalidArgument(`${modelFile}: weightsManifest is not a list`);
        const specs: Tfjs.io.WeightsManifestEntry[] = [];
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
            throw invalidArgument(`${modelFile}: a weights group has no paths or weights`);
          }
          specs.push(...group.weights);
          for (const name of group.paths) {
            const file = path.join(dir, checkFileName(`${modelFile}: a weights path`, name));
            try {
              buffers.push(await readFile(file));
            } catch (err) {
              throw fileError(err, file, 'the weights file');
            }
          }
        }
        const total = buffers.reduce((sum, b) => sum + b.length, 0);
        const expected = weightBytes(specs);
        if (expected !== undefined && expected !== total) {
          throw invalidArgument(
            `${modelFile}: the weights files hold ${total} bytes, the manifest announces ${expected}`,
          );
        }
        const data = new Uint8Array(total);
        let offset = 0;
        for (const b of buffers) {
          data.set(b, offset);
          offset += b.length;
        }
        return [specs, data.buffer];
      });
    },
  };
}
