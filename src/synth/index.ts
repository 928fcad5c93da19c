/**
 * @module synth — the synthesizer: writes a small data set in the original's exact on-disk layout (Python
 * dict `.txt`, progressive cover JPEG, H.264 MP4, JSON Lines catalog) whose text, covers and clips depend on
 * the label in known ways, deterministically from a seed.
 */
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDuration } from '../loaders/layout/fields.js';
import { LABELS, labelId } from '../loaders/layout/labels.js';
import { originalCoverUrl, originalMp4Url, urlFileName } from '../loaders/layout/naming.js';
import { itemTxtEntries, pyDictLiteral, pyRepr } from '../loaders/layout/py-repr.js';
import { forEachLimit } from '../util/concurrency.js';
import { checkBoolean, checkInteger, checkNumber, describeValue, invalidArgument } from '../util/options.js';
import { BAD_KINDS, type BadKind, malformedTxt, missingFile, truncateJpeg } from './bad.js';
import { coverJpeg } from './cover.js';
import { createRng, mixSeed, type Rng } from './rng.js';
import { makeBrief } from './text.js';
import { frameCount, writeVideo } from './video.js';

export type { BadKind } from './bad.js';
export { BAD_KINDS } from './bad.js';
export type { BadMediaFile, BadMediaKind } from './bad-media.js';
export { BAD_MEDIA_KINDS, greyJpeg, writeBadMedia } from './bad-media.js';

/**
 * The catalog's file name, as in the original.
 *
 * @example
 * ```ts
 * const catalog = join(root, CATALOG_NAME); // <root>/multimodal_data_info.json
 * ```
 */
export const CATALOG_NAME = 'multimodal_data_info.json';

/**
 * Options of {@link synthesize}.
 *
 * @example
 * ```ts
 * const options: SynthOptions = { perLabel: 2, labels: ['Beach', 'Sea'], seconds: 1, seed: 7 };
 * ```
 */
export interface SynthOptions {
  /** Good items per label (whole number >= 1). Default 4. */
  perLabel?: number;
  /** Label names (exact, e.g. `'Green Screen'`, `'stars'`), no repeats. Default: all 31. */
  labels?: readonly string[];
  /** Clip length in seconds (0.05 to 600); the clip has `round(seconds * 24000 / 1001)` frames. Default 2. */
  seconds?: number;
  /** Seed (a safe integer): the same seed gives the same ids, briefs, txt, catalog and media bytes. Default 0. */
  seed?: number;
  /** Add one broken item of each {@link BadKind}. Default false. */
  bad?: boolean;
  /** Fraction (0-1) of briefs that name their label's words; the rest use shared words only. Default 0.6. */
  textSignal?: number;
  /**
   * Fraction (0-1) of clips that show their label's own pattern; the rest show a broad drifting band in
   * their pair's palette, the same for every label, so that such a clip tells only the pair (as a cover
   * does). Default 1. Below 1, no single modality separates every label and fusing them pays.
   */
  videoSignal?: number;
  /** How many ffmpeg encodes run at once (whole number >= 1). Default `os.availableParallelism()`. */
  concurrency?: number;
  /**
   * Write into `dir` even when it is not empty. Default false: a folder that holds anything is refused
   * (`REELSET_E_INVALID_ARGUMENT`) before anything is written, because writing into it would mix its files
   * with the new set (items on disk that the new catalog does not list). With `force`, files of the same
   * names are replaced and nothing else is removed.
   */
  force?: boolean;
  /**
   * The http(s) URL at which `dir` will be served (e.g. `http://127.0.0.1:8000/`). The catalog's and the
   * `.txt` files' URLs then name the synthesized files themselves, `<baseUrl><label>/<id>/<file>` (the label
   * URL-encoded), so that `download` of the catalog from a server of `dir` fetches these very bytes.
   * Default: placeholder URLs in the original's form on the reserved host `reelset-synth.invalid`
   * (`.invalid` never resolves, RFC 6761), which `download` refuses to fetch: the ids are made up, so the
   * original's CDN must never be asked for them.
   */
  baseUrl?: string;
}

