/**
 * @module package.test — the package as a user installs it. `npm pack` packs the dist/ that `npm test` built;
 * `npm install` puts the tarball into a fresh project in the temporary folder, outside the repository (no
 * `.npmrc` or package.json of ours applies, and no `npm_*` variable of this run is passed on), from the npm
 * registry or its cache, as a user's install would. There: an ESM and a CommonJS program over a synthesized
 * set, `npx reelset demo`, `reelset/tf` without @tensorflow/tfjs (`REELSET_E_MISSING_PEER` with the install
 * command), strict TypeScript programs (nodenext, `skipLibCheck: false`, ESM and CJS), then the user's own
 * @tensorflow/tfjs beside reelset/tf: one copy, no "already registered" warnings. Prints the sizes. Last,
 * every command and program of README.md and docs/getting-started.md, exactly as printed, in a folder of
 * that project (see {@link runDocument}).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CONSUMER = join(ROOT, 'test', 'consumer');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: { [name: string]: string };
  devDependencies: { [name: string]: string };
};
/** The most the core (reelset alone, with its dependencies) may weigh in node_modules, in MiB. */
const CORE_LIMIT_MIB = 200;
const MINUTE = 60_000;

/** The environment of a user's shell: this run's npm and vitest variables and the repository's bins removed. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|INIT_CWD$|NODE_OPTIONS$|NODE_ENV$|TEST$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.startsWith(ROOT) && !dir.includes('node-gyp-bin'))
    .join(delimiter);
  return env;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command in `cwd` with the user's environment; fails the test with its output unless it exits 0. */
function run(command: string, args: string[], cwd: string, timeoutMs = 4 * MINUTE): Ran {
  const started = performance.now();
  const child = spawnSync(command, args, {
    cwd,
    env: userEnv(),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const ran = {
    status: child.status,
    stdout: child.stdout ?? '',
    stderr: child.stderr ?? '',
    seconds: (performance.now() - started) / 1000,
  };
  const what = `${command} ${args.join(' ')} in ${cwd}`;
  if (child.error) throw new Error(`${what}: ${child.error.message}\n${ran.stdout}\n${ran.stderr}`);
  expect(ran.status, `${what} exited ${ran.status}:\n${ran.stdout}\n${ran.stderr}`).toBe(0);
  return ran;
}

/** The last line of a program's stdout, as JSON. */
function lastJson(ran: Ran): Record<string, unknown> {
  const line = ran.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

/** Disk usage of a folder in KiB (`du -sk`). */
function kib(path: string): number {
  const out = spawnSync('du', ['-sk', path], { encoding: 'utf8' });
  return Number.parseInt(out.stdout, 10);
}

const mib = (k: number): string => `${(k / 1024).toFixed(1)} MiB`;

/** Every folder of `pkg` (a package name) installed under `nodeModules`, nested copies included. */
function copiesOf(nodeModules: string, pkg: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (existsSync(join(dir, pkg, 'package.json'))) found.push(join(dir, pkg));
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const scoped = entry.name.startsWith('@');
      const parents = scoped
        ? readdirSync(join(dir, entry.name), { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => join(dir, entry.name, e.name))
        : [join(dir, entry.name)];
      for (const parent of parents) {
        const nested = join(parent, 'node_modules');
        if (existsSync(nested)) walk(nested);
      }
    }
  };
  walk(nodeModules);
  return found;
}

/** The `tsconfig.json` of a user's strict project, for `files`. */
function strictTsconfig(files: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: ['node'],
      skipLibCheck: false,
      noEmit: true,
    },
    files,
  });
}

