/**
 * @module view-browser.test — `reelset view` in a real browser (Debian's chromium driven by playwright-core):
 * the page on a small synthesized set with a trained lite model (grid, filters, search, an item with its clip
 * playing and seeking, the frames strip, the model views, keyboard navigation), then the 31 x 100 set: time
 * to the first grid after the URL is printed, and the server's memory over every page. Screenshots and the
 * figures (`measurements.json`) go to a temporary folder, or to docs/viewer/ with
 * `REELSET_UPDATE_DOCS=1` (so a test run leaves the repository as it was). Needs `npm run build`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';
import { tempDir } from './helpers.js';

/** The page's globals, as used inside `page.evaluate` (this file compiles without the DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  readyState: number;
  currentTime: number;
  getBoundingClientRect(): { top: number };
  getAttribute(name: string): string | null;
  addEventListener(type: string, listener: () => void, options?: { once: boolean }): void;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare const window: { innerHeight: number };

const REPO = join(import.meta.dirname, '..');
const MAIN = join(REPO, 'dist', 'cli', 'main.js');
const SHOTS =
  process.env.REELSET_UPDATE_DOCS === '1'
    ? join(REPO, 'docs', 'viewer')
    : join(tmpdir(), `reelset-view-shots-${process.pid}`);
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p !== undefined && existsSync(p),
);
if (CHROMIUM === undefined)
  console.warn('view-browser.test: chromium is missing (apt-get install chromium): skipped');

interface Server {
  child: ChildProcess;
  url: string;
  printedAt: number;
  stderr: () => string;
}

/** Starts `reelset view` (the built command) and resolves when it prints its URL. */
function startServer(args: string[]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'view', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^(http:\/\/\S+\?token=[0-9a-f]+)$/m.exec(out);
      if (match) resolve({ child, url: match[1] as string, printedAt: performance.now(), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`reelset view exited ${code}: ${err}`)));
  });
}

function stop(server: Server | undefined): void {
  server?.child.kill('SIGTERM');
}

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  // Small PNGs for the docs: 800 pixels wide, a palette of colours.
  const png = await sharp(await page.screenshot({ type: 'png' }))
    .resize({ width: 800 })
    .png({ palette: true, quality: 70, effort: 7 })
    .toBuffer();
  await writeFile(join(SHOTS, name), png);
}

/** Resolves when every cover tile of the grid on screen has loaded (or failed to). */
async function gridLoaded(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const tiles = [...document.querySelectorAll('#grid .tile .thumb')];
    const visible = tiles.filter((t) => t.getBoundingClientRect().top < window.innerHeight);
    return visible.length > 0 && visible.every((t) => t.dataset.loaded !== undefined);
  });
}

/** Runs `action` and resolves when the grid has loaded a new page of items. */
async function reloaded(page: Page, action: () => Promise<void>): Promise<void> {
  const before = await page.getAttribute('#grid', 'data-ready');
  await action();
  await page.waitForFunction(
    (b) => document.querySelector('#grid')?.getAttribute('data-ready') !== b,
    before,
  );
}

let browser: Browser | undefined;
let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('view-browser');
  if (CHROMIUM === undefined) return;
  if (!existsSync(join(REPO, 'dist', 'view', 'page', 'app.js'))) throw new Error('run npm run build first');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
});
afterAll(async () => {
  await browser?.close();
  await tmp.remove();
});

