/**
 * @module main — the `reelset` command line: wires one file per command into commander and turns any error
 * into a one-line message and a non-zero exit. Registering a command loads only its options; each command
 * imports what it runs (tfjs, sharp, the decoders, undici) inside its action, so `reelset --help` stays fast.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { isReelsetError } from '../errors.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { registerDownload } from './download.js';
import { registerInspect } from './inspect.js';
import { registerPreview } from './preview.js';
import { registerStats } from './stats.js';
import { registerSynth } from './synth.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const program = new Command('reelset')
  .description('Load, check and synthesize multimodal short-video data sets (brief + cover JPEG + MP4).')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)');

registerSynth(program);
registerInspect(program);
registerDemo(program);
registerDownload(program);
registerDoctor(program);
registerStats(program);
registerCheck(program);
registerPreview(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = isReelsetError(err) ? `${err.code}: ` : '';
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`reelset: ${code}${message.split('\n')[0]}\n`);
  process.exitCode = 1;
}