let work = '';
let app = '';
let tarball = '';
let coreKib = 0;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  work = mkdtempSync(join(tmpdir(), 'reelset-package-'));
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'reelset-user', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  for (const file of readdirSync(CONSUMER)) copyFileSync(join(CONSUMER, file), join(app, file));
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('the package as a user installs it', () => {
  it('npm pack: dist, README, docs and the CJK font, nothing else', () => {
    // --ignore-scripts: pack the dist/ that `npm test` built (prepare would rebuild it under running tests).
    const ran = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT, MINUTE);
    const [info] = JSON.parse(ran.stdout) as { filename: string; size: number; files: { path: string }[] }[];
    if (info === undefined) throw new Error(`npm pack printed no package: ${ran.stdout}`);
    tarball = join(work, info.filename);
    const paths = info.files.map((f) => f.path);
    for (const entry of ['index', 'tf', 'tools', 'synth']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(paths).toContain(`dist/${entry}.${ext}`);
    }
    expect(paths).toContain('dist/cli/main.js');
    for (const font of ['ReelsetCJKSC-Regular.otf', 'OFL.txt', 'README.md'])
      expect(paths).toContain(`fonts/${font}`);
    expect(
      paths.filter((p) => !/^(dist\/|docs\/|fonts\/|README\.md$|package\.json$|LICENSE)/.test(p)),
    ).toEqual([]);
    console.log(`tarball ${info.filename}: ${(info.size / 1024).toFixed(0)} KiB, ${paths.length} files`);
  });

  it(`npm install <tarball> alone: works, brings neither tfjs nor onnxruntime, at most ${CORE_LIMIT_MIB} MiB`, () => {
    const ran = run('npm', ['install', tarball, '--no-audit', '--no-fund'], app);
    console.log(`npm install of the tarball (${ran.seconds.toFixed(1)} s):\n${ran.stdout}${ran.stderr}`);
    const nodeModules = join(app, 'node_modules');
    for (const absent of ['@tensorflow', 'onnxruntime-node', 'onnxruntime-common']) {
      expect(existsSync(join(nodeModules, absent)), `${absent} was installed`).toBe(false);
    }
    expect(existsSync(join(nodeModules, '@types', 'ndarray', 'package.json'))).toBe(true);
    coreKib = kib(nodeModules);
    const parts = readdirSync(nodeModules)
      .filter((name) => !name.startsWith('.'))
      .map((name) => [name, kib(join(nodeModules, name))] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6);
    console.log(`core installed: ${mib(coreKib)} (${parts.map(([n, k]) => `${n} ${mib(k)}`).join(', ')})`);
    expect(coreKib / 1024).toBeLessThanOrEqual(CORE_LIMIT_MIB);
  });

  it('an ESM and a CJS program over a synthesized set; reelset/tf without tfjs throws REELSET_E_MISSING_PEER', () => {
    for (const [program, data] of [
      ['core.mjs', 'data-esm'],
      ['core.cjs', 'data-cjs'],
    ] as const) {
      const out = lastJson(run('node', [program, join(work, data)], app, 2 * MINUTE));
      expect(out, program).toMatchObject({ labels: 31, items: 4, samples: 4, stats: 4 });
      expect(out.shapes, program).toEqual(['2x3x32x32 2x2x3x32x32', '2x3x32x32 2x2x3x32x32']);
      expect(out.tf, program).toMatchObject({
        thrown: true,
        code: 'REELSET_E_MISSING_PEER',
        reelsetError: true,
      });
      expect((out.tf as { message: string }).message).toContain('npm install @tensorflow/tfjs');
    }
  });

  it('npx reelset demo, and doctor without the optional peers', () => {
    const ran = run('npx', ['--no', 'reelset', 'demo'], app, 2 * MINUTE);
    expect(ran.stdout).toMatch(/^Synthesized \d+ items/m);
    expect(ran.stdout).toContain('resuming gives the next batches');
    // Without the optional peers, doctor says what is missing and how to install it, and exits 0.
    const doctor = run('npx', ['--no', 'reelset', 'doctor'], app, MINUTE);
    expect(doctor.stdout).toMatch(
      /not installed \(a peer dependency, needed by reelset\/tf.*npm install @tensorflow\/tfjs/,
    );
    expect(doctor.stdout).toMatch(/not installed \(optional, needed only to run exported ONNX models/);
  });

  it('npx reelset view serves its page, script and API from the installed package', async () => {
    const child = spawn(join(app, 'node_modules', '.bin', 'reelset'), ['view', join(work, 'data-esm')], {
      cwd: app,
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^(http:\/\/\S+\?token=[0-9a-f]+)$/m.exec(out);
          if (m) resolve(m[1] as string);
        });
        child.on('exit', (code) => reject(new Error(`reelset view exited ${code}`)));
      });
      const { origin, searchParams } = new URL(url);
      const headers = { 'x-reelset-token': searchParams.get('token') as string };
      const html = await fetch(url);
      expect(html.status).toBe(200);
      expect(await html.text()).toContain('<script type="module" src="/assets/app.js"></script>');
      const script = await fetch(`${origin}/assets/app.js`, { headers });
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      const summary = (await (await fetch(`${origin}/api/summary`, { headers })).json()) as { items: number };
      expect(summary.items).toBe(4);
      expect((await fetch(`${origin}/api/summary`)).status).toBe(403); // no token
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('strict TypeScript (nodenext, skipLibCheck false), ESM and CJS, compiles against the core', () => {
    const typescript = PKG.devDependencies.typescript ?? 'latest';
    const typesNode = PKG.devDependencies['@types/node'] ?? 'latest';
    run(
      'npm',
      [
        'install',
        '--save-dev',
        `typescript@${typescript}`,
        `@types/node@${typesNode}`,
        '--no-audit',
        '--no-fund',
      ],
      app,
    );
    writeFileSync(join(app, 'tsconfig.core.json'), strictTsconfig(['types-core.mts', 'types-core.cts']));
    run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.core.json'], app, 2 * MINUTE);
  });

  it("with the user's own @tensorflow/tfjs: one copy, one engine, no 'already registered' warnings", () => {
    const before = kib(join(app, 'node_modules'));
    const range = PKG.peerDependencies['@tensorflow/tfjs'] ?? 'latest';
    const ran = run('npm', ['install', `@tensorflow/tfjs@${range}`, '--no-audit', '--no-fund'], app);
    const added = kib(join(app, 'node_modules')) - before;
    console.log(
      `@tensorflow/tfjs added ${mib(added)} in ${ran.seconds.toFixed(1)} s (core + tfjs: ${mib(coreKib + added)})`,
    );
    expect(copiesOf(join(app, 'node_modules'), '@tensorflow/tfjs-core')).toHaveLength(1);
    for (const program of ['tf.mjs', 'tf.cjs']) {
      const done = run('node', [program, join(work, 'data-esm')], app, 2 * MINUTE);
      expect(done.stderr, program).not.toMatch(/already registered|already been set/);
      const out = lastJson(done);
      expect(out, program).toMatchObject({
        chosen: 'cpu',
        programBackend: 'cpu',
        tensorsLeft: 0,
        sameFile: true,
      });
      expect(out.batches, program).toEqual([
        { shapes: ['text_data 2x25', 'image_data 2x32x32x3'], ys: '2', programTensors: true },
        { shapes: ['text_data 2x25', 'image_data 2x32x32x3'], ys: '2', programTensors: true },
      ]);
    }
  });

  it("strict TypeScript with reelset/tf: no error but in @tensorflow's own .d.ts", () => {
    writeFileSync(join(app, 'tsconfig.tf.json'), strictTsconfig(['types-tf.mts', 'types-tf.cts']));
    const child = spawnSync(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.tf.json'], {
      cwd: app,
      env: userEnv(),
      encoding: 'utf8',
      timeout: 2 * MINUTE,
    });
    // tfjs 4.22's declarations do not compile under strict with skipLibCheck false (its own bug: users of
    // tfjs set skipLibCheck); what must compile is reelset's .d.ts and the program.
    const errors = [...child.stdout.matchAll(/^(\S+?)\(\d+,\d+\): error/gm)].map((m) => m[1] ?? '');
    expect(child.status === 0 || errors.length > 0, child.stdout + child.stderr).toBe(true);
    expect(
      errors.filter((file) => !file.startsWith('node_modules/@tensorflow/')),
      child.stdout,
    ).toEqual([]);
    console.log(
      `reelset/tf under strict TypeScript: ${errors.length} errors, all in @tensorflow's own .d.ts`,
    );
  });

  it('README.md: every command and program runs as printed', async () => {
    await runDocument('README.md', 1);
  });

  it('docs/getting-started.md: every command and program runs as printed', async () => {
    await runDocument('docs/getting-started.md', 0);
  });
});

