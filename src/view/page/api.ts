/**
 * @module view/page/api — the page's calls to its server: the token (from the URL, then kept in memory and
 * sent as a header) and the shapes of the JSON answers.
 */

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? '';
if (token !== '') {
  // The cookie set by this URL covers later requests; the token leaves the address bar.
  history.replaceState(null, '', location.pathname);
}

/**
 * One label of the sidebar.
 *
 * @example
 * ```ts
 * const beach: LabelCount = { label: 'Beach', labelId: 8, chinese: '海滩', count: 100 };
 * ```
 */
export interface LabelCount {
  label: string;
  labelId: number;
  chinese: string;
  count: number;
}

/**
 * The answer of `/api/summary`.
 *
 * @example
 * ```ts
 * const summary = await getJson<Summary>('/api/summary');
 * ```
 */
export interface Summary {
  root: string;
  labels: LabelCount[];
  items: number;
  indexed: number;
  indexing: boolean;
  failure: string | null;
  rootProblems: Array<{ dir: string; code: string; reason: string }>;
  problems: Record<string, number>;
  check: { state: string; problems: number; items: number; error: string | null };
  model: null | {
    source: string;
    runtime: string;
    labels: string[];
    split: { train: number; validation: number; test: number; seed: number };
    inputs: string;
  };
}

/**
 * One tile of the grid.
 *
 * @example
 * ```ts
 * const url = `/thumb/${encodeURIComponent(tile.label)}/${encodeURIComponent(tile.name)}`;
 * ```
 */
export interface Tile {
  n: number;
  label: string;
  labelId: number;
  name: string;
  id: string | null;
  indexed: boolean;
  brief: string;
  durationSec: number | null;
  missing: string[];
  problems: string[];
  prediction: { labelId: number; confidence: number } | null;
}

/**
 * A page of items.
 *
 * @example
 * ```ts
 * const page = await getJson<ItemPage>('/api/items?offset=0&limit=60');
 * ```
 */
export interface ItemPage {
  total: number;
  offset: number;
  limit: number;
  partial: boolean;
  items: Tile[];
}

/**
 * GETs (or POSTs) JSON from the server with the token header; throws with the server's message.
 *
 * @example
 * ```ts
 * const summary = await getJson<Summary>('/api/summary');
 * ```
 */
export async function getJson<T>(url: string, method = 'GET'): Promise<T> {
  const response = await fetch(url, { method, headers: { 'x-reelset-token': token } });
  const body = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok)
    throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : response.statusText);
  return body;
}

/**
 * The URL of an item's route (`/thumb`, `/media`, `/api/item`), label and name encoded.
 *
 * @example
 * ```ts
 * itemUrl('/media', tile, 'mp4'); // '/media/Green%20Screen/12/mp4'
 * ```
 */
export function itemUrl(prefix: string, item: { label: string; name: string }, suffix?: string): string {
  const base = `${prefix}/${encodeURIComponent(item.label)}/${encodeURIComponent(item.name)}`;
  return suffix === undefined ? base : `${base}/${suffix}`;
}
