/**
 * @module fonts — a CJK font for the text of charts and contact sheets: reelset's own (fonts/, a subset of
 * Noto Sans CJK SC) registered with sharp's fontconfig, else a system font, else a one-line warning.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/**
 * The family name of the CJK font shipped in reelset's `fonts/` folder (`ReelsetCJKSC-Regular.otf`: Noto
 * Sans CJK SC Regular cut down to GB2312 and Latin, SIL OFL 1.1).
 *
 * @example
 * ```ts
 * `<text font-family="${CJK_FONT_FAMILY}">海滩</text>`;
 * ```
 */
export const CJK_FONT_FAMILY = 'Reelset CJK SC';

/**
 * The `font-family` of every text of reelset's SVG documents: DejaVu Sans for Latin, then reelset's CJK
 * font, then the system's.
 *
 * @example
 * ```ts
 * const group = `<g font-family="${TEXT_FONT_FAMILIES}">`;
 * ```
 */
export const TEXT_FONT_FAMILIES = `DejaVu Sans, ${CJK_FONT_FAMILY}, Noto Sans CJK SC, Noto Sans, sans-serif`;

/**
 * The environment variable that chooses the CJK font: unset, reelset's own; a path, that font file (`.ttf`,
 * `.otf`, `.ttc`) instead; `system`, the fonts installed on the system only.
 *
 * @example
 * ```sh
 * REELSET_CJK_FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc reelset preview data --label Beach --out b.jpg
 * ```
 */
export const CJK_FONT_ENV = 'REELSET_CJK_FONT';

/**
 * The one-line warning printed (once a process) when text holds CJK characters and no CJK font is found:
 * what happens, and the install command.
 *
 * @example
 * ```ts
 * console.error(NO_CJK_FONT_WARNING);
 * ```
 */
export const NO_CJK_FONT_WARNING =
  'reelset: warning: no CJK font found, Chinese text will be drawn as boxes; install one (Debian/Ubuntu: ' +
  'sudo apt-get install fonts-noto-cjk; Fedora: sudo dnf install google-noto-sans-cjk-fonts; macOS: brew ' +
  `install --cask font-noto-sans-cjk-sc) or set ${CJK_FONT_ENV} to a .ttf/.otf file`;

/**
 * The CJK font that text is drawn with.
 *
 * @example
 * ```ts
 * const font: CjkFont = await ensureCjkFont();
 * if (font.source === 'none') console.error('Chinese text will be boxes');
 * ```
 */
export interface CjkFont {
  /**
   * `package`: reelset's own font file, registered with sharp; `file`: the file named by `REELSET_CJK_FONT`,
   * registered; `system`: a font installed on the system covers Chinese; `none`: no CJK font.
   */
  source: 'package' | 'file' | 'system' | 'none';
  /** The font file registered with sharp (`package`, `file`). */
  file?: string;
  /** The family registered (`package`), or the system's families that cover Chinese (`system`). */
  families: string[];
  /** Why a configured font file was not used (`REELSET_CJK_FONT` names no readable font file). */
  problem?: string;
}

/**
 * Where to look for a CJK font ({@link findCjkFont}).
 *
 * @example
 * ```ts
 * const options: FindCjkFontOptions = { fontFile: null, systemFonts: async () => [] }; // simulates none
 * ```
 */
export interface FindCjkFontOptions {
  /**
   * The font file to register: a path, or `null` for none (system fonts only). Default: from
   * `REELSET_CJK_FONT`, else {@link packagedCjkFontFile}.
   */
  fontFile?: string | null;
  /** Lists the system's font families that cover Chinese. Default {@link systemCjkFonts}. */
  systemFonts?: () => Promise<string[]>;
}

const FONT_FILE = 'ReelsetCJKSC-Regular.otf';

/**
 * The path of the CJK font shipped with reelset (`fonts/ReelsetCJKSC-Regular.otf` in the package), or
 * `undefined` when it is not there (a bundler that left it behind).
 *
 * @example
 * ```ts
 * packagedCjkFontFile(); // '/app/node_modules/reelset/fonts/ReelsetCJKSC-Regular.otf'
 * ```
 */
export function packagedCjkFontFile(): string | undefined {
  // This module is src/tools/fonts.ts in the repository, a chunk in dist/ or dist/cli/ in the package: the
  // package's root is the nearest folder above whose package.json is reelset's.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    if (isReelsetRoot(dir)) {
      const file = path.join(dir, 'fonts', FONT_FILE);
      return existsSync(file) ? file : undefined;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

function isReelsetRoot(dir: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name ===
      'reelset'
    );
  } catch {
    return false;
  }
}

/**
 * The families of the fonts installed on the system that cover Chinese, as fontconfig (which sharp's
 * librsvg uses) lists them: `fc-list :lang=zh family`. Empty when there is none, or no `fc-list`.
 *
 * @example
 * ```ts
 * await systemCjkFonts(); // ['Noto Sans CJK SC', 'Noto Serif CJK SC', ...] or []
 * ```
 */
export function systemCjkFonts(): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('fc-list', [':lang=zh', 'family'], { timeout: 10_000 }, (err, stdout) => {
      if (err) {
        resolve([]);
        return;
      }
      const families = stdout
        .split('\n')
        .map((line) => (line.split(',')[0] ?? '').trim())
        .filter((family) => family !== '');
      resolve([...new Set(families)].sort());
    });
  });
}