/** A fenced block of a document: its language, its text, and why it is not run (a comment before it). */
interface Snippet {
  lang: 'sh' | 'ts';
  code: string;
  notRun?: string;
}

/** The `sh` and `ts` blocks of a Markdown file, in order; `<!-- not run: why -->` just before one skips it. */
function snippetsOf(markdown: string): Snippet[] {
  return [...markdown.matchAll(/(?:<!-- not run: (.+?) -->\n)?^```(sh|ts)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[2] as 'sh' | 'ts',
    code: m[3] ?? '',
    ...(m[1] === undefined ? {} : { notRun: m[1] }),
  }));
}

/**
 * Runs the blocks of `file` in order, in a new folder of the user's project: `sh` blocks with bash (`-e`:
 * every command must succeed), `ts` blocks as programs (`.mts`, run through tsx as a TypeScript user would).
 * The folder holds one thing the documents take as given: `multimodal_data_info.json`, the catalog a user
 * would download from the original project; here a synthesized one whose URLs point at a server of its
 * media on 127.0.0.1 (the real one is 865 GB away). `notRunAllowed` is how many blocks may carry a
 * `not run` reason (the repository's own `npm install` / `npm test`, which CI itself runs).
 */
async function runDocument(file: string, notRunAllowed: number): Promise<void> {
  const snippets = snippetsOf(readFileSync(join(ROOT, file), 'utf8'));
  expect(snippets.length, `${file} has no snippet`).toBeGreaterThan(0);
  expect(snippets.filter((s) => s.notRun !== undefined)).toHaveLength(notRunAllowed);
  const dir = join(app, file.replace(/[^a-z]+/gi, '-'));
  const served = join(work, `${file.replace(/[^a-z]+/gi, '-')}-served`);
  mkdirSync(dir);
  mkdirSync(served);
  // The server runs in its own process: the commands below are run synchronously, which blocks this one.
  const server = await serveFolder(served);
  try {
    run(
      'npx',
      [
        '--no',
        'reelset',
        'synth',
        served,
        '--force',
        '--per-label',
        '2',
        '--labels',
        'Beach',
        'City',
        '--seconds',
        '1',
        '--seed',
        '7',
        '--base-url',
        `http://127.0.0.1:${server.port}/`,
      ],
      app,
      2 * MINUTE,
    );
    copyFileSync(join(served, 'multimodal_data_info.json'), join(dir, 'multimodal_data_info.json'));
    // tsx as a TypeScript user would run it (`node --import tsx`), from this repository's devDependencies.
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    for (const [i, snippet] of snippets.entries()) {
      if (snippet.notRun !== undefined) continue;
      const started = performance.now();
      if (snippet.lang === 'sh') {
        run('bash', ['-e', '-o', 'pipefail', '-c', snippet.code], dir, 4 * MINUTE);
      } else {
        const program = join(dir, `snippet-${i}.mts`);
        writeFileSync(program, snippet.code);
        const ran = run('node', ['--import', tsx, program], dir, 4 * MINUTE);
        expect(ran.stderr, `${file} block ${i} wrote to stderr`).not.toMatch(/Error|already registered/);
      }
      console.log(
        `${file} block ${i} (${snippet.lang}): ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    server.close();
  }
}

/** Serves `root` over HTTP on 127.0.0.1 from a child process (test/serve.ts) until `close()`. */
async function serveFolder(root: string): Promise<{ port: number; close: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'serve.ts'), root], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`test/serve.ts exited ${code} before listening`)));
  });
  return { port, close: () => child.kill('SIGTERM') };
}
