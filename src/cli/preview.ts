/**
 * @module preview — `reelset preview ROOT --label L --out sheet.jpg`: a contact sheet of a label's covers
 * with id and brief, and optionally a strip of sampled frames per clip.
 */
import type { Command } from 'commander';
import { ReelsetError } from '../errors.js';
import type { PreviewOptions } from '../tools/preview.js';
import { checkExtension } from '../util/files.js';
import { count } from './format.js';
import { checkLayoutRoot, integerOption } from './options.js';

/** Refuses an output path that is a folder (the sheet would be renamed onto it). */
async function refuseFolder(file: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const isDir = await stat(file).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (isDir) {
    throw new ReelsetError('REELSET_E_NOT_A_FILE', `--out ${file} is a folder, not a file`);
  }
}

/**
 * Adds `preview ROOT --label L --out FILE [--limit N] [--columns C] [--frames K] [--concurrency N]` to the
 * program; prints the output path, its size and the counts.
 *
 * @example
 * ```ts
 * const program = new Command('reelset');
 * registerPreview(program);
 * await program.parseAsync(['node', 'reelset', 'preview', 'data', '--label', 'Beach', '--out', 'sheet.jpg']);
 * ```
 */
export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('Write a contact sheet of a label: covers with id and brief, optionally frames of each clip')
    .argument('<root>', 'the data set folder: <root>/<label>/<id>/<id>.{txt,jpeg,mp4}')
    .requiredOption('--label <name>', 'the label to show (English name, e.g. Beach)')
    .requiredOption('--out <file>', 'the sheet to write: .jpg / .jpeg (JPEG) or .png (PNG)')
    .option('--limit <n>', 'the first n items (default 24)', integerOption('--limit', 1, 1000))
    .option('--columns <c>', 'tiles a row (default 6)', integerOption('--columns', 1, 50))
    .option(
      '--frames <k>',
      'a strip of k uniformly sampled frames under each cover',
      integerOption('--frames', 0, 16),
    )
    .option('--concurrency <n>', 'items decoded at once (default 4)', integerOption('--concurrency', 1, 64))
    .action(async (root: string, options: PreviewOptions) => {
      // Every argument is checked before anything is decoded or written.
      checkExtension('--out', options.out, ['.jpg', '.jpeg', '.png'], 'a JPEG or PNG sheet');
      await refuseFolder(options.out);
      const { labelId } = await import('../loaders/layout/labels.js');
      labelId(options.label);
      await checkLayoutRoot(root);
      const { previewSheet } = await import('../tools/preview.js');
      const result = await previewSheet(root, options);
      const problems = [
        result.missingCovers > 0 ? `${result.missingCovers} without cover` : '',
        result.missingClips > 0 ? `${result.missingClips} without frames` : '',
      ].filter(Boolean);
      process.stdout.write(
        `preview: ${count(result.items, 'item')}${problems.length > 0 ? ` (${problems.join(', ')})` : ''} -> ${result.out} (${result.width}x${result.height} ${result.format})\n`,
      );
    });
}
