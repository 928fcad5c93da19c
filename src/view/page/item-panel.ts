/**
 * @module view/page/item-panel — the item view: cover, clip (seekable: the server answers Range requests),
 * brief and tokens, `.txt` fields, files, problems, the model's top 5, and the frames as the loader samples
 * them with the options chosen here.
 */
import { getJson, itemUrl, type Summary, type Tile } from './api.js';
import { byId, formatBytes, h, replace } from './dom.js';

interface Detail {
  n: number;
  label: string;
  labelId: number;
  name: string;
  id: string | null;
  brief: string;
  durationSec: number | null;
  files: Record<string, { name: string; size: number | null; urlNamed: boolean } | undefined>;
  fields: Record<string, string> | null;
  txtProblem: string | null;
  tokens: string[];
  cover: { ok: true; format: string } | { ok: false; reason: string } | null;
  video:
    | {
        ok: true;
        durationSec: number;
        frameRate: number;
        frameCount: number | null;
        width: number;
        height: number;
        codec: string;
      }
    | { ok: false; reason: string }
    | null;
  problems: Array<{ kind: string; code: string; reason: string; from: string }>;
  split: string | null;
  prediction:
    | { labelId: number; confidence: number; top: Array<[number, number]> }
    | { error: string }
    | null;
  encoding: { ids: number[]; tokens: string[]; oovId: number } | null;
}

interface FramesAnswer {
  frames: string[];
  timesSec: number[];
  padded: number;
  shape: number[];
}