/**
 * The host of the placeholder URLs of a synthesized catalog written without `baseUrl`
 * (`https://reelset-synth.invalid/<id9>_main_xl.mp4`, `.../<id9>_iconl.jpeg`): a reserved name that never
 * resolves, so no tool can send requests for made-up ids anywhere.
 *
 * @example
 * ```ts
 * new URL(report.items[0].mp4Url).hostname === SYNTH_PLACEHOLDER_HOST; // true without baseUrl
 * ```
 */
export const SYNTH_PLACEHOLDER_HOST = 'reelset-synth.invalid';

/**
 * The two URLs of an item, as written in its `.txt` and catalog line.
 *
 * @example
 * ```ts
 * const urls: ItemUrls = { mp4: 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4', cover: 'https://p5-i1.xpccdn.com/099945958_iconl.jpeg' };
 * ```
 */
export interface ItemUrls {
  /** `mp4_download_url`. */
  mp4: string;
  /** `mp4_background_image_url`. */
  cover: string;
}

function originalUrls(id: string): ItemUrls {
  return { mp4: originalMp4Url(id), cover: originalCoverUrl(id) };
}

/** Checks `baseUrl` and gives it with a trailing slash. */
function checkBaseUrl(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw invalidArgument(
      `baseUrl must be an http(s) URL without query or fragment, got ${describeValue(value)}`,
    );
  }
  const text = url.href;
  return text.endsWith('/') ? text : `${text}/`;
}

/**
 * The files written for an item, as absolute paths; a key is absent when that file was not written.
 *
 * @example
 * ```ts
 * const files: SynthFiles = { txt: '/d/Beach/123/123.txt', jpeg: '/d/Beach/123/123.jpeg' };
 * ```
 */
export interface SynthFiles {
  txt?: string;
  jpeg?: string;
  mp4?: string;
}

/**
 * One item written: one label folder of one clip (a clip listed under two labels is two items with the
 * same `id`), in catalog order.
 *
 * @example
 * ```ts
 * const report = await synthesize('/tmp/ds', { perLabel: 1, labels: ['Beach'] });
 * const item: SynthItem = report.items[0];
 * console.log(item.id, item.label, item.files.mp4);
 * ```
 */
export interface SynthItem {
  /** The mp4_id: the folder name and catalog id (digits, no leading zero). */
  id: string;
  /** The label (folder) name. */
  label: string;
  /** The label's id (0-30). */
  labelId: number;
  /** Absolute path of `<root>/<label>/<id>`. */
  folder: string;
  /** The files written, broken ones included; a missing file has no key. */
  files: SynthFiles;
  /** `renamed`: `<id>.jpeg` / `<id>.mp4`; `downloaded`: `<id9>_iconl.jpeg` / `<id9>_main_xl.mp4`. */
  naming: 'renamed' | 'downloaded';
  /** The brief as stored (leading space). */
  brief: string;
  /** True when the brief names this item's label's words (see `LABEL_WORDS`). */
  namesLabel: boolean;
  /** True when the clip shows its label's own pattern (see `videoSignal`), false when only its pair's band. */
  clipShowsLabel: boolean;
  /** The `mp4_time` written (`m:ss`). */
  mp4Time: string;
  /** `mp4_download_url` as written in the `.txt` and the catalog (see `baseUrl`). */
  mp4Url: string;
  /** `mp4_background_image_url` as written in the `.txt` and the catalog (see `baseUrl`). */
  coverUrl: string;
  /** Frames in the clip (when one was encoded). */
  frames: number;
  /** The seed the cover and clip were made from (equal for the same clip under two labels). */
  mediaSeed: number;
  /**
   * The label id whose palette and pattern the cover and clip show: `labelId`, except for a clip shared
   * from another label (then that label's id).
   */
  mediaLabelId: number;
  /** The other labels whose folders hold this same clip (same id, same files), if any. */
  sharedWith?: string[];
  /** The kind of breakage, for bad items only. */
  bad?: BadKind;
  /** For `id-mismatch` only: the `mp4_id` written in the `.txt` (differs from `id`). */
  txtId?: string;
}

