/**
 * @module view/page/app — the page of `reelset view`: the label sidebar, the paged grid of covers (the server
 * pages; the page holds one page of items), search and filters, stats, the model's confusion matrix, and
 * keyboard navigation.
 */
import { getJson, type ItemPage, itemUrl, type Summary, type Tile } from './api.js';
import { confusionChart, hBars, vBars } from './charts.js';
import { byId, formatBytes, h, replace } from './dom.js';
import { openItem } from './item-panel.js';

const PAGE_SIZE = 60;

interface State {
  label: number | undefined;
  q: string;
  page: number;
  selected: number;
  items: Tile[];
  total: number;
  cell: { truth: number; pred: number; split: string } | undefined;
  open: boolean;
}

const state: State = {
  label: undefined,
  q: '',
  page: 0,
  selected: 0,
  items: [],
  total: 0,
  cell: undefined,
  open: false,
};
let summary: Summary;
let loadSeq = 0;

function query(): URLSearchParams {
  const q = new URLSearchParams({ offset: String(state.page * PAGE_SIZE), limit: String(PAGE_SIZE) });
  if (state.label !== undefined) q.set('label', String(state.label));
  if (state.q) q.set('q', state.q);
  const set = (name: string, id: string): void => {
    const value = byId<HTMLInputElement | HTMLSelectElement>(id).value;
    if (value !== '') q.set(name, value);
  };
  set('minDur', 'min-dur');
  set('maxDur', 'max-dur');
  set('missing', 'missing');
  set('problem', 'problem');
  if (summary.model !== null) {
    set('split', 'split');
    if (byId<HTMLInputElement>('misclassified').checked) q.set('misclassified', '1');
    if (byId<HTMLInputElement>('least-confident').checked) q.set('sort', 'least-confident');
    if (state.cell !== undefined) {
      q.set('split', state.cell.split);
      q.set('truth', String(state.cell.truth));
      q.set('pred', String(state.cell.pred));
    }
  }
  return q;
}

function tile(item: Tile, k: number): HTMLElement {
  const thumb = h('div', { class: 'thumb' });
  if (item.missing.includes('jpeg') || (!item.indexed && false)) {
    thumb.append('no cover');
    thumb.dataset.loaded = 'missing';
  } else {
    const img = h('img', {
      class: 'cover',
      loading: 'lazy',
      decoding: 'async',
      alt: item.id ?? item.name,
      src: itemUrl('/thumb', item),
    });
    img.addEventListener('load', () => {
      thumb.dataset.loaded = '1';
    });
    img.addEventListener('error', () => {
      thumb.dataset.loaded = 'error';
      img.replaceWith(h('span', { class: 'problem' }, 'cover unreadable'));
    });
    thumb.append(img);
  }
  const names = summary.model?.labels ?? [];
  const badges = [
    ...item.missing.map((m) => h('span', { class: 'badge bad' }, `no ${m}`)),
    ...item.problems
      .filter((p) => p !== 'REELSET_E_MISSING_MEDIA')
      .map((p) => h('span', { class: 'badge bad', title: p }, p.replace('REELSET_E_', '').toLowerCase())),
    item.prediction === null
      ? null
      : h(
          'span',
          { class: `badge ${item.prediction.labelId === item.labelId ? 'ok' : 'bad'}`, title: 'predicted' },
          `→ ${names[item.prediction.labelId] ?? item.prediction.labelId} ${(item.prediction.confidence * 100).toFixed(0)}%`,
        ),
  ];
  return h(
    'div',
    {
      class: `tile${k === state.selected ? ' selected' : ''}`,
      dataset: { n: String(item.n), k: String(k) },
      onclick: () => {
        select(k);
        void openSelected();
      },
    },
    thumb,
    h(
      'div',
      { class: 'meta' },
      h(
        'div',
        {},
        h('strong', {}, item.id ?? item.name),
        ' ',
        h('span', { class: 'muted' }, item.label),
        item.durationSec === null ? '' : h('span', { class: 'muted' }, ` · ${item.durationSec} s`),
      ),
      h('div', { class: 'brief' }, item.brief),
      h('div', {}, ...badges),
    ),
  );
}

