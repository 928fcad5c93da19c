/**
 * @module labels — the 31 labels of the data set, with the original's ids (Python's sorted order of the
 * English names: digits first, upper case before lower case).
 */
import { ReelsetError } from '../../errors.js';

/**
 * One label: `id` as the original assigned it, the English name (also the folder name on disk), and the
 * Chinese name from the original's `video_type_dict`.
 *
 * @example
 * ```ts
 * const beach: Label = { id: 8, name: 'Beach', chinese: '海滩' };
 * ```
 */
export interface Label {
  readonly id: number;
  readonly name: string;
  readonly chinese: string;
}

const NAMES: ReadonlyArray<readonly [string, string]> = [
  ['360VR', 'VR'],
  ['4k', '4K'],
  ['Abstract', '抽象'],
  ['Aerial', '航拍'],
  ['Alpha Channel', '透明通道'],
  ['Animals', '动物'],
  ['Archival', '档案'],
  ['Backgrounds', '背景'],
  ['Beach', '海滩'],
  ['Business', '商业'],
  ['Celebration', '庆典'],
  ['City', '城市'],
  ['Clouds', '云彩'],
  ['Corporate', '企业'],
  ['Explosion', '爆炸'],
  ['Film', '电影镜头'],
  ['Green Screen', '绿幕'],
  ['Intro', '开场'],
  ['Military', '军事'],
  ['Nature', '自然'],
  ['News', '新闻'],
  ['R3d', 'R3d'],
  ['Romantic', '浪漫'],
  ['Sea', '大海'],
  ['Sport', '运动'],
  ['Technology', '科技'],
  ['Timelapse', '延时'],
  ['Underwater', '水下摄影'],
  ['Wedding', '婚礼'],
  ['space', '太空'],
  ['stars', '星空'],
];

/**
 * The 31 labels in id order (`LABELS[i].id === i`).
 *
 * @example
 * ```ts
 * import { LABELS } from 'reelset';
 * console.log(LABELS.length, LABELS[8]); // 31 { id: 8, name: 'Beach', chinese: '海滩' }
 * ```
 */
export const LABELS: readonly Label[] = Object.freeze(
  NAMES.map(([name, chinese], id) => Object.freeze({ id, name, chinese })),
);

const BY_NAME = new Map(LABELS.map((label) => [label.name, label]));

/**
 * Edit distance of two short strings: insertions, deletions, substitutions and transpositions of two
 * neighbours (`Sae` -> `Sea` is one edit), each costing 1 (the optimal string alignment distance).
 */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    const up = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The label a mistyped name most likely meant: the one equal to it ignoring case (`beach` -> `Beach`,
 * `STARS` -> `stars`), else the closest by edit distance (ignoring case) when it is close enough (at most
 * 1 edit for names of up to 4 characters, 2 up to 8, 3 beyond), else undefined. Ties go to the lower id.
 *
 * @example
 * ```ts
 * closestLabel('beach'); // 'Beach'
 * closestLabel('Green screen'); // 'Green Screen'
 * closestLabel('Beech'); // 'Beach'
 * closestLabel('Cats'); // undefined
 * ```
 */
export function closestLabel(name: string): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  const lower = name.toLowerCase();
  const sameCase = LABELS.find((label) => label.name.toLowerCase() === lower);
  if (sameCase) return sameCase.name;
  const limit = lower.length <= 4 ? 1 : lower.length <= 8 ? 2 : 3;
  let best: Label | undefined;
  let bestDistance = limit + 1;
  for (const label of LABELS) {
    const distance = editDistance(lower, label.name.toLowerCase());
    if (distance < bestDistance) {
      best = label;
      bestDistance = distance;
    }
  }
  return best?.name;
}

/**
 * The error of an unknown label name: `Unknown label "beach" (did you mean "Beach"?)`, with the closest
 * label ({@link closestLabel}) when there is one. The one message of an unknown label name everywhere.
 *
 * @example
 * ```ts
 * throw unknownLabelError('beach'); // ReelsetError REELSET_E_UNKNOWN_LABEL
 * ```
 */
export function unknownLabelError(name: unknown): ReelsetError {
  return new ReelsetError('REELSET_E_UNKNOWN_LABEL', `Unknown label ${unknownLabelText(name)}`);
}

/**
 * The name of an unknown label as messages show it, with a suggestion when one is close:
 * `"beach" (did you mean "Beach"?)`.
 *
 * @example
 * ```ts
 * `the folder ${unknownLabelText('beach')} is not one of the 31 labels`;
 * ```
 */
export function unknownLabelText(name: unknown): string {
  const shown = typeof name === 'string' ? JSON.stringify(name) : String(name);
  const suggestion = typeof name === 'string' ? closestLabel(name) : undefined;
  return suggestion === undefined ? shown : `${shown} (did you mean ${JSON.stringify(suggestion)}?)`;
}

/**
 * The id of a label given its English name (exact, case-sensitive: `4k`, `space` and `stars` are lower case).
 *
 * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` for a name that is not one of the 31 (the message suggests
 *   the closest label, e.g. `Unknown label "beach" (did you mean "Beach"?)`).
 * @example
 * ```ts
 * labelId('Beach'); // 8
 * ```
 */
export function labelId(name: string): number {
  const label = BY_NAME.get(name);
  if (!label) throw unknownLabelError(name);
  return label.id;
}

/**
 * The English name of a label given its id (0-30).
 *
 * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` for an id outside 0-30 or not an integer.
 * @example
 * ```ts
 * labelName(8); // 'Beach'
 * ```
 */
export function labelName(id: number): string {
  const label = Number.isInteger(id) ? LABELS[id] : undefined;
  if (!label) throw new ReelsetError('REELSET_E_UNKNOWN_LABEL', `Unknown label id ${String(id)}`);
  return label.name;
}

/**
 * True when `name` is one of the 31 English label names.
 *
 * @example
 * ```ts
 * isLabel('Beach'); // true
 * isLabel('beach'); // false
 * ```
 */
export function isLabel(name: string): boolean {
  return BY_NAME.has(name);
}
