/**
 * @module ffmpeg — the one module that runs ffmpeg and ffprobe: finds the executables and spawns them with
 * explicit argument arrays (never a shell), with a timeout, and always reaps the process.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { FfmpegError, ReelsetError } from '../../errors.js';

/**
 * Which executable: ffmpeg (decode, encode) or ffprobe (metadata).
 *
 * @example
 * ```ts
 * const tool: FfmpegTool = 'ffprobe';
 * ```
 */
export type FfmpegTool = 'ffmpeg' | 'ffprobe';

/**
 * Options of {@link runFfmpeg} and {@link runFfprobe}.
 *
 * @example
 * ```ts
 * const options: RunOptions = { timeoutMs: 10_000, binary: '/usr/bin/ffmpeg' };
 * ```
 */
export interface RunOptions {
  /** Kill the process (SIGKILL) after this many milliseconds. Default 120000. */
  timeoutMs?: number;
  /** Bytes written to the process's standard input: one buffer, or chunks written in order. */
  input?: Uint8Array | readonly Uint8Array[];
  /** The executable to run, overriding the environment and the bundled binary. */
  binary?: string;
  /**
   * Called with each complete line of standard error as it arrives (all of it, not only the tail kept in
   * {@link RunResult.stderr}); used to read `showinfo` output.
   */
  onStderrLine?: (line: string) => void;
  /**
   * The code of the error a timeout rejects with: `REELSET_E_FFMPEG` (default: an {@link FfmpegError}) or
   * `REELSET_E_TIMEOUT` (a `ReelsetError` whose `cause` is the {@link FfmpegError}).
   */
  timeoutCode?: 'REELSET_E_FFMPEG' | 'REELSET_E_TIMEOUT';
}

/**
 * What a finished process wrote.
 *
 * @example
 * ```ts
 * const { stdout } = await runFfprobe(['-version']);
 * console.log(stdout.toString().split('\n')[0]);
 * ```
 */
export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

const STDERR_TAIL = 4096;
const ENV_VARS: Record<FfmpegTool, string> = { ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' };
const INSTALLERS: Record<FfmpegTool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};
const resolved = new Map<FfmpegTool, string>();

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the binary shipped in an npm package is executable, after marking it so when it is not: its
 * package's install script does that `chmod`, and npm may not have run it (`--ignore-scripts`, or install
 * scripts left unapproved). Does nothing to a file this process cannot change.
 *
 * @example
 * ```ts
 * makeExecutable('node_modules/@ffprobe-installer/linux-x64/ffprobe'); // true once it can be run
 * ```
 */
export function makeExecutable(path: string): boolean {
  if (isExecutable(path)) return true;
  try {
    chmodSync(path, statSync(path).mode | 0o111);
  } catch {
    return false;
  }
  return isExecutable(path);
}

function bundledPath(tool: FfmpegTool): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const installer = require(INSTALLERS[tool]) as { path?: string };
    return installer.path;
  } catch {
    return undefined;
  }
}

function pathLookup(tool: FfmpegTool): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, tool))) return join(dir, tool);
  }
  return undefined;
}

/**
 * The executable reelset runs for `tool`: the environment variable (`FFMPEG_PATH` / `FFPROBE_PATH`) when
 * set, else the binary shipped in the npm packages `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`,
 * else the one on `PATH`.
 *
 * @throws ReelsetError `REELSET_E_FFMPEG_NOT_FOUND` when none is executable.
 * @example
 * ```ts
 * console.log(toolPath('ffmpeg')); // .../node_modules/@ffmpeg-installer/linux-x64/ffmpeg
 * ```
 */
export function toolPath(tool: FfmpegTool): string {
  const fromEnv = process.env[ENV_VARS[tool]];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new ReelsetError(
        'REELSET_E_FFMPEG_NOT_FOUND',
        `${ENV_VARS[tool]}=${fromEnv} is not an executable file`,
      );
    }
    return fromEnv;
  }
  const cached = resolved.get(tool);
  if (cached) return cached;
  const bundled = bundledPath(tool);
  const found = bundled && makeExecutable(bundled) ? bundled : pathLookup(tool);
  if (!found) {
    const why =
      bundled && existsSync(bundled)
        ? `${bundled} is not executable (its package's install script, which marks it so, did not run): run chmod +x on it, `
        : `install ${INSTALLERS[tool]}, `;
    throw new ReelsetError(
      'REELSET_E_FFMPEG_NOT_FOUND',
      `No ${tool} executable: ${why}put ${tool} on PATH, or set ${ENV_VARS[tool]}`,
    );
  }
  resolved.set(tool, found);
  return found;
}

function run(tool: FfmpegTool, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const binary = options.binary ?? toolPath(tool);
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let stderr = '';
    let partial = '';
    const { onStderrLine } = options;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr = (stderr + text).slice(-STDERR_TAIL);
      if (onStderrLine) {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onStderrLine(line);
      }
    });
    child.stdin.on('error', () => {
      // The process may exit before reading all its input; its exit code tells what happened.
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new FfmpegError(`Cannot start ${binary}: ${err.message}`, null, stderr));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (onStderrLine && partial) onStderrLine(partial);
      if (timedOut) {
        const err = new FfmpegError(`${tool} timed out after ${timeoutMs} ms`, null, stderr);
        reject(
          options.timeoutCode === 'REELSET_E_TIMEOUT'
            ? new ReelsetError('REELSET_E_TIMEOUT', err.message, { cause: err })
            : err,
        );
      } else if (code !== 0) {
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const lastLine = stderr.trim().split('\n').pop() ?? '';
        reject(new FfmpegError(`${tool} ${why}: ${lastLine}`, code, stderr));
      } else {
        resolve({ stdout: Buffer.concat(chunks), stderr });
      }
    });
    const { input } = options;
    if (input === undefined || input instanceof Uint8Array) child.stdin.end(input);
    else {
      for (const chunk of input) child.stdin.write(chunk);
      child.stdin.end();
    }
  });
}

/**
 * Runs ffmpeg with `args` (no shell) and resolves with what it wrote; rejects with {@link FfmpegError} on a
 * non-zero exit or a timeout. `-hide_banner -nostdin`-style flags are the caller's choice.
 *
 * @example
 * ```ts
 * const { stdout } = await runFfmpeg(['-v', 'error', '-i', 'clip.mp4', '-frames:v', '1', '-f', 'rawvideo',
 *   '-pix_fmt', 'rgb24', 'pipe:1']);
 * ```
 */
export function runFfmpeg(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run('ffmpeg', args, options);
}

/**
 * Runs ffprobe with `args` (no shell) and resolves with what it wrote; rejects with {@link FfmpegError}.
 *
 * @example
 * ```ts
 * const { stdout } = await runFfprobe(['-v', 'error', '-of', 'json', '-show_streams', 'clip.mp4']);
 * const info = JSON.parse(stdout.toString());
 * ```
 */
export function runFfprobe(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run('ffprobe', args, options);
}
