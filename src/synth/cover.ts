/**
 * @module cover — synthetic cover JPEGs: 480x270 progressive, a pair palette gradient with soft blobs and
 * grain; the content depends only on the label's palette group and the item's seed.
 */
import sharp from 'sharp';
import { labelPalette, mixRgb } from './palette.js';
import { createRng } from './rng.js';

/**
 * Cover width in pixels, as the real covers.
 *
 * @example
 * ```ts
 * const bytes = COVER_WIDTH * COVER_HEIGHT * 3; // raw RGB size
 * ```
 */
export const COVER_WIDTH = 480;
/**
 * Cover height in pixels, as the real covers.
 *
 * @example
 * ```ts
 * console.log(`${COVER_WIDTH}x${COVER_HEIGHT}`); // 480x270
 * ```
 */
export const COVER_HEIGHT = 270;

/**
 * The raw RGB pixels (row-major, 3 bytes a pixel) of the cover of an item of label `labelId` made from
 * `seed`: a gradient between the pair palette's colours at a random angle, 3-6 soft blobs, a brightness
 * jitter and per-pixel grain.
 *
 * @example
 * ```ts
 * const pixels = coverPixels(8, 1234); // Uint8Array of 480 * 270 * 3
 * ```
 */
export function coverPixels(labelId: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const { dark, light } = labelPalette(labelId);
  const angle = rng.range(0, 2 * Math.PI);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const gain = rng.range(0.92, 1.08);
  const blobs = Array.from({ length: 3 + rng.int(4) }, () => ({
    x: rng.range(0, COVER_WIDTH),
    y: rng.range(0, COVER_HEIGHT),
    r2: rng.range(25, 90) ** 2,
    color: mixRgb(dark, light, rng.next()),
    strength: rng.range(0.4, 0.9),
  }));
  const out = new Uint8Array(COVER_WIDTH * COVER_HEIGHT * 3);
  const half = Math.hypot(COVER_WIDTH, COVER_HEIGHT) / 2;
  let o = 0;
  for (let y = 0; y < COVER_HEIGHT; y++) {
    for (let x = 0; x < COVER_WIDTH; x++) {
      const t = 0.5 + ((x - COVER_WIDTH / 2) * cos + (y - COVER_HEIGHT / 2) * sin) / (2 * half);
      let [r, g, b] = mixRgb(dark, light, t);
      for (const blob of blobs) {
        const d2 = (x - blob.x) ** 2 + (y - blob.y) ** 2;
        const w = blob.strength * Math.exp(-d2 / blob.r2);
        r += (blob.color[0] - r) * w;
        g += (blob.color[1] - g) * w;
        b += (blob.color[2] - b) * w;
      }
      const grain = (rng.next() - 0.5) * 52;
      out[o++] = Math.max(0, Math.min(255, Math.round(r * gain + grain)));
      out[o++] = Math.max(0, Math.min(255, Math.round(g * gain + grain)));
      out[o++] = Math.max(0, Math.min(255, Math.round(b * gain + grain)));
    }
  }
  return out;
}

/**
 * The cover JPEG bytes of an item: {@link coverPixels} encoded by sharp as a progressive JPEG, quality 80.
 * The same `(labelId, seed)` always gives the same bytes.
 *
 * @example
 * ```ts
 * await writeFile('12345678.jpeg', await coverJpeg(8, 1234));
 * ```
 */
export async function coverJpeg(labelId: number, seed: number): Promise<Buffer> {
  return sharp(coverPixels(labelId, seed), { raw: { width: COVER_WIDTH, height: COVER_HEIGHT, channels: 3 } })
    .jpeg({ progressive: true, quality: 80 })
    .toBuffer();
}