async function loadPage(): Promise<void> {
  const seq = ++loadSeq;
  const answer = await getJson<ItemPage>(`/api/items?${query()}`);
  if (seq !== loadSeq) return;
  state.items = answer.items;
  state.total = answer.total;
  if (state.selected >= state.items.length) state.selected = Math.max(0, state.items.length - 1);
  const grid = byId<HTMLDivElement>('grid');
  grid.replaceChildren(...answer.items.map(tile));
  if (answer.items.length === 0)
    grid.append(
      h('p', { class: 'muted' }, answer.partial ? 'no match yet (still indexing)' : 'no item matches'),
    );
  const pages = Math.max(1, Math.ceil(answer.total / PAGE_SIZE));
  byId('page-info').textContent = `page ${state.page + 1} of ${pages}`;
  byId('count').textContent =
    `${answer.total.toLocaleString('en-US')} items${answer.partial ? ' so far' : ''}`;
  byId<HTMLButtonElement>('prev-page').disabled = state.page === 0;
  byId<HTMLButtonElement>('next-page').disabled = state.page + 1 >= pages;
  grid.dataset.page = String(state.page);
  grid.dataset.ready = String(seq);
  document.body.dataset.gridReady = '1';
  if (answer.partial) setTimeout(() => seq === loadSeq && void refreshIfPartial(), 1500);
}

async function refreshIfPartial(): Promise<void> {
  await refreshSummary();
  await loadPage();
}

function resetAndLoad(): void {
  state.page = 0;
  state.selected = 0;
  void loadPage();
}

function select(k: number): void {
  const tiles = byId('grid').querySelectorAll<HTMLElement>('.tile');
  tiles[state.selected]?.classList.remove('selected');
  state.selected = k;
  const el = tiles[k];
  el?.classList.add('selected');
  el?.scrollIntoView({ block: 'nearest' });
}

async function openSelected(): Promise<void> {
  const item = state.items[state.selected];
  if (item === undefined) return;
  state.open = true;
  await openItem(item, summary, closeItem);
}

function closeItem(): void {
  state.open = false;
  const panel = byId('item-view');
  panel.hidden = true;
  panel.replaceChildren();
  delete panel.dataset.ready;
}

/** Moves the selection by `delta` items, across pages. */
async function move(delta: number): Promise<void> {
  let k = state.selected + delta;
  if (k < 0 && state.page > 0) {
    state.page--;
    await loadPage();
    k = state.items.length + k;
  } else if (k >= state.items.length && (state.page + 1) * PAGE_SIZE < state.total) {
    k -= state.items.length;
    state.page++;
    await loadPage();
  }
  k = Math.max(0, Math.min(state.items.length - 1, k));
  select(k);
  if (state.open) await openSelected();
}

function columns(): number {
  const tiles = byId('grid').querySelectorAll<HTMLElement>('.tile');
  const first = tiles[0]?.offsetTop;
  let n = 0;
  for (const t of tiles) {
    if (t.offsetTop !== first) break;
    n++;
  }
  return Math.max(1, n);
}

function onKey(event: KeyboardEvent): void {
  const target = event.target as HTMLElement;
  const typing = target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA';
  if (event.key === 'Escape') {
    if (state.open) closeItem();
    else if (typing) target.blur();
    return;
  }
  if (typing) return;
  if (event.key === '/') {
    event.preventDefault();
    byId('search').focus();
    return;
  }
  const next = event.key === 'ArrowRight' || event.key === 'j';
  const prev = event.key === 'ArrowLeft' || event.key === 'k';
  if (next || prev) {
    event.preventDefault();
    void move(next ? 1 : -1);
  } else if (!state.open && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
    event.preventDefault();
    void move((event.key === 'ArrowDown' ? 1 : -1) * columns());
  } else if (event.key === 'Enter' && !state.open) {
    event.preventDefault();
    void openSelected();
  }
}

