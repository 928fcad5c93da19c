/**
 * @module main — the `reelset` command line: wires one file per command into commander and turns any error
 * into a one-line message and a non-zero exit. Registering a command loads only its options; each command
 * imports what it runs (tfjs, sharp, the decoders, undici) inside its action, so `reelset --help` stays fast.
 *
 * Exit codes (docs/cli.md): 0 done; 1 error (bad argument or input, usage, anything that stopped the
 * command: one line `reelset: CODE: message` on standard error, never a stack trace); 2 done, but problems
 * were found (`check`) or files failed (`download`); 130 interrupted (Ctrl-C).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isReelsetError } from '../errors.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { registerDownload } from './download.js';
import { registerEvaluate } from './evaluate.js';
import { registerExport } from './export.js';
import { registerInspect } from './inspect.js';
import { registerPack } from './pack.js';
import { registerPredict } from './predict.js';
import { registerPreview } from './preview.js';
import { registerStats } from './stats.js';
import { registerSynth } from './synth.js';
import { registerTrain } from './train.js';
import { registerView } from './view.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const program = new Command('reelset')
  .description('Load, check and synthesize multimodal short-video data sets (brief + cover JPEG + MP4).')
  .version(packageVersion())
  // Usage errors come back as CommanderError (commands inherit this) and are printed below as one line.
  .exitOverride()
  .configureOutput({ outputError: () => undefined });

registerSynth(program);
registerInspect(program);
registerDemo(program);
registerDownload(program);
registerDoctor(program);
registerStats(program);
registerCheck(program);
registerPreview(program);
registerTrain(program);
registerEvaluate(program);
registerPredict(program);
registerExport(program);
registerPack(program);
registerView(program);

/** The one line an error prints: `reelset: CODE: message` (the first line of the message only). */
function errorLine(err: unknown): string {
  if (err instanceof CommanderError) {
    const what = err.message.replace(/^error: /, '').split('\n')[0];
    return `reelset: ${what} (run reelset --help for usage)\n`;
  }
  const code = isReelsetError(err) ? `${err.code}: ` : '';
  const message = err instanceof Error ? err.message : String(err);
  return `reelset: ${code}${message.split('\n')[0]}\n`;
}

// Whatever escapes a command (an error event, a rejection nobody awaited) still ends in one line, exit 1.
const crash = (err: unknown): void => {
  process.stderr.write(errorLine(err));
  process.exit(1);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// A closed pipe (`reelset inspect data | head`) ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  crash(err);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // --help, --version and the help shown for a missing command end with a CommanderError too, the help
  // already printed: nothing to add.
  if (err instanceof CommanderError && (err.exitCode === 0 || err.code === 'commander.help')) {
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(errorLine(err));
    process.exitCode = 1;
  }
}