describe.skipIf(CHROMIUM === undefined)('reelset view in chromium: a small set and a lite model', () => {
  let server: Server | undefined;
  let page: Page;

  beforeAll(async () => {
    const root = join(tmp.path, 'data');
    await synthesize(root, {
      labels: ['Beach', 'City', 'Sea', 'Green Screen'],
      perLabel: 6,
      seconds: 1,
      seed: 2,
      bad: true,
      concurrency: 2,
    });
    const model = join(tmp.path, 'model');
    const train = spawnSync(
      process.execPath,
      [MAIN, 'train', root, '--epochs', '3', '--out', model, '--no-progress'],
      {
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    if (train.status !== 0) throw new Error(`train failed: ${train.stderr}`);
    server = await startServer([root, '--model', model, '--cache-dir', join(tmp.path, 'thumbs')]);
    page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await gridLoaded(page);
  }, 360_000);
  afterAll(() => stop(server));

  it('shows the labels with counts and a grid of covers; the token leaves the address bar', async () => {
    await expect.poll(() => page.locator('#labels li').count()).toBe(5);
    await expect.poll(() => page.locator('#labels li[data-label=all] .count').textContent()).toMatch(/^\d+$/);
    expect(await page.locator('#grid .tile').count()).toBeGreaterThan(20);
    expect(page.url()).not.toContain('token=');
    expect(await page.locator('#status').textContent()).toContain('TensorFlow.js');
    await shot(page, 'grid.png');
  });

  it('filters by label, missing media and duration, and searches by id and brief', async () => {
    await page.click('#labels li:has-text("City")');
    await expect.poll(() => page.locator('#grid .tile').count()).toBeLessThan(10);
    const labels = await page.locator('#grid .tile .meta .muted').allTextContents();
    expect(labels.filter((t) => t.trim() && !t.includes(' s')).every((t) => t.includes('City'))).toBe(true);
    await page.click('#labels li[data-label=all]');
    await page.selectOption('#missing', 'any');
    await expect.poll(() => page.locator('#grid .tile').count()).toBeGreaterThan(0);
    expect(await page.locator('#grid .badge.bad').count()).toBeGreaterThan(0);
    await page.selectOption('#missing', '');
    const firstId = (await page.locator('#grid .tile strong').first().textContent()) ?? '';
    await page.fill('#search', firstId);
    await expect.poll(() => page.locator('#grid .tile').count()).toBe(1);
    await page.fill('#search', 'zzzz-no-such-word');
    await expect.poll(() => page.locator('#grid .tile').count()).toBe(0);
    await page.fill('#search', '');
    await expect.poll(() => page.locator('#grid .tile').count()).toBeGreaterThan(20);
  });

  it('opens an item: the clip plays and seeks (Range), the frames strip shows the sampled frames', async () => {
    await page.locator('#grid .tile').first().click();
    await page.waitForSelector('#item-view[data-ready="1"]');
    await page.waitForFunction(() => (document.querySelector('#item-video')?.readyState ?? 0) >= 2);
    const seeked = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const v = document.querySelector('#item-video') as PageElement;
          v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
          v.currentTime = 0.6;
        }),
    );
    expect(seeked).toBeGreaterThan(0.4);
    await page.waitForSelector('#item-frames[data-ready="1"]');
    expect(await page.locator('#item-frames img').count()).toBe(8);
    const times = await page.locator('#item-frames figcaption').allTextContents();
    expect(times[0]).toMatch(/^\d\.\d{3} s$/);
    await page.fill('#f-frames', '4');
    await page.selectOption('#f-sampling', 'first');
    await page.click('#f-run');
    await expect.poll(() => page.locator('#item-frames img').count()).toBe(4);
    expect(await page.locator('#item-prediction').textContent()).toMatch(/predicted .+%/);
    expect(await page.locator('#item-tokens span').count()).toBeGreaterThan(0);
    await shot(page, 'item.png');
  });

  it('navigates with the keyboard: j/k and arrows between items, Esc closes', async () => {
    const n0 = await page.getAttribute('#item-view', 'data-n');
    await page.keyboard.press('j');
    await expect.poll(() => page.getAttribute('#item-view', 'data-n')).not.toBe(n0);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getAttribute('#item-view', 'data-n')).toBe(n0);
    await page.keyboard.press('Escape');
    expect(await page.isHidden('#item-view')).toBe(true);
    await page.keyboard.press('ArrowRight');
    expect(await page.getAttribute('#grid .tile.selected', 'data-k')).toBe('1');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#item-view:not([hidden])');
    await page.keyboard.press('Escape');
  });

  it('shows the model: confusion matrix with clickable cells, misclassified and least confident filters', async () => {
    await page.click('#tabs button[data-tab=model]');
    await page.waitForSelector('#model-view[data-state=done]', { timeout: 120_000 });
    await page.waitForSelector('#model-view rect.cell');
    await shot(page, 'model.png');
    const cell = page
      .locator('#model-view rect.cell:has(title)')
      .filter({ hasNot: page.locator('[fill="#22262d"]') });
    const target = page.locator('#model-view rect.cell:not([fill="#22262d"])').first();
    expect(await cell.count()).toBeGreaterThan(0);
    const t = Number(await target.getAttribute('data-true'));
    await target.click();
    await expect.poll(() => page.isVisible('#items-view')).toBe(true);
    await expect.poll(() => page.locator('#grid .tile').count()).toBeGreaterThan(0);
    const tiles = await page.locator('#grid .tile').evaluateAll((els) => els.length);
    expect(tiles).toBeGreaterThan(0);
    expect(t).toBeGreaterThanOrEqual(0);
    await page.click('#cell-filter button');
    await page.selectOption('#split', 'test');
    await reloaded(page, () => page.check('#least-confident'));
    const confidences = async (): Promise<number[]> =>
      (await page.locator('#grid .badge[title=predicted]').allTextContents()).map((c) =>
        Number(/(\d+)%$/.exec(c)?.[1]),
      );
    await expect
      .poll(async () => {
        const values = await confidences();
        return values.length > 0 && values.every((v, i) => i === 0 || (values[i - 1] as number) <= v);
      })
      .toBe(true);
    await reloaded(page, () => page.check('#misclassified'));
    await expect.poll(() => page.locator('#grid .badge.ok[title=predicted]').count()).toBe(0);
    await page.uncheck('#misclassified');
    await page.uncheck('#least-confident');
    await page.selectOption('#split', '');
  });

  it('shows the stats as charts drawn in the page', async () => {
    await page.click('#tabs button[data-tab=stats]');
    await page.waitForSelector('#stats-view[data-ready="1"]');
    expect(await page.locator('#stats-view svg').count()).toBeGreaterThanOrEqual(4);
    await shot(page, 'stats.png');
    await page.click('#tabs button[data-tab=items]');
  });
});

