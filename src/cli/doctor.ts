/**
 * @module doctor — `reelset doctor`: what reelset runs on here: Node, the TensorFlow.js backend, ffmpeg,
 * the cover decoder (@napi-rs/image), sharp/libvips, onnxruntime-node and its execution providers, CPUs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import type { Command } from 'commander';
import type { BackendChoice, BackendProbe } from '../adapters/backend.js';
import { type FfmpegTool, runFfmpeg, runFfprobe, toolPath } from '../loaders/decode/ffmpeg.js';
import { table } from './format.js';

/**
 * What `reelset doctor --json` prints. A part that cannot be found has `error` instead of its values; a
 * peer dependency that is not installed has `installed: false` and the command that installs it.
 *
 * @example
 * ```ts
 * const report = await doctorReport();
 * console.log(report.tfjs.chosen?.kind, report.onnxruntime.backends);
 * ```
 */
export interface DoctorReport {
  node: string;
  platform: string;
  reelset: string;
  cpus: { count: number; available: number; model: string };
  tfjs: {
    /** False when @tensorflow/tfjs (a peer dependency) is not installed; `install` says how. */
    installed: boolean;
    install?: string;
    version?: string;
    chosen?: BackendChoice;
    available: BackendProbe[];
    error?: string;
  };
  ffmpeg: { path?: string; version?: string; error?: string };
  ffprobe: { path?: string; version?: string; error?: string };
  covers: { version?: string; binding?: string; error?: string };
  sharp: { version?: string; libvips?: string; error?: string };
  onnxruntime: {
    /** False when onnxruntime-node (an optional peer dependency) is not installed; `install` says how. */
    installed: boolean;
    install?: string;
    version?: string;
    backends?: { name: string; bundled: boolean }[];
    error?: string;
  };
}

/** The commands that install the peer dependencies doctor looks for. */
const INSTALL = {
  tfjs: 'npm install @tensorflow/tfjs',
  onnxruntime: 'npm install onnxruntime-node',
} as const;

/**
 * True when `err` says that package `name` itself cannot be found (not one of its dependencies).
 *
 * @example
 * ```ts
 * isMissingPackage(err, 'onnxruntime-node'); // true: report "not installed" with the install command
 * ```
 */
export function isMissingPackage(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const text = err instanceof Error ? err.message : String(err);
  return text.includes(`'${name}'`) || text.includes(`"${name}"`) || text.includes(`${name}/package.json`);
}

/**
 * What doctor says about onnxruntime-node: its version and execution providers, `installed: false` with
 * the install command when it is not installed (it is an optional peer: only running exported models
 * needs it), or the error of an installation that does not load. `load` imports it (for tests).
 *
 * @example
 * ```ts
 * const ort = await onnxruntimeStatus();
 * if (!ort.installed) console.log(ort.install); // npm install onnxruntime-node
 * ```
 */
export async function onnxruntimeStatus(
  load: () => Promise<unknown> = () => import('onnxruntime-node'),
): Promise<DoctorReport['onnxruntime']> {
  try {
    const ort = (await load()) as {
      listSupportedBackends?: () => { name: string; bundled: boolean }[];
    };
    const status: DoctorReport['onnxruntime'] = {
      installed: true,
      version: packageVersion('onnxruntime-node'),
    };
    if (typeof ort.listSupportedBackends === 'function') {
      status.backends = ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled }));
    }
    return status;
  } catch (err) {
    if (isMissingPackage(err, 'onnxruntime-node')) return { installed: false, install: INSTALL.onnxruntime };
    return { installed: true, error: message(err) };
  }
}

const require = createRequire(import.meta.url);

/** A 1x1 grey PNG, decoded to check that the cover decoder's native binding loads and works. */
const DOCTOR_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==',
  'base64',
);

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
    .version;
}

function reelsetVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'reelset' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate: the layout differs between src/ and dist/
    }
  }
  return 'unknown';
}

async function tool(name: FfmpegTool): Promise<{ path?: string; version?: string; error?: string }> {
  try {
    const path = toolPath(name);
    const run = name === 'ffmpeg' ? runFfmpeg : runFfprobe;
    const out = await run(['-hide_banner', '-version'], { timeoutMs: 10_000 });
    const text = Buffer.isBuffer(out.stdout) ? out.stdout.toString('utf8') : String(out.stdout);
    const version = /version\s+(\S+)/.exec(text)?.[1] ?? 'unknown';
    return { path, version };
  } catch (err) {
    return { error: message(err) };
  }
}

/**
 * Collects the {@link DoctorReport}. It selects the TensorFlow.js backend as `selectBackend()` would (so
 * the active backend afterwards is the default choice).
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(await doctorReport(), null, 2));
 * ```
 */