function table(rows: Array<[string, string | Node]>): HTMLTableElement {
  return h('table', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
}

function framesForm(item: Tile, out: HTMLElement): HTMLElement {
  const frames = h('input', { type: 'number', min: 1, max: 32, value: 8, id: 'f-frames' });
  const sampling = h(
    'select',
    { id: 'f-sampling' },
    ...['uniform', 'first', 'random', 'keyframes', 'fps'].map((s) => h('option', { value: s }, s)),
  );
  const height = h('input', { type: 'number', min: 8, max: 640, value: 112, id: 'f-height' });
  const width = h('input', { type: 'number', min: 8, max: 640, value: 112, id: 'f-width' });
  const seed = h('input', { type: 'number', value: 0, id: 'f-seed' });
  const run = async (): Promise<void> => {
    out.replaceChildren(h('span', { class: 'muted' }, 'sampling…'));
    const q = new URLSearchParams({
      frames: frames.value,
      sampling: sampling.value,
      height: height.value,
      width: width.value,
      seed: seed.value,
    });
    try {
      const answer = await getJson<FramesAnswer>(`${itemUrl('/api/frames', item)}?${q}`);
      replace(
        out,
        ...answer.frames.map((src, k) =>
          h(
            'figure',
            {},
            h('img', { src, alt: `frame ${k}`, width: answer.shape[2], height: answer.shape[1] }),
            h(
              'figcaption',
              {},
              `${Number.isFinite(answer.timesSec[k]) ? (answer.timesSec[k] as number).toFixed(3) : '?'} s`,
            ),
          ),
        ),
        answer.padded > 0 ? h('span', { class: 'muted' }, `${answer.padded} padded`) : null,
      );
      out.dataset.ready = '1';
    } catch (err) {
      out.replaceChildren(h('span', { class: 'problem' }, `frames: ${(err as Error).message}`));
      out.dataset.ready = 'error';
    }
  };
  const button = h('button', { type: 'button', id: 'f-run', onclick: () => void run() }, 'Sample frames');
  void run();
  return h(
    'div',
    {},
    h('label', {}, 'frames ', frames),
    ' ',
    h('label', {}, 'sampling ', sampling),
    ' ',
    h('label', {}, 'size ', height, '×', width),
    ' ',
    h('label', {}, 'seed ', seed),
    ' ',
    button,
  );
}

/**
 * Opens the item view of `item` (closing the one open), loading its details.
 *
 * @example
 * ```ts
 * await openItem(tile, summary, () => closeItem());
 * ```
 */
export async function openItem(item: Tile, summary: Summary, onClose: () => void): Promise<void> {
  const panel = byId<HTMLDivElement>('item-view');
  panel.hidden = false;
  panel.dataset.n = String(item.n);
  panel.replaceChildren(
    h('button', { class: 'close', type: 'button', onclick: onClose, title: 'Close (Esc)' }, '✕'),
    h('h2', {}, `${item.label} / ${item.name}`),
    h('p', { class: 'muted' }, 'loading…'),
  );
  let d: Detail;
  try {
    d = await getJson<Detail>(itemUrl('/api/item', item));
  } catch (err) {
    panel.append(h('p', { class: 'problem' }, (err as Error).message));
    return;
  }
  if (panel.dataset.n !== String(item.n)) return;
  const labels = summary.model?.labels ?? summary.labels.map((l) => l.label);
  const cover = d.files.jpeg
    ? h('img', { src: itemUrl('/media', item, 'jpeg'), alt: 'cover', id: 'item-cover' })
    : h('div', { class: 'problem' }, 'no cover');
  if (cover instanceof HTMLImageElement) {
    cover.addEventListener('error', () =>
      cover.replaceWith(h('div', { class: 'problem' }, 'the cover cannot be shown')),
    );
  }
  const video = d.files.mp4
    ? h('video', {
        src: itemUrl('/media', item, 'mp4'),
        controls: true,
        preload: 'auto',
        id: 'item-video',
        muted: true,
      })
    : h('div', { class: 'problem' }, 'no clip');
  if (video instanceof HTMLVideoElement) {
    video.addEventListener('error', () =>
      video.after(h('div', { class: 'problem' }, 'the browser cannot play this clip')),
    );
  }
  const tokens = h('div', { class: 'tokens', id: 'item-tokens' });
  if (d.encoding !== null) {
    d.encoding.ids.forEach((id, k) => {
      if (id === 0) return;
      tokens.append(
        h(
          'span',
          { class: id === d.encoding?.oovId ? 'oov' : '' },
          d.encoding?.tokens[k] ?? '?',
          h('sub', {}, ` ${id}`),
        ),
      );
    });
  } else {
    for (const t of d.tokens) tokens.append(h('span', {}, t));
  }
  const filesRows: Array<[string, string]> = ['txt', 'jpeg', 'mp4'].map((kind) => {
    const f = d.files[kind];
    return [
      kind,
      f
        ? `${f.name}  ${f.size === null ? '' : formatBytes(f.size)}${f.urlNamed ? '  (URL-named)' : ''}`
        : 'missing',
    ];
  });
  const v = d.video;
  const videoRows: Array<[string, string]> =
    v === null
      ? []
      : v.ok
        ? [
            [
              'clip',
              `${v.codec} ${v.width}×${v.height}, ${v.frameRate.toFixed(3)} fps, ${v.durationSec.toFixed(2)} s, ${v.frameCount ?? '?'} frames`,
            ],
          ]
        : [['clip', `unreadable: ${v.reason}`]];
  const problems = h(
    'ul',
    { id: 'item-problems' },
    ...d.problems.map((p) => h('li', { class: 'problem' }, `${p.kind}: ${p.code} — ${p.reason} (${p.from})`)),
  );
  if (d.cover !== null && !d.cover.ok)
    problems.append(h('li', { class: 'problem' }, `cover: ${d.cover.reason}`));
  if (d.txtProblem !== null) problems.append(h('li', { class: 'problem' }, `txt: ${d.txtProblem}`));
  const modelBox = h('div', { id: 'item-prediction' });
  if (summary.model !== null) {
    const p = d.prediction;
    modelBox.append(h('h3', {}, `Model (${summary.model.runtime})`));
    if (p === null)
      modelBox.append(h('p', { class: 'problem' }, 'no prediction: the item cannot be decoded'));
    else if ('error' in p) modelBox.append(h('p', { class: 'problem' }, p.error));
    else {
      const right = p.labelId === d.labelId;
      modelBox.append(
        h(
          'p',
          {},
          'predicted ',
          h('strong', { class: right ? '' : 'problem' }, labels[p.labelId] ?? String(p.labelId)),
          ` (${(p.confidence * 100).toFixed(1)}%)`,
          d.split ? `, ${d.split} split` : '',
        ),
        h(
          'table',
          { class: 'top5' },
          ...p.top.map(([id, prob]) =>
            h(
              'tr',
              {},
              h('td', {}, labels[id] ?? String(id)),
              h('td', {}, h('div', { class: 'bar', style: `width:${Math.max(1, prob * 200)}px` })),
              h('td', {}, `${(prob * 100).toFixed(1)}%`),
            ),
          ),
        ),
      );
    }
  }
  const framesOut = h('div', { class: 'frames', id: 'item-frames' });
  panel.replaceChildren(
    h('button', { class: 'close', type: 'button', onclick: onClose, title: 'Close (Esc)' }, '✕'),
    h(
      'h2',
      {},
      `${d.label} / ${d.name}`,
      d.durationSec === null ? '' : h('span', { class: 'muted' }, `  ${d.durationSec} s`),
    ),
    h('div', { class: 'media' }, cover, video),
    h('p', { id: 'item-brief' }, d.brief || h('span', { class: 'muted' }, '(no brief)')),
    tokens,
    h('h3', {}, 'Frames as the loader samples them'),
    d.files.mp4 ? framesForm(item, framesOut) : h('p', { class: 'muted' }, 'no clip'),
    framesOut,
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        {},
        modelBox,
        h('h3', {}, 'Problems'),
        d.problems.length === 0 && problems.childElementCount === 0
          ? h('p', { class: 'muted' }, 'none found')
          : problems,
        h('h3', {}, 'Files'),
        table([...filesRows, ...videoRows]),
      ),
      h(
        'div',
        {},
        h('h3', {}, 'Catalog fields (.txt)'),
        d.fields === null ? h('p', { class: 'muted' }, 'none') : table(Object.entries(d.fields)),
      ),
    ),
  );
  panel.dataset.ready = '1';
}
