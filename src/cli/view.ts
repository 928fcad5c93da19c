/**
 * @module view — `reelset view ROOT [--model MODEL_DIR] [--port N] [--host H]`: a local web page to look at
 * a data set and a model; prints the URL with its token, serves until Ctrl-C.
 */
import type { Command } from 'commander';
import { integerOption } from './options.js';

interface ViewCliOptions {
  model?: string;
  port: number;
  host: string;
  cacheDir?: string;
  check?: boolean;
}

/**
 * Adds `view ROOT [--model MODEL_DIR|model.onnx] [--port N] [--host 127.0.0.1] [--cache-dir DIR] [--check]`
 * to the program. tfjs is loaded only with `--model`.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerView(program);
 * await program.parseAsync(['node', 'reelset', 'view', 'data', '--port', '8765']);
 * ```
 */
export function registerView(program: Command): void {
  program
    .command('view')
    .description(
      'Look at a data set (and a model) in a local web page: covers, clips, frames, stats, predictions',
    )
    .argument('<root>', 'the data set root folder')
    .option('--model <path>', 'a model directory written by reelset train: predictions, confusion matrix')
    .option('--port <n>', 'the port (0: any free port)', integerOption('--port', 0, 65_535), 0)
    .option('--host <address>', 'the address to listen on (anything but loopback warns)', '127.0.0.1')
    .option('--cache-dir <dir>', 'the thumbnail cache (default ~/.cache/reelset/thumbs)')
    .option('--check', 'run reelset check in the background at start (for the problems filter)')
    .action(async (root: string, o: ViewCliOptions) => {
      const { checkLayoutRoot } = await import('./options.js');
      await checkLayoutRoot(root);
      const { startView } = await import('../view/server.js');
      const view = await startView(root, {
        port: o.port,
        host: o.host,
        ...(o.model === undefined ? {} : { model: o.model }),
        ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
      });
      if (o.check) {
        await fetch(`${view.origin}/api/check`, {
          method: 'POST',
          headers: { 'x-reelset-token': view.token },
        }).catch(() => undefined);
      }
      const model = view.model === undefined ? '' : ` with ${view.model.classifier.runtime}`;
      // The handlers first, then the URL: whoever reads the URL may stop the server at once.
      const stopped = new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          view.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stdout.write(`reelset view: ${root}${model}\n${view.url}\n`);
      await stopped;
    });
}