function renderLabels(): void {
  const list = byId('labels');
  const total = summary.labels.reduce((sum, l) => sum + l.count, 0);
  const entry = (name: string, count: number, id: number | undefined, title?: string): HTMLElement =>
    h(
      'li',
      {
        class: state.label === id ? 'active' : '',
        title,
        dataset: { label: id === undefined ? 'all' : String(id) },
        onclick: () => {
          state.label = id;
          state.cell = undefined;
          renderLabels();
          resetAndLoad();
        },
      },
      h('span', {}, name),
      h('span', { class: 'count' }, count.toLocaleString('en-US')),
    );
  list.replaceChildren(
    entry('All labels', total, undefined),
    ...summary.labels.filter((l) => l.count > 0).map((l) => entry(l.label, l.count, l.labelId, l.chinese)),
  );
  const problems = byId('root-problems');
  problems.replaceChildren(
    ...summary.rootProblems.map((p) =>
      h('p', { class: 'problem', title: p.reason }, `${p.dir.split('/').pop()}: ${p.reason}`),
    ),
  );
}

function renderStatus(): void {
  const parts: string[] = [];
  if (summary.indexing)
    parts.push(
      `indexing ${summary.indexed.toLocaleString('en-US')} / ${summary.items.toLocaleString('en-US')}`,
    );
  else parts.push(`${summary.items.toLocaleString('en-US')} items`);
  if (summary.check.state === 'running')
    parts.push(`check running (${summary.check.problems} problems so far)`);
  if (summary.check.state === 'done') parts.push(`checked: ${summary.check.problems} problems`);
  if (summary.model !== null) parts.push(`model: ${summary.model.runtime}`);
  byId('status').textContent = parts.join(' · ');
  const select = byId<HTMLSelectElement>('problem');
  const chosen = select.value;
  select.replaceChildren(
    h('option', { value: '' }, '—'),
    h('option', { value: 'any' }, 'any'),
    h('option', { value: 'none' }, 'none'),
    ...Object.entries(summary.problems).map(([code, n]) =>
      h('option', { value: code }, `${code.replace('REELSET_E_', '').toLowerCase()} (${n})`),
    ),
  );
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
}

async function refreshSummary(): Promise<void> {
  summary = await getJson<Summary>('/api/summary');
  renderLabels();
  renderStatus();
  if (summary.indexing || summary.check.state === 'running') {
    setTimeout(() => void refreshSummary(), 2000);
  }
}

async function showStats(): Promise<void> {
  const view = byId('stats-view');
  view.replaceChildren(h('p', { class: 'muted' }, 'computing stats (one pass over the root)…'));
  interface Stats {
    labels: Array<{ label: string; count: number; bytes?: number }>;
    items: number;
    distinctIds: number;
    durations: {
      bins: Array<{ label: string; count: number }>;
      known: number;
      unknown: number;
      medianSec: number | null;
    };
    disk: { missing: Record<string, number>; bytes: Record<string, number>; totalBytes: number } | null;
    skips: Record<string, number>;
  }
  const s = await getJson<Stats>('/api/stats');
  const labels = s.labels.filter((l) => l.count > 0);
  replace(
    view,
    h(
      'h3',
      {},
      `Items per label (${s.items.toLocaleString('en-US')} items, ${s.distinctIds.toLocaleString('en-US')} distinct ids)`,
    ),
    hBars(labels.map((l) => ({ name: l.label, value: l.count }))),
    h('h3', {}, `Durations (median ${s.durations.medianSec ?? '?'} s; ${s.durations.unknown} unknown)`),
    vBars(s.durations.bins.map((b) => ({ name: b.label, value: b.count }))),
    s.disk === null ? null : h('h3', {}, 'Missing media'),
    s.disk === null
      ? null
      : hBars(Object.entries(s.disk.missing).map(([kind, n]) => ({ name: kind, value: n }))),
    s.disk === null ? null : h('h3', {}, `Bytes on disk (${formatBytes(s.disk.totalBytes)})`),
    s.disk === null
      ? null
      : hBars(
          Object.entries(s.disk.bytes).map(([kind, n]) => ({ name: kind, value: n, text: formatBytes(n) })),
        ),
    h('h3', {}, 'Bytes per label'),
    hBars(labels.map((l) => ({ name: l.label, value: l.bytes ?? 0, text: formatBytes(l.bytes ?? 0) }))),
    h('h3', {}, 'Skipped by the loader'),
    hBars(
      Object.entries(s.skips).map(([code, n]) => ({
        name: code.replace('REELSET_E_', '').toLowerCase(),
        value: n,
      })),
    ),
  );
  view.dataset.ready = '1';
}

