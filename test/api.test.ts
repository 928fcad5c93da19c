/**
 * @module api.test — the API report: the exported names of every entry of the built package (`reelset`,
 * `reelset/tf`, `reelset/tools`, `reelset/synth`, `reelset/baseline`, `reelset/onnx`), values from ESM and CJS at run time and types from the
 * .d.ts / .d.cts files, each equal to a list written here. A change to the public surface changes this file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

type Entry =
  | 'reelset'
  | 'reelset/tf'
  | 'reelset/tools'
  | 'reelset/synth'
  | 'reelset/baseline'
  | 'reelset/onnx';

/** The public surface: values (functions, classes, constants) and types (interfaces, type aliases). */
const API: Record<Entry, { file: string; values: string[]; types: string[] }> = {
  reelset: {
    file: 'index',
    values: [
      'Dataset',
      'ERROR_CODES',
      'FfmpegError',
      'LABELS',
      'ParseError',
      'ReelsetError',
      'ShardError',
      'Vocab',
      'batchToNdarray',
      'buildVocab',
      'catalogSource',
      'collate',
      'collateBatches',
      'decodeImage',
      'decodeSamples',
      'decodeVideo',
      'download',
      'formatDuration',
      'isLabel',
      'isReelsetError',
      'labelId',
      'labelName',
      'launcherRank',
      'layoutSource',
      'mergeShards',
      'openDataset',
      'openShards',
      'originalCoverUrl',
      'originalMp4Url',
      'packShards',
      'paddedId',
      'parseDuration',
      'parsePythonDict',
      'plainSample',
      'probeVideo',
      'readCatalog',
      'readImageHeader',
      'toNdarray',
      'toPlain',
      'tokenize',
      'vocabFromTexts',
    ],
    types: [
      'Batch',
      'BatchOptions',
      'BatchingOptions',
      'BuildVocabOptions',
      'CacheOptions',
      'CatalogEntry',
      'CatalogPosition',
      'CatalogSource',
      'CollateOptions',
      'Column',
      'DatasetIterator',
      'DecodeOptions',
      'DecodedImage',
      'DecodedSample',
      'DownloadFailure',
      'DownloadOptions',
      'DownloadProgress',
      'DownloadReport',
      'EncodeOptions',
      'FrameSampling',
      'ImageFit',
      'ImageFormat',
      'ImageHeader',
      'ImageKernel',
      'ImageOptions',
      'IterationState',
      'Json',
      'Label',
      'LayoutOptions',
      'LayoutPosition',
      'LayoutSource',
      'ManifestShard',
      'MapOptions',
      'MediaKind',
      'Modality',
      'NdarrayBatch',
      'NdarrayOptions',
      'Normalize',
      'OnError',
      'OpenDatasetOptions',
      'OpenShardsOptions',
      'PackDecoded',
      'PackOptions',
      'PackProgress',
      'PackReport',
      'PartitionOptions',
      'PassContext',
      'PixelArray',
      'PixelFormat',
      'PixelLayout',
      'PlainOptions',
      'PlainSample',
      'PlanFilters',
      'Positioned',
      'Preprocessing',
      'ReadCatalogOptions',
      'ReelsetErrorCode',
      'S3ClientLike',
      'Sample',
      'ShardCacheOptions',
      'ShardErrorDetails',
      'ShardManifest',
      'ShardOptions',
      'ShardSample',
      'ShuffleOptions',
      'Skip',
      'Source',
      'SplitOptions',
      'Splits',
      'StoreOptions',
      'TextDecodeOptions',
      'TokenizeOptions',
      'VideoFrames',
      'VideoInfo',
      'VideoOptions',
    ],
  },
  'reelset/tf': {
    file: 'tf',
    values: ['explainBackendError', 'probeBackends', 'selectBackend', 'toTfDataset'],
    types: [
      'BackendChoice',
      'BackendKind',
      'BackendProbe',
      'InputNames',
      'SelectBackendOptions',
      'TfBatch',
      'TfDatasetOptions',
    ],
  },
  'reelset/tools': {
    file: 'tools',
    values: ['checkDataset', 'computeStats', 'ensureCjkFont', 'plotStats', 'previewSheet'],
    types: [
      'CheckOptions',
      'CheckProblem',
      'CheckRename',
      'CheckSummary',
      'CjkFont',
      'DatasetStats',
      'DiskStats',
      'DurationBin',
      'DurationStats',
      'LabelCount',
      'PreviewOptions',
      'PreviewResult',
      'ProblemKind',
      'SharedIds',
      'StatsOptions',
      'StatsPlotOptions',
    ],
  },
  'reelset/synth': {
    file: 'synth',
    values: ['BAD_KINDS', 'synthesize'],
    types: ['BadKind', 'SynthFiles', 'SynthItem', 'SynthOptions', 'SynthReport'],
  },
  'reelset/baseline': {
    file: 'baseline',
    values: [
      'createBaseline',
      'decodeOptionsFor',
      'evaluate',
      'loadBaseline',
      'predict',
      'predictions',
      'presetPreprocessing',
      'readBaselineInfo',
      'saveBaseline',
      'trainBaseline',
      'updateBaselineMetrics',
      'writeConfusionPng',
    ],
    types: [
      'BaselineDecodeOptions',
      'BaselineInfo',
      'BaselineOptions',
      'BaselineParts',
      'BaselinePreset',
      'ClassMetrics',
      'ClassificationMetrics',
      'ConfusionMatrix',
      'ConfusionPlotOptions',
      'EarlyStoppingOptions',
      'EpochRecord',
      'EvaluateOptions',
      'EvaluationResult',
      'ImagePreprocessing',
      'LiteSizes',
      'LoadedBaseline',
      'ModalityAblation',
      'ModalityName',
      'PredictOptions',
      'Prediction',
      'Preprocessing',
      'PreprocessingOverrides',
      'SeedSizes',
      'TextPreprocessing',
      'TrainOptions',
      'TrainProgress',
      'TrainResult',
      'TrainingSummary',
      'VideoPreprocessing',
    ],
  },
  'reelset/onnx': {
    file: 'onnx',
    values: [
      'exportOnnx',
      'modelToOnnx',
      'OnnxClassifier',
      'readOnnxMetadata',
      'readOnnxSignature',
      'supportedLayers',
      'writeTritonRepository',
    ],
    types: [
      'ExecutionProvider',
      'OnnxClassifierOptions',
      'OnnxExportOptions',
      'OnnxExportResult',
      'OnnxPredictOptions',
      'OnnxTensorInfo',
      'TritonOptions',
      'TritonRepository',
    ],
  },
};
const ENTRIES = Object.keys(API) as Entry[];