const BIG = join(tmpdir(), 'reelset-view-31x100-seed11');

/** The 31 x 100 set, synthesized once and kept in the temporary folder (about 3 minutes on 2 cores). */
async function bigSet(): Promise<string> {
  if (existsSync(join(BIG, '.complete'))) return BIG;
  await synthesize(BIG, { perLabel: 100, seconds: 0.2, seed: 11, concurrency: 2, force: true });
  await writeFile(join(BIG, '.complete'), 'ok');
  return BIG;
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

describe.skipIf(CHROMIUM === undefined)('reelset view in chromium: 31 labels x 100 items', () => {
  it('shows the first grid soon after the URL is printed; server memory stays flat over every page', async () => {
    const root = await bigSet();
    const cache = join(tmp.path, 'big-thumbs');
    const server = await startServer([root, '--cache-dir', cache]);
    try {
      const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(server.url);
      await page.waitForSelector('#grid .tile');
      const tilesAt = performance.now() - server.printedAt;
      await gridLoaded(page);
      const coversAt = performance.now() - server.printedAt;
      await shot(page, 'grid-3100.png');
      await page.waitForFunction(
        () => !document.querySelector('#status')?.textContent?.includes('indexing'),
        undefined,
        {
          timeout: 60_000,
        },
      );
      const pid = server.child.pid as number;
      const health = async (): Promise<{ heapUsed: number; rss: number }> => {
        const url = new URL(server.url);
        const answer = await fetch(`${url.origin}/api/health`, {
          headers: { 'x-reelset-token': url.searchParams.get('token') ?? '' },
        });
        return ((await answer.json()) as { memory: { heapUsed: number; rss: number } }).memory;
      };
      const samples: Array<{ page: number; rssMiB: number; heapMiB: number }> = [];
      let pageNo = 0;
      for (;;) {
        // Scroll down the page a row at a time, so every lazy cover is asked for and loads.
        const tiles = page.locator('#grid .tile');
        const count = await tiles.count();
        for (let k = 0; k < count; k += 4) await tiles.nth(k).scrollIntoViewIfNeeded();
        await tiles.nth(count - 1).scrollIntoViewIfNeeded();
        await page.waitForFunction(() =>
          [...document.querySelectorAll('#grid .tile .thumb')].every((t) => t.dataset.loaded !== undefined),
        );
        const m = await health();
        samples.push({ page: pageNo, rssMiB: rssKiB(pid) / 1024, heapMiB: m.heapUsed / 2 ** 20 });
        if (await page.isDisabled('#next-page')) break;
        const before = await page.getAttribute('#grid', 'data-ready');
        await page.click('#next-page');
        await page.waitForFunction(
          (b) => document.querySelector('#grid')?.getAttribute('data-ready') !== b,
          before,
        );
        pageNo++;
      }
      expect(pageNo + 1).toBe(Math.ceil(3100 / 60));
      const first = samples[1] ?? samples[0];
      const last = samples.at(-1);
      const maxRss = Math.max(...samples.map((s) => s.rssMiB));
      const figures = {
        measured: new Date().toISOString(),
        set: '31 labels x 100 items (synthesized, 0.2 s clips), cold thumbnail cache',
        firstGridTilesMs: Math.round(tilesAt),
        firstGridCoversMs: Math.round(coversAt),
        pages: samples.length,
        rssMiB: { afterFirstPage: first?.rssMiB, last: last?.rssMiB, max: maxRss },
        heapUsedMiB: { afterFirstPage: first?.heapMiB, last: last?.heapMiB },
        samples,
      };
      console.log(`view: first grid ${figures.firstGridTilesMs} ms (covers ${figures.firstGridCoversMs} ms)`);
      console.log(
        `view: RSS ${first?.rssMiB.toFixed(1)} -> ${last?.rssMiB.toFixed(1)} MiB (max ${maxRss.toFixed(1)}), heap ${first?.heapMiB.toFixed(1)} -> ${last?.heapMiB.toFixed(1)} MiB over ${samples.length} pages`,
      );
      await mkdir(SHOTS, { recursive: true });
      await writeFile(join(SHOTS, 'measurements.json'), `${JSON.stringify(figures, null, 2)}\n`);
      // Sanity bounds only: the figures are reported, not asserted.
      expect(coversAt).toBeLessThan(30_000);
      expect((last?.rssMiB ?? 0) - (first?.rssMiB ?? 0)).toBeLessThan(150);
      expect((last?.heapMiB ?? 0) - (first?.heapMiB ?? 0)).toBeLessThan(64);
      await page.close();
    } finally {
      stop(server);
    }
  }, 900_000);
});
