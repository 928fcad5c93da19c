import { defineConfig } from 'tsup';

/**
 * The library: one ESM and one CJS build of every entry (`reelset`, `reelset/tf`, `reelset/tools`,
 * `reelset/synth`, `reelset/baseline`, `reelset/onnx`), with types. Code splitting in both formats, so that the entries share one copy of
 * each module (one `ReelsetError` class, one `Dataset` class) and `reelset` alone loads only the core.
 */
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      tf: 'src/tf.ts',
      tools: 'src/tools.ts',
      synth: 'src/synth.ts',
      baseline: 'src/baseline.ts',
      onnx: 'src/onnx.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    splitting: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
  },
  {
    // The command: its chunks (one a command, loaded by its action) sit beside it in dist/cli.
    entry: { main: 'src/cli/main.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // The page of `reelset view`: one browser bundle (no framework, no CDN) beside its html and css.
    entry: { app: 'src/view/page/app.ts' },
    outDir: 'dist/view/page',
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    publicDir: 'src/view/page/static',
    tsconfig: 'src/view/page/tsconfig.json',
  },
]);
