/**
 * @module download — `reelset download CATALOG.jsonl --out ROOT`: fetches the data set into the original's
 * layout with resume, retries and checks; a progress bar on a terminal, plain lines otherwise; SIGINT
 * stops cleanly (partial files are kept, a rerun continues).
 */
import type CliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ReelsetError } from '../errors.js';
import type { DownloadOptions, DownloadProgress } from '../loaders/download/download.js';
import type { MediaKind } from '../loaders/layout/naming.js';
import { checkExtension } from '../util/files.js';
import { count } from './format.js';
import { integerOption, JSONL_EXTENSIONS, numberOption } from './options.js';

/** How many bad catalog lines the command lists on standard error (all of them go to `--report`). */
const SKIPS_SHOWN = 10;

interface DownloadCliOptions {
  out: string;
  concurrency?: number;
  perHost?: number;
  retries?: number;
  labels?: string[];
  ids?: string[];
  kinds?: string[];
  maxPerLabel?: number;
  sample?: number;
  seed?: number;
  header: string[];
  allowHost?: string[];
  maxBytes?: number;
  rate?: number;
  connectTimeout?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
  sha256Manifest?: string;
  verifySha256?: string;
  report?: string;
  fsync: boolean;
  progress: boolean;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses one `--header "Name: value"` into `[name, value]`.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a missing colon, a bad name or a line break.
 * @example
 * ```ts
 * parseHeader('Referer: https://example.com/'); // ['Referer', 'https://example.com/']
 * ```
 */
export function parseHeader(text: string): [string, string] {
  const at = text.indexOf(':');
  const name = at > 0 ? text.slice(0, at).trim() : '';
  const value = at > 0 ? text.slice(at + 1).trim() : '';
  if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) {
    throw new ReelsetError(
      'REELSET_E_INVALID_ARGUMENT',
      `--header must be "Name: value", got ${JSON.stringify(text)}`,
    );
  }
  return [name, value];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function eta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A progress display: a cli-progress bar on a TTY, else a plain line every 5 s on stderr. */
function progressDisplay(
  enabled: boolean,
  cliProgress: typeof CliProgress,
): { update: (p: DownloadProgress) => void; stop: () => void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          '{bar} {percentage}% | {value}/{total} files | {size} | {speed}/s | ETA {eta_h} | {failed} failed',
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const payload = {
          size: bytes(p.bytes),
          speed: bytes(p.bytesPerSecond),
          eta_h: eta(p.etaSeconds),
          failed: p.failed,
        };
        if (!started) {
          bar.start(p.total ?? 0, p.done, payload);
          started = true;
        }
        if (p.total !== undefined) bar.setTotal(p.total);
        bar.update(p.done, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      process.stderr.write(
        `download: ${p.done}/${p.total ?? '?'} files, ${bytes(p.bytes)}, ${bytes(p.bytesPerSecond)}/s, ` +
          `ETA ${eta(p.etaSeconds)}, ${p.failed} failed\n`,
      );
    },
    stop: () => undefined,
  };
}

/**
 * Adds `download <catalog> --out <root> [options]` to the program. Exit status: 0 when every file is
 * there, 2 when some failed (listed in `--report`), 130 when interrupted (SIGINT; partial files are kept
 * and a rerun continues), 1 for a bad argument.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerDownload(program);
 * await program.parseAsync(['node', 'reelset', 'download', 'multimodal_data_info.json', '--out', '/data',
 *   '--labels', 'Beach', '--header', 'Referer: https://example.com/', '--report', 'failures.jsonl']);
 * ```
 */