/** Whether `file` starts like a font: TrueType, OpenType (CFF), a collection, or an old Mac TrueType. */
async function isFontFile(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4) return false;
    const tag = head.toString('latin1');
    return head.readUInt32BE(0) === 0x00010000 || ['OTTO', 'ttcf', 'true'].includes(tag);
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/**
 * Adds a font file to the fonts of sharp's fontconfig for the rest of the process: libvips registers the
 * `fontfile` of a text image with `FcConfigAppFontAddFile`, and librsvg then finds its family like an
 * installed one. It must run before the first text is drawn in the process: librsvg keeps the font list it
 * saw first (one per thread).
 */
async function registerFontFile(file: string): Promise<void> {
  await sharp({ text: { text: '海', font: `${CJK_FONT_FAMILY} 12`, fontfile: file } })
    .raw()
    .toBuffer();
}

/**
 * Finds the CJK font to draw text with, and registers its file with sharp: the file of `fontFile` (default
 * `REELSET_CJK_FONT`, else reelset's own font), else the first system font that covers Chinese, else none.
 * Not cached: {@link ensureCjkFont} is the once-a-process version the tools use.
 *
 * @example
 * ```ts
 * const font = await findCjkFont(); // { source: 'package', file: '.../fonts/ReelsetCJKSC-Regular.otf', families: ['Reelset CJK SC'] }
 * const none = await findCjkFont({ fontFile: null, systemFonts: async () => [] }); // { source: 'none', families: [] }
 * ```
 */
export async function findCjkFont(options: FindCjkFontOptions = {}): Promise<CjkFont> {
  let problem: string | undefined;
  const env = process.env[CJK_FONT_ENV]?.trim();
  let file: string | null | undefined;
  let source: 'package' | 'file' = 'package';
  if (options.fontFile !== undefined) {
    file = options.fontFile;
    source = 'file';
  } else if (env !== undefined && env !== '') {
    file = env === 'system' ? null : path.resolve(env);
    source = 'file';
  } else {
    file = packagedCjkFontFile();
  }
  if (file) {
    if (await isFontFile(file)) {
      await registerFontFile(file);
      return source === 'package'
        ? { source, file, families: [CJK_FONT_FAMILY] }
        : { source, file, families: [] };
    }
    problem = `${file} is not a readable font file`;
  }
  const families = await (options.systemFonts ?? systemCjkFonts)();
  const found: CjkFont = families.length > 0 ? { source: 'system', families } : { source: 'none', families };
  if (problem !== undefined) found.problem = problem;
  return found;
}

let cached: Promise<CjkFont> | undefined;

/**
 * {@link findCjkFont} once a process: the first call registers the font, later calls return the same
 * answer. The charts and contact sheets call it before they draw; a program that draws text with sharp
 * itself before using them should call it first (librsvg keeps the fonts it saw at its first text).
 *
 * @example
 * ```ts
 * import { ensureCjkFont } from 'reelset/tools';
 * const font = await ensureCjkFont();
 * console.log(font.source); // 'package'
 * ```
 */
export function ensureCjkFont(): Promise<CjkFont> {
  cached ??= findCjkFont();
  return cached;
}

const CJK_TEXT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f]/u;

/**
 * Whether text holds CJK characters (Han, kana, Hangul, CJK punctuation).
 *
 * @example
 * ```ts
 * containsCjk('Beach 海滩'); // true
 * containsCjk('Beach'); // false
 * ```
 */
export function containsCjk(text: string): boolean {
  return CJK_TEXT.test(text);
}

/**
 * The warning line for drawing `text` with `font`, when the text holds CJK characters:
 * {@link NO_CJK_FONT_WARNING} when there is no CJK font, a line naming the unusable `REELSET_CJK_FONT`
 * file when there is one (first in the line, or alone when a system font stands in); `undefined`
 * otherwise.
 *
 * @example
 * ```ts
 * cjkFontWarning('海滩', { source: 'none', families: [] }); // 'reelset: warning: no CJK font found, ...'
 * cjkFontWarning('Beach', { source: 'none', families: [] }); // undefined
 * ```
 */
export function cjkFontWarning(text: string, font: CjkFont): string | undefined {
  if (!containsCjk(text)) return undefined;
  const problem = font.problem === undefined ? '' : `${CJK_FONT_ENV}: ${font.problem}, `;
  if (font.source === 'none') return NO_CJK_FONT_WARNING.replace('warning: ', `warning: ${problem}`);
  return problem === '' ? undefined : `reelset: warning: ${problem}using the system's CJK fonts`;
}

let warned = false;

/**
 * Gets text ready to be drawn: {@link ensureCjkFont}, then, when `text` holds CJK characters and there is
 * no CJK font, writes {@link NO_CJK_FONT_WARNING} to stderr (once a process). The charts and contact
 * sheets call it with their SVG before rendering it.
 *
 * @example
 * ```ts
 * await prepareTextFonts(svg);
 * await sharp(Buffer.from(svg)).png().toFile('chart.png');
 * ```
 */
export async function prepareTextFonts(text: string): Promise<CjkFont> {
  const font = await ensureCjkFont();
  const line = cjkFontWarning(text, font);
  if (line !== undefined && !warned) {
    warned = true;
    process.stderr.write(`${line}\n`);
  }
  return font;
}
