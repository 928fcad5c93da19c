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
 * The id of a label given its English name (exact, case-sensitive: `4k`, `space` and `stars` are lower case).
 *
 * @throws ReelsetError `REELSET_E_UNKNOWN_LABEL` for a name that is not one of the 31.
 * @example
 * ```ts
 * labelId('Beach'); // 8
 * ```
 */
export function labelId(name: string): number {
  const label = BY_NAME.get(name);
  if (!label) throw new ReelsetError('REELSET_E_UNKNOWN_LABEL', `Unknown label ${JSON.stringify(name)}`);
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
