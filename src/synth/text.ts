/**
 * @module text — the synthesizer's label-dependent briefs.
 */
import { LABELS } from '../loaders/layout/labels.js';
import type { Rng } from './rng.js';

/**
 * The words that name each label in synthetic briefs, indexed by label id (a brief that "names its label"
 * uses one or two of these). Case matters: the original tokenizer is case-sensitive.
 *
 * @example
 * ```ts
 * LABEL_WORDS[8]; // ['sand', 'waves', 'shore', ...] (Beach)
 * ```
 */
export const LABEL_WORDS: ReadonlyArray<readonly string[]> = Object.freeze(
  [
    ['panorama', '360 degree', 'VR', 'spherical', 'immersive', 'equirectangular'],
    ['UHD', 'ultra high definition', '3840x2160', 'crisp', 'detailed'],
    ['shapes', 'geometric', 'particles', 'fractal', 'kaleidoscope', 'swirl'],
    ['drone', 'flyover', 'overhead', "bird's eye view", 'high altitude'],
    ['transparent', 'alpha matte', 'overlay', 'cutout', 'isolated', 'luma matte'],
    ['wildlife', 'lion', 'elephant', 'herd', 'birds', 'deer'],
    ['vintage', 'newsreel', '1950s', 'black and white', 'historic', 'old film'],
    ['backdrop', 'bokeh', 'seamless', 'gradient', 'texture', 'wallpaper'],
    ['sand', 'waves', 'shore', 'palm trees', 'tropical', 'sunbathing'],
    ['office', 'meeting', 'handshake', 'laptop', 'startup', 'finance'],
    ['fireworks', 'party', 'confetti', 'balloons', 'festival', 'champagne'],
    ['skyline', 'downtown', 'traffic', 'street', 'skyscrapers', 'night lights'],
    ['cumulus', 'overcast', 'sky', 'storm clouds', 'fluffy', 'cloudscape'],
    ['team', 'boardroom', 'presentation', 'executives', 'teamwork', 'coworkers'],
    ['blast', 'fireball', 'detonation', 'smoke', 'debris', 'burst'],
    ['cinematic', 'film grain', 'anamorphic', '35mm', 'movie scene', 'lens flare'],
    ['chroma key', 'green background', 'keying', 'studio', 'greenscreen'],
    ['logo reveal', 'opener', 'title sequence', 'intro animation', 'text reveal'],
    ['soldiers', 'army', 'tank', 'helicopter', 'troops', 'navy'],
    ['forest', 'mountains', 'waterfall', 'meadow', 'flowers', 'river'],
    ['anchor', 'reporter', 'breaking news', 'headline', 'press conference'],
    ['RED camera', 'raw footage', 'R3D', '6K', 'RED Epic'],
    ['couple', 'love', 'kiss', 'candlelight', 'hearts', 'holding hands'],
    ['ocean', 'open water', 'ship', 'horizon', 'swell', 'seagulls'],
    ['football', 'runner', 'stadium', 'athlete', 'basketball', 'training'],
    ['circuit', 'digital', 'data', 'hologram', 'computer', 'network'],
    ['time lapse', 'day to night', 'hyperlapse', 'fast motion', 'moving clouds'],
    ['coral reef', 'diver', 'fish', 'scuba', 'bubbles', 'under water'],
    ['bride', 'groom', 'wedding ring', 'bouquet', 'ceremony', 'veil'],
    ['planet', 'galaxy', 'earth from orbit', 'nebula', 'astronaut', 'satellite'],
    ['starry sky', 'milky way', 'constellation', 'night sky', 'twinkling', 'starfield'],
  ].map((words) => Object.freeze(words)),
);

if (LABEL_WORDS.length !== LABELS.length) throw new Error('LABEL_WORDS must have one list per label');

/**
 * Words any brief may use whatever its label (some look like label names: `city`, `aerial`, `4K`, as
 * confounders).
 *
 * @example
 * ```ts
 * SHARED_WORDS.includes('slow motion'); // true
 * ```
 */
export const SHARED_WORDS: readonly string[] = Object.freeze([
  'city',
  'slow motion',
  '4K',
  'HD',
  'woman',
  'man',
  'people',
  'aerial',
  'close up',
  'beautiful',
  'view',
  'background',
  'young',
  'summer',
  'sunset',
  'walking',
  'loop',
  'footage',
  'day',
  'night',
  'light',
  'B-Roll',
  'Circa 2017',
  'Hong Kong',
]);

/**
 * Fragments that exercise quoting and Unicode in the `.txt` writer and in readers: apostrophes, both quote
 * kinds, `&`, a backslash, accented and CJK text, an emoji.
 *
 * @example
 * ```ts
 * SPECIAL_FRAGMENTS.includes('北京'); // true
 * ```
 */
export const SPECIAL_FRAGMENTS: readonly string[] = Object.freeze([
  "Children's",
  '"Happy" neon sign',
  'Rock & Roll',
  'café',
  '北京',
  'naïve',
  'Tom\'s "best" day',
  "rock 'n' roll",
  'São Paulo',
  'Zürich',
  'AC\\DC',
  'Happy New Year 🎉',
]);

/**
 * One synthetic brief: `text` (with the original's leading space) and whether it names its label's words.
 *
 * @example
 * ```ts
 * const brief: Brief = { text: ' Sand and waves, slow motion', namesLabel: true };
 * ```
 */
export interface Brief {
  /** The brief as stored, with a leading space like the original's. */
  text: string;
  /** True when it contains one or more of {@link LABEL_WORDS} of its label. */
  namesLabel: boolean;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A brief for a clip of label `labelId`: with probability `textSignal` it names one or two of the label's
 * words, else only shared words; about one in five has a special fragment (quotes, `&`, non-ASCII).
 *
 * @example
 * ```ts
 * makeBrief(createRng(1), 8, 0.6); // { text: ' Waves slow motion sand', namesLabel: true } (for instance)
 * ```
 */
export function makeBrief(rng: Rng, labelId: number, textSignal: number): Brief {
  const namesLabel = rng.next() < textSignal;
  const parts: string[] = [];
  const own = LABEL_WORDS[labelId] ?? [];
  if (namesLabel) {
    const words = rng.shuffle(own);
    parts.push(...words.slice(0, 1 + rng.int(2)));
  }
  const shared = rng.shuffle(SHARED_WORDS);
  parts.push(...shared.slice(0, (namesLabel ? 1 : 2) + rng.int(2)));
  if (rng.next() < 0.2) parts.push(rng.pick(SPECIAL_FRAGMENTS));
  const ordered = rng.shuffle(parts);
  const separator = rng.pick([' ', ', ', ' - ', ' and ']);
  return { text: ` ${capitalize(ordered.join(separator))}`, namesLabel };
}