/**
 * What {@link synthesize} wrote.
 *
 * @example
 * ```ts
 * const report: SynthReport = await synthesize('/tmp/ds', { perLabel: 2 });
 * console.log(report.items.length, report.catalogPath, report.elapsedMs);
 * ```
 */
export interface SynthReport {
  /** Absolute path of the data set folder. */
  root: string;
  /** Absolute path of `multimodal_data_info.json`. */
  catalogPath: string;
  /** The labels written, in order. */
  labels: string[];
  /** The seed used. */
  seed: number;
  /** Every item (one per catalog line), good and bad, in catalog order. */
  items: SynthItem[];
  /** How many items are bad (have `bad`). */
  badCount: number;
  /** Wall-clock milliseconds the synthesis took. */
  elapsedMs: number;
}

interface Plan {
  item: SynthItem;
  /** Index of the item whose files this one copies (a clip under a second label). */
  copyOf?: number;
  jpegName: string;
  mp4Name: string;
}

function newId(rng: Rng, used: Set<string>): string {
  for (;;) {
    // Mostly 8 digits like the real ids, some 7 (so zero-padding to 9 digits shows).
    const value = rng.next() < 0.15 ? 1_000_000 + rng.int(9_000_000) : 10_000_000 + rng.int(90_000_000);
    const id = String(value);
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

function txtEntries(
  id: string,
  time: string,
  brief: string,
  urls: ItemUrls = originalUrls(id),
): Array<[string, string]> {
  return itemTxtEntries({ id, mp4Url: urls.mp4, time, coverUrl: urls.cover, brief });
}

/**
 * One catalog line, written as Python's `json.dumps` would (`", "` and `": "` separators, non-ASCII as
 * `\uXXXX` escapes), keys in the original's order. The URLs are the original's for `id` unless `urls` are
 * given.
 *
 * @example
 * ```ts
 * catalogLine('99945958', '0:15', ' Hong Kong', 'City');
 * // '{"mp4_id": "99945958", "mp4_download_url": "https://p5-v1.xpccdn.com/099945958_main_xl.mp4", ...}'
 * ```
 */
export function catalogLine(
  id: string,
  mp4Time: string,
  brief: string,
  label: string,
  urls?: ItemUrls,
): string {
  const pairs = [...txtEntries(id, mp4Time, brief, urls), ['video_label', label]];
  const json = (text: string): string =>
    JSON.stringify(text).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return `{${pairs.map(([key, value]) => `${json(key as string)}: ${json(value as string)}`).join(', ')}}`;
}

/**
 * The `.txt` content of an item: the Python dict literal `{'mp4_id': ..., 'mp4_download_url': ...,
 * 'mp4_time': ..., 'mp4_background_image_url': ..., 'mp4_txt_brief': ...}` with no trailing newline. The
 * URLs are the original's for `id` unless `urls` are given.
 *
 * @example
 * ```ts
 * txtLiteral('99945958', '0:15', ' Hong Kong Circa 2017, City B-Roll');
 * ```
 */
export function txtLiteral(id: string, mp4Time: string, brief: string, urls?: ItemUrls): string {
  return pyDictLiteral(txtEntries(id, mp4Time, brief, urls));
}

/** The checked options: every default filled in, `baseUrl` absent for placeholder URLs. */
type Resolved = Required<Omit<SynthOptions, 'baseUrl'>> & { baseUrl: string | undefined };

/** The URLs of a planned item: under `baseUrl` (its files' paths in the folder), else placeholders. */
function itemUrls(plan: Plan, baseUrl: string | undefined): ItemUrls {
  const { id, label } = plan.item;
  if (baseUrl === undefined) {
    const host = `https://${SYNTH_PLACEHOLDER_HOST}/`;
    return { mp4: host + urlFileName(id, 'mp4'), cover: host + urlFileName(id, 'jpeg') };
  }
  const folder = `${baseUrl}${encodeURIComponent(label)}/${id}/`;
  return {
    mp4: folder + encodeURIComponent(plan.mp4Name),
    cover: folder + encodeURIComponent(plan.jpegName),
  };
}

function makePlans(root: string, labels: readonly string[], o: Resolved): Plan[] {
  const rng = createRng(mixSeed(o.seed, 'plan'));
  const used = new Set<string>();
  const mp4Time = formatDuration(o.seconds);
  const frames = frameCount(o.seconds);
  const plans: Plan[] = [];
  const make = (label: string, bad?: BadKind): Plan => {
    const id = newId(rng, used);
    const lid = labelId(label);
    const brief = makeBrief(rng, lid, o.textSignal);
    const naming = rng.next() < 0.1 ? 'downloaded' : 'renamed';
    const item: SynthItem = {
      id,
      label,
      labelId: lid,
      folder: join(root, label, id),
      files: {},
      naming,
      brief: brief.text,
      namesLabel: brief.namesLabel,
      mp4Time,
      mp4Url: '',
      coverUrl: '',
      frames,
      mediaSeed: mixSeed(o.seed, 'media', id),
      mediaLabelId: lid,
      // Drawn from its own hash, so that the other draws (ids, briefs) do not depend on videoSignal.
      clipShowsLabel: createRng(mixSeed(o.seed, 'video-signal', id)).next() < o.videoSignal,
    };
    if (bad) item.bad = bad;
    return {
      item,
      jpegName: naming === 'downloaded' ? urlFileName(id, 'jpeg') : `${id}.jpeg`,
      mp4Name: naming === 'downloaded' ? urlFileName(id, 'mp4') : `${id}.mp4`,
    };
  };
  for (const label of labels) for (let k = 0; k < o.perLabel; k++) plans.push(make(label));
  // One or two clips sit under a second label too, as in the real data: the next label's last item
  // becomes a copy of this label's first item.
  const shared = labels.length >= 2 && o.perLabel >= 2 ? (labels.length >= 4 ? 2 : 1) : 0;
  const sources = rng.shuffle(labels.map((_, i) => i)).slice(0, shared);
  for (const from of sources) {
    const to = (from + 1) % labels.length;
    const sourceIndex = from * o.perLabel;
    const targetIndex = to * o.perLabel + o.perLabel - 1;
    const source = plans[sourceIndex] as Plan;
    const target = plans[targetIndex] as Plan;
    used.delete(target.item.id);
    const targetLabel = labels[to] as string;
    target.item = {
      ...source.item,
      label: targetLabel,
      labelId: labelId(targetLabel),
      folder: join(root, targetLabel, source.item.id),
      files: {},
      namesLabel: false,
      sharedWith: [source.item.label],
    };
    source.item.sharedWith = [...(source.item.sharedWith ?? []), targetLabel];
    target.copyOf = sourceIndex;
    target.jpegName = source.jpegName;
    target.mp4Name = source.mp4Name;
  }
  if (o.bad) {
    for (const [k, kind] of BAD_KINDS.entries()) plans.push(make(labels[k % labels.length] as string, kind));
  }
  // A clip under two labels has one URL, as in the real data: the copy's are its source's.
  for (const plan of plans) {
    if (plan.copyOf !== undefined) continue;
    const urls = itemUrls(plan, o.baseUrl);
    plan.item.mp4Url = urls.mp4;
    plan.item.coverUrl = urls.cover;
  }
  for (const plan of plans) {
    if (plan.copyOf === undefined) continue;
    const source = (plans[plan.copyOf] as Plan).item;
    plan.item.mp4Url = source.mp4Url;
    plan.item.coverUrl = source.coverUrl;
  }
  return plans;
}

async function writeItem(plan: Plan, o: Resolved, used: ReadonlySet<string>): Promise<void> {
  const { item } = plan;
  const bad = item.bad;
  const missing = missingFile(bad);
  await mkdir(item.folder, { recursive: true });
  if (missing !== 'txt') {
    let txtId = item.id;
    if (bad === 'id-mismatch') {
      const rng = createRng(mixSeed(o.seed, 'mismatch', item.id));
      do txtId = String(10_000_000 + rng.int(90_000_000));
      while (used.has(txtId));
      item.txtId = txtId;
    }
    const urls = { mp4: item.mp4Url, cover: item.coverUrl };
    let text = txtLiteral(txtId, item.mp4Time, item.brief, urls);
    if (bad === 'txt-not-dict' || bad === 'txt-unterminated') {
      const list = `[${txtEntries(txtId, item.mp4Time, item.brief, urls)
        .map(([, value]) => pyRepr(value))
        .join(', ')}]`;
      text = malformedTxt(bad, list, text);
    }
    const path = join(item.folder, `${item.id}.txt`);
    await writeFile(path, text, 'utf8');
    item.files.txt = path;
  }
  if (missing !== 'jpeg') {
    const jpeg = await coverJpeg(item.mediaLabelId, item.mediaSeed);
    const path = join(item.folder, plan.jpegName);
    await writeFile(path, bad === 'truncated-jpeg' ? truncateJpeg(jpeg) : jpeg);
    item.files.jpeg = path;
  }
  if (missing !== 'mp4') {
    const path = join(item.folder, plan.mp4Name);
    if (bad === 'empty-mp4') await writeFile(path, new Uint8Array(0));
    else await writeVideo(item.mediaLabelId, item.mediaSeed, o.seconds, path, item.clipShowsLabel);
    item.files.mp4 = path;
  }
}

/** Refuses a target that is a file, or a folder that is not empty (without `force`); creates nothing. */
async function checkTarget(root: string, force: boolean): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw invalidArgument(`synthesize: a parent of ${root} is a file, not a folder`);
    throw err;
  }
  if (!isDir) throw invalidArgument(`synthesize: ${root} is a file, not a folder`);
  if (force) return;
  const names = await readdir(root);
  if (names.length === 0) return;
  names.sort();
  const shown = names.slice(0, 3).map((name) => JSON.stringify(name));
  const more = names.length > 3 ? `, ... (${names.length} entries)` : '';
  throw invalidArgument(
    `synthesize: the folder ${root} is not empty (${shown.join(', ')}${more}): writing into it would mix ` +
      'its files with the new set; choose a new or empty folder, or pass force: true (--force)',
  );
}

