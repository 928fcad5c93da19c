/**
 * @module view/page/dom — a tiny element builder for the page (no framework): text is always set as text,
 * never as HTML, so no data from the root can inject markup.
 */

/**
 * Children an element accepts: nodes, strings (as text), or nothing.
 *
 * @example
 * ```ts
 * const kids: Child[] = ['id ', h('b', {}, '12'), null];
 * ```
 */
export type Child = Node | string | number | null | undefined | false;

/**
 * Makes an element with attributes (`on*` functions become listeners) and children.
 *
 * @example
 * ```ts
 * document.body.append(h('button', { class: 'close', onclick: () => close() }, 'Close'));
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value as EventListener);
    } else if (name === 'dataset' && typeof value === 'object') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * Appends children (strings as text nodes).
 *
 * @example
 * ```ts
 * append(list, ['a', h('b', {}, 'c')]);
 * ```
 */
export function append(el: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * Makes an SVG element with attributes and children.
 *
 * @example
 * ```ts
 * const bar = svg('rect', { x: 0, y: 0, width: 10, height: 20 });
 * ```
 */
export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  append(el, children);
  return el;
}

/**
 * The element with this id, typed (the page's skeleton is static: a missing one is a bug).
 *
 * @example
 * ```ts
 * const grid = byId<HTMLDivElement>('grid');
 * ```
 */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`no #${id} in the page`);
  return el as T;
}

/**
 * Bytes in words (KiB, MiB, GiB).
 *
 * @example
 * ```ts
 * formatBytes(1536); // '1.5 KiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Replaces an element's children (nothing for null, undefined or false; strings as text).
 *
 * @example
 * ```ts
 * replace(view, h('h3', {}, 'Stats'), maybeChart);
 * ```
 */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}