export function registerDownload(program: Command): void {
  program
    .command('download')
    .description('Download the data set of a catalog into <root>/<label>/<id>/<id>.{txt,jpeg,mp4}, resumably')
    .argument('<catalog>', 'multimodal_data_info.json (JSON Lines)')
    .requiredOption('--out <root>', 'the data set folder; nothing is written outside it')
    .option('--concurrency <n>', 'files in flight (default 16)', integerOption('--concurrency', 1, 1024))
    .option('--per-host <n>', 'connections per host (default 16)', integerOption('--per-host', 1, 1024))
    .option('--retries <n>', 'retries per file (default 5)', integerOption('--retries', 0, 100))
    .option('--labels <names...>', 'only these labels, e.g. --labels Beach "Green Screen"')
    .option('--ids <ids...>', 'only these mp4_ids')
    .option('--kinds <kinds...>', 'only these files: txt jpeg mp4 (default all)')
    .option('--max-per-label <n>', 'at most n items per label', integerOption('--max-per-label', 1))
    .option(
      '--sample <n>',
      'a seeded sample: a fraction in (0, 1) or a count >= 1',
      numberOption('--sample', 0, Number.MAX_SAFE_INTEGER),
    )
    .option('--seed <k>', 'seed of --sample (default 0)', integerOption('--seed', Number.MIN_SAFE_INTEGER))
    .option('--header <line>', 'extra request header "Name: value" (repeatable)', collect, [])
    .option('--allow-host <hosts...>', 'only these hosts (redirects included)')
    .option('--max-bytes <n>', 'largest file accepted (default 512 MiB)', integerOption('--max-bytes', 1))
    .option(
      '--rate <bytes/s>',
      'bandwidth limit in bytes per second',
      numberOption('--rate', 1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--connect-timeout <ms>',
      'connect timeout (default 10000)',
      integerOption('--connect-timeout', 1),
    )
    .option(
      '--headers-timeout <ms>',
      'time to the response headers (default 30000)',
      integerOption('--headers-timeout', 1),
    )
    .option(
      '--body-timeout <ms>',
      'longest idle time in a body (default 30000)',
      integerOption('--body-timeout', 1),
    )
    .option('--sha256-manifest <file>', 'append {path, size, sha256} of each file written to this JSONL file')
    .option('--verify-sha256 <file>', 'a JSONL manifest that fetched files must match')
    .option(
      '--report <file>',
      'write a JSONL line per failed file {id, label, kind, url, error, code, attempts} and per bad ' +
        'catalog line {kind: "catalog-line", where, line, reason, code}',
    )
    .option('--no-fsync', 'do not fsync files before their rename (faster, less safe on power loss)')
    .option('--no-progress', 'no progress bar or lines')
    .action(async (catalog: string, o: DownloadCliOptions) => {
      // Every argument is checked here or by download() before anything is created.
      for (const kind of o.kinds ?? []) {
        if (kind !== 'txt' && kind !== 'jpeg' && kind !== 'mp4') {
          throw new ReelsetError(
            'REELSET_E_INVALID_ARGUMENT',
            `--kinds takes txt, jpeg, mp4; got ${JSON.stringify(kind)}`,
          );
        }
      }
      if (o.report !== undefined) checkExtension('--report', o.report, JSONL_EXTENSIONS, 'JSON Lines');
      if (o.sha256Manifest !== undefined) {
        checkExtension('--sha256-manifest', o.sha256Manifest, JSONL_EXTENSIONS, 'JSON Lines');
      }
      const headers = Object.fromEntries(o.header.map(parseHeader));
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        process.stderr.write(
          '\nreelset download: stopping (partial files are kept; run again to continue)...\n',
        );
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const [{ download }, { default: cliProgress }] = await Promise.all([
        import('../loaders/download/download.js'),
        import('cli-progress'),
      ]);
      const display = progressDisplay(o.progress, cliProgress);
      const options: DownloadOptions = {
        out: o.out,
        headers,
        fsync: o.fsync,
        signal: controller.signal,
        onProgress: display.update,
      };
      if (o.concurrency !== undefined) options.concurrency = o.concurrency;
      if (o.perHost !== undefined) options.perHost = o.perHost;
      if (o.retries !== undefined) options.retries = o.retries;
      if (o.labels) options.labels = o.labels;
      if (o.ids) options.ids = o.ids;
      if (o.kinds) options.kinds = o.kinds as MediaKind[];
      if (o.maxPerLabel !== undefined) options.maxPerLabel = o.maxPerLabel;
      if (o.sample !== undefined) options.sample = o.sample;
      if (o.seed !== undefined) options.seed = o.seed;
      if (o.allowHost) options.allowHosts = o.allowHost;
      if (o.maxBytes !== undefined) options.maxBytes = o.maxBytes;
      if (o.rate !== undefined) options.rate = o.rate;
      if (o.connectTimeout !== undefined) options.connectTimeoutMs = o.connectTimeout;
      if (o.headersTimeout !== undefined) options.headersTimeoutMs = o.headersTimeout;
      if (o.bodyTimeout !== undefined) options.bodyTimeoutMs = o.bodyTimeout;
      if (o.sha256Manifest) options.sha256Manifest = o.sha256Manifest;
      if (o.verifySha256) options.verifySha256 = o.verifySha256;
      if (o.report) options.report = o.report;
      try {
        const r = await download(catalog, options);
        display.stop();
        const seconds = (r.elapsedMs / 1000).toFixed(1);
        process.stdout.write(
          `download: ${count(r.files, 'file')} of ${count(r.items, 'item')}: ${r.downloaded} fetched (${r.resumed} resumed), ` +
            `${r.written} txt written, ${r.skipped} already complete, ${r.failed} failed` +
            `${r.catalogSkips > 0 ? `, ${count(r.catalogSkips, 'bad catalog line')} skipped` : ''}; ${bytes(r.bytes)} in ${seconds} s -> ${r.out}\n`,
        );
        for (const skip of r.catalogSkipList.slice(0, SKIPS_SHOWN)) {
          process.stderr.write(`reelset download: skipped ${skip.where}: ${skip.reason}\n`);
        }
        if (r.catalogSkips > SKIPS_SHOWN) {
          process.stderr.write(
            `reelset download: and ${count(r.catalogSkips - SKIPS_SHOWN, 'more bad catalog line', 'more bad catalog lines')}${o.report ? ` (all in ${o.report})` : ' (--report FILE lists them all)'}\n`,
          );
        }
        if (r.aborted) {
          process.stderr.write('reelset download: interrupted; run the same command again to continue\n');
          process.exitCode = 130;
        } else if (r.failed > 0) {
          process.stderr.write(
            `reelset download: ${count(r.failed, 'file')} failed${o.report ? ` (see ${o.report})` : ' (use --report FILE for the list)'}\n`,
          );
          process.exitCode = 2;
        }
      } finally {
        display.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