async function showModel(): Promise<void> {
  const view = byId('model-view');
  const model = summary.model;
  if (model === null) return;
  const part = byId<HTMLSelectElement>('split').value || 'test';
  interface Confusion {
    split: string;
    state: string;
    error: string | null;
    failed: number;
    samples: number;
    accuracy: number | null;
    labels: string[];
    matrix: number[][];
  }
  const c = await getJson<Confusion>(`/api/confusion?split=${part}`);
  const s = model.split;
  view.replaceChildren(
    h('p', {}, `Model ${model.source}: ${model.runtime}; inputs ${model.inputs}`),
    h(
      'p',
      {},
      `Confusion matrix of the ${c.split} split (${s.train}/${s.validation}/${s.test} by id, seed ${s.seed}): ${c.samples} samples`,
      c.accuracy === null ? '' : `, accuracy ${(c.accuracy * 100).toFixed(1)}%`,
      c.failed > 0 ? `, ${c.failed} not decodable` : '',
      c.state === 'running' ? ' (predicting…)' : '',
      c.error ? ` — failed: ${c.error}` : '',
    ),
    confusionChart(c.matrix, c.labels, (truth, pred) => {
      state.cell = { truth, pred, split: c.split };
      const cell = byId('cell-filter');
      cell.hidden = false;
      cell.replaceChildren(
        `true ${c.labels[truth]} → predicted ${c.labels[pred]} `,
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              state.cell = undefined;
              cell.hidden = true;
              resetAndLoad();
            },
          },
          'clear',
        ),
      );
      showTab('items');
      resetAndLoad();
    }),
  );
  view.dataset.state = c.state;
  if (c.state === 'running' && !byId('model-view').hidden) setTimeout(() => void showModel(), 1000);
}

function showTab(tab: string): void {
  for (const button of byId('tabs').querySelectorAll<HTMLButtonElement>('button')) {
    button.classList.toggle('active', button.dataset.tab === tab);
  }
  byId('items-view').hidden = tab !== 'items';
  byId('stats-view').hidden = tab !== 'stats';
  byId('model-view').hidden = tab !== 'model';
  if (tab === 'stats') void showStats();
  if (tab === 'model') void showModel();
}

async function main(): Promise<void> {
  await refreshSummary();
  byId('root-name').textContent = summary.root;
  if (summary.model !== null) {
    byId('model-filters').hidden = false;
    const tab = byId<HTMLButtonElement>('tabs').querySelector<HTMLButtonElement>('[data-tab=model]');
    if (tab) tab.hidden = false;
  }
  await loadPage();
  let timer: ReturnType<typeof setTimeout> | undefined;
  byId<HTMLInputElement>('search').addEventListener('input', (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.q = (event.target as HTMLInputElement).value;
      resetAndLoad();
    }, 200);
  });
  byId('filters').addEventListener('submit', (event) => event.preventDefault());
  byId('filters').addEventListener('change', () => resetAndLoad());
  byId('prev-page').addEventListener('click', () => {
    state.page = Math.max(0, state.page - 1);
    state.selected = 0;
    void loadPage();
  });
  byId('next-page').addEventListener('click', () => {
    state.page++;
    state.selected = 0;
    void loadPage();
  });
  byId('run-check').addEventListener('click', async () => {
    await getJson('/api/check', 'POST');
    await refreshSummary();
  });
  for (const button of byId('tabs').querySelectorAll<HTMLButtonElement>('button')) {
    button.addEventListener('click', () => showTab(button.dataset.tab ?? 'items'));
  }
  document.addEventListener('keydown', onKey);
}

void main().catch((err: unknown) => {
  document.body.prepend(h('p', { class: 'problem' }, `reelset view: ${(err as Error).message}`));
});