export async function doctorReport(): Promise<DoctorReport> {
  const list = cpus();
  const report: DoctorReport = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    reelset: reelsetVersion(),
    cpus: { count: list.length, available: availableParallelism(), model: list[0]?.model ?? 'unknown' },
    tfjs: { installed: true, available: [] },
    ffmpeg: await tool('ffmpeg'),
    ffprobe: await tool('ffprobe'),
    covers: {},
    sharp: {},
    onnxruntime: { installed: false },
  };
  try {
    report.tfjs.version = packageVersion('@tensorflow/tfjs');
  } catch (err) {
    if (!isMissingPackage(err, '@tensorflow/tfjs')) throw err;
    report.tfjs = { installed: false, install: INSTALL.tfjs, available: [] };
  }
  if (report.tfjs.installed) {
    try {
      // Loaded here, not at start-up: TensorFlow.js takes about half a second to import.
      const { probeBackends, selectBackend } = await import('../adapters/backend.js');
      report.tfjs.available = await probeBackends();
      report.tfjs.chosen = await selectBackend();
    } catch (err) {
      report.tfjs.error = message(err);
    }
  }
  try {
    const { decodeImage } = await import('../loaders/decode/image.js');
    const { __napiBindingTarget } = await import('@napi-rs/image');
    await decodeImage(DOCTOR_PNG, { height: 1, width: 1 }); // the native binding really decodes here
    report.covers = { version: packageVersion('@napi-rs/image'), binding: __napiBindingTarget };
  } catch (err) {
    report.covers = { error: message(err) };
  }
  try {
    const sharp = (await import('sharp')).default as unknown as {
      versions: { vips: string; sharp?: string };
    };
    report.sharp = { version: sharp.versions.sharp ?? packageVersion('sharp'), libvips: sharp.versions.vips };
  } catch (err) {
    report.sharp = { error: message(err) };
  }
  report.onnxruntime = await onnxruntimeStatus();
  return report;
}

/**
 * The report as text, one line a part.
 *
 * @example
 * ```ts
 * process.stdout.write(formatDoctor(await doctorReport()));
 * ```
 */
export function formatDoctor(r: DoctorReport): string {
  const part = (p: { path?: string; version?: string; error?: string }): string =>
    p.error !== undefined ? `not found (${p.error})` : `${p.version} at ${p.path}`;
  const probes = r.tfjs.available
    .map((p) => (p.available ? `${p.kind} yes` : `${p.kind} no (${p.reason})`))
    .join(', ');
  const chosen = r.tfjs.chosen
    ? `${r.tfjs.chosen.kind} (${r.tfjs.chosen.reason})`
    : `none (${r.tfjs.error ?? 'unknown'})`;
  const tfjs = r.tfjs.installed
    ? `${r.tfjs.version}; backend ${chosen}`
    : `not installed (a peer dependency, needed by reelset/tf and training: ${r.tfjs.install})`;
  const ort = !r.onnxruntime.installed
    ? `not installed (optional, needed only to run exported ONNX models: ${r.onnxruntime.install})`
    : r.onnxruntime.error !== undefined
      ? `not usable (${r.onnxruntime.error})`
      : `${r.onnxruntime.version}; execution providers: ${(r.onnxruntime.backends ?? [])
          .map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`)
          .join(', ')}`;
  const covers =
    r.covers.error !== undefined
      ? `not usable (${r.covers.error})`
      : `@napi-rs/image ${r.covers.version} (${r.covers.binding} binding)`;
  const sharp =
    r.sharp.error !== undefined
      ? `not usable (${r.sharp.error})`
      : `${r.sharp.version}, libvips ${r.sharp.libvips}`;
  const rows: [string, string][] = [
    ['node', `${r.node} (${r.platform})`],
    ['reelset', r.reelset],
    ['cpus', `${r.cpus.count} (${r.cpus.available} available) ${r.cpus.model}`],
    ['tfjs', tfjs],
  ];
  if (r.tfjs.installed) rows.push(['tfjs backends', probes]);
  rows.push(
    ['ffmpeg', part(r.ffmpeg)],
    ['ffprobe', part(r.ffprobe)],
    ['covers', covers],
    ['sharp', sharp],
    ['onnxruntime', ort],
  );
  return `${table(rows).join('\n')}\n`;
}

/**
 * Adds `doctor [--json]` to the program.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerDoctor(program);
 * await program.parseAsync(['node', 'reelset', 'doctor', '--json']);
 * ```
 */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Print what reelset runs on: node, tfjs backend, ffmpeg, sharp, onnxruntime, CPUs')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const report = await doctorReport();
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report));
    });
}