/**
 * Writes a synthetic data set into `dir` in the original's exact layout:
 * `<dir>/<label>/<id>/<id>.txt`, `<id>.jpeg`, `<id>.mp4` (about 10% of items keep the just-downloaded names
 * `<id9>_iconl.jpeg` / `<id9>_main_xl.mp4`) and `<dir>/multimodal_data_info.json`.
 *
 * - Text: briefs name their label's words for a `textSignal` fraction of items, else shared words only;
 *   some have quotes, `&` and non-ASCII text; `.txt` files are Python dict literals (Python `repr` rules).
 * - Covers: 480x270 progressive JPEGs in the palette of the label's pair (partners 2k, 2k+1 share one), so
 *   a cover cannot separate partners.
 * - Clips: H.264 640x360 at 24000/1001 fps, no audio, long GOPs, the pair's palette in a pattern and motion
 *   of the label itself (stripes, pulsing checkerboard, expanding rings; frequency, angle, speed), so the
 *   clip separates partners; for a `1 - videoSignal` fraction of clips, a broad band shared by every label
 *   instead, so that those clips tell only the pair.
 * - One or two clips are listed under two labels (same id and files in both folders, two catalog lines).
 * - `bad: true` adds one broken item of each {@link BadKind} (listed in the catalog; `item.bad` says which).
 *
 * - URLs: placeholders on the reserved host `reelset-synth.invalid` (never requested: the ids are
 *   made up), or with `baseUrl` the URLs of the files themselves under that base (serve `dir` there and
 *   `download` fetches them).
 *
 * The same options give the same txt, catalog and JPEG bytes, and (x264 with one thread) the same MP4 bytes.
 * `dir` must not exist or be empty, unless `force` (then files of the same names are replaced and nothing
 * else in `dir` is removed). Every option is checked before anything is created.
 *
 * @throws ReelsetError `REELSET_E_INVALID_ARGUMENT` for a bad option, a `dir` that is a file, or a `dir`
 * that is not empty without `force`; `REELSET_E_UNKNOWN_LABEL` for an unknown label (the message suggests
 * the closest); FfmpegError when an encode fails.
 * @example
 * ```ts
 * import { synthesize } from 'reelset';
 * const report = await synthesize('/tmp/reelset-demo', { perLabel: 3, labels: ['Beach', 'Sea'], seconds: 1 });
 * console.log(`${report.items.length} items in ${report.elapsedMs} ms`);
 * ```
 */