const sorted = (names: Iterable<string>): string[] => [...names].sort();

/** Runs a script in a fresh Node process at the repository root (where `reelset` resolves to itself). */
function node(args: string[]): string {
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

/** The sorted exported value names of every entry, as Node loads them (ESM `import` or CJS `require`). */
function runtimeNames(format: 'esm' | 'cjs'): Record<Entry, string[]> {
  const list = JSON.stringify(ENTRIES);
  const script =
    format === 'esm'
      ? `const out = {}; for (const e of ${list}) out[e] = Object.keys(await import(e)).sort(); console.log(JSON.stringify(out));`
      : `const out = {}; for (const e of ${list}) out[e] = Object.keys(require(e)).sort(); console.log(JSON.stringify(out));`;
  return JSON.parse(
    node(format === 'esm' ? ['--input-type=module', '-e', script] : ['-e', script]),
  ) as Record<Entry, string[]>;
}

/** The exported names of each declaration file, split into values (classes included) and types only. */
function declaredNames(files: string[]): Map<string, { values: string[]; types: string[] }> {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, { values: string[]; types: string[] }>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${file}: not a module`);
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.getName());
    }
    out.set(file, { values: sorted(values), types: sorted(types) });
  }
  return out;
}

describe('the API report of the built package', () => {
  it('package.json exports every entry with import and require conditions and types, all built', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(pkg.exports)).toEqual([
      '.',
      './tf',
      './tools',
      './synth',
      './baseline',
      './onnx',
      './package.json',
    ]);
    for (const entry of ENTRIES) {
      const { file } = API[entry];
      const key = entry === 'reelset' ? '.' : `./${entry.slice('reelset/'.length)}`;
      expect(pkg.exports[key], key).toEqual({
        import: { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
        require: { types: `./dist/${file}.d.cts`, default: `./dist/${file}.cjs` },
      });
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) {
        expect(existsSync(join(ROOT, 'dist', `${file}.${ext}`)), `dist/${file}.${ext}`).toBe(true);
      }
    }
  });

  it.each(['esm', 'cjs'] as const)('each entry exports exactly the listed values (%s)', (format) => {
    const names = runtimeNames(format);
    for (const entry of ENTRIES)
      expect(names[entry], `${format} ${entry}`).toEqual(sorted(API[entry].values));
  });

  it('each .d.ts and .d.cts declares exactly the listed values and types', () => {
    const files = ENTRIES.flatMap((entry) =>
      ['d.ts', 'd.cts'].map((ext) => join(ROOT, 'dist', `${API[entry].file}.${ext}`)),
    );
    const declared = declaredNames(files);
    for (const entry of ENTRIES) {
      for (const ext of ['d.ts', 'd.cts']) {
        const got = declared.get(join(ROOT, 'dist', `${API[entry].file}.${ext}`));
        expect(got?.values, `${entry} ${ext} values`).toEqual(sorted(API[entry].values));
        expect(got?.types, `${entry} ${ext} types`).toEqual(sorted(API[entry].types));
      }
    }
  });

  it('the entries share one copy of the core: an error from reelset/tf is a reelset ReelsetError', () => {
    const script = (load: string) =>
      `${load}
      const ds = Dataset.from([]);
      let ok = false;
      try { toTfDataset(ds, { batchSize: 0 }); } catch (err) { ok = err instanceof ReelsetError && err.code === 'REELSET_E_INVALID_ARGUMENT'; }
      console.log(JSON.stringify({ ok, label: labelId('Beach') }));`;
    const cjs = node([
      '-e',
      script(
        "const { Dataset, ReelsetError, labelId } = require('reelset'); const { toTfDataset } = require('reelset/tf');",
      ),
    ]);
    const esm = node([
      '--input-type=module',
      '-e',
      script(
        "import { Dataset, ReelsetError, labelId } from 'reelset'; import { toTfDataset } from 'reelset/tf';",
      ),
    ]);
    expect(JSON.parse(cjs)).toEqual({ ok: true, label: 8 });
    expect(JSON.parse(esm)).toEqual({ ok: true, label: 8 });
  });
});