export async function synthesize(dir: string, options: SynthOptions = {}): Promise<SynthReport> {
  const started = performance.now();
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('synthesize needs a folder path');
  if (options === null || typeof options !== 'object') {
    throw invalidArgument(`synthesize options must be an object, got ${describeValue(options)}`);
  }
  const labels = options.labels ?? LABELS.map((label) => label.name);
  if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string')) {
    throw invalidArgument(`labels must be an array of label names, got ${describeValue(labels)}`);
  }
  const o: Resolved = {
    perLabel: checkInteger('perLabel', options.perLabel ?? 4, 1),
    labels,
    seconds: checkNumber('seconds', options.seconds ?? 2, 0.05, 600),
    seed: checkInteger('seed', options.seed ?? 0, Number.MIN_SAFE_INTEGER),
    bad: checkBoolean('bad', options.bad, false),
    textSignal: checkNumber('textSignal', options.textSignal ?? 0.6, 0, 1),
    videoSignal: checkNumber('videoSignal', options.videoSignal ?? 1, 0, 1),
    concurrency: checkInteger('concurrency', options.concurrency ?? availableParallelism(), 1),
    force: checkBoolean('force', options.force, false),
    baseUrl: options.baseUrl === undefined ? undefined : checkBaseUrl(options.baseUrl),
  };
  if (o.labels.length === 0) throw invalidArgument('labels must name at least one label');
  for (const label of o.labels) labelId(label);
  if (new Set(o.labels).size !== o.labels.length) throw invalidArgument('labels must not repeat');
  const root = resolve(dir);
  await checkTarget(root, o.force);
  const plans = makePlans(root, o.labels, o);
  const used = new Set(plans.map((plan) => plan.item.id));
  await mkdir(root, { recursive: true });
  await forEachLimit(
    plans.filter((plan) => plan.copyOf === undefined),
    o.concurrency,
    (plan) => writeItem(plan, o, used),
  );
  for (const plan of plans) {
    if (plan.copyOf === undefined) continue;
    const source = (plans[plan.copyOf] as Plan).item;
    await mkdir(plan.item.folder, { recursive: true });
    for (const kind of ['txt', 'jpeg', 'mp4'] as const) {
      const from = source.files[kind];
      if (!from) continue;
      const to = join(plan.item.folder, from.slice(source.folder.length + 1));
      await copyFile(from, to);
      plan.item.files[kind] = to;
    }
  }
  const catalogPath = join(root, CATALOG_NAME);
  const lines = plans.map(({ item }) =>
    catalogLine(item.id, item.mp4Time, item.brief, item.label, { mp4: item.mp4Url, cover: item.coverUrl }),
  );
  await writeFile(catalogPath, `${lines.join('\n')}\n`, 'utf8');
  const items = plans.map((plan) => plan.item);
  return {
    root,
    catalogPath,
    labels: [...o.labels],
    seed: o.seed,
    items,
    badCount: items.filter((item) => item.bad).length,
    elapsedMs: Math.round(performance.now() - started),
  };
}
