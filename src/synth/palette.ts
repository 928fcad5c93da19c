/**
 * @module palette — the colours of synthetic media: labels come in pairs (2k, 2k+1; the last three share
 * one) and each pair shares a two-colour palette, so a cover alone cannot tell partners apart.
 */
import { LABELS } from '../loaders/layout/labels.js';

/**
 * An sRGB colour, 0-255 a channel.
 *
 * @example
 * ```ts
 * const teal: Rgb = [0, 128, 128];
 * ```
 */
export type Rgb = readonly [number, number, number];

/**
 * The two colours of a pair of labels: `dark` and `light`.
 *
 * @example
 * ```ts
 * const { dark, light } = labelPalette(8); // Beach, shared with Business (9)
 * ```
 */
export interface Palette {
  readonly group: number;
  readonly dark: Rgb;
  readonly light: Rgb;
}

/**
 * How many palettes there are: 15 (31 labels in pairs, the last group a triple).
 *
 * @example
 * ```ts
 * paletteGroup(30) === PALETTE_GROUPS - 1; // true
 * ```
 */
export const PALETTE_GROUPS = Math.floor(LABELS.length / 2);

/**
 * The palette group of a label id: `min(floor(id / 2), 14)`, so 0-1, 2-3, ..., 26-27 are pairs and
 * 28-30 (Wedding, space, stars) a triple.
 *
 * @example
 * ```ts
 * paletteGroup(8) === paletteGroup(9); // true
 * ```
 */
export function paletteGroup(labelId: number): number {
  return Math.min(Math.floor(labelId / 2), PALETTE_GROUPS - 1);
}

function hsl(hueDeg: number, saturation: number, lightness: number): Rgb {
  const c = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const h = (((hueDeg % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] =
    h < 1
      ? [c, x, 0]
      : h < 2
        ? [x, c, 0]
        : h < 3
          ? [0, c, x]
          : h < 4
            ? [0, x, c]
            : h < 5
              ? [x, 0, c]
              : [c, 0, x];
  const m = lightness - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

const PALETTES: readonly Palette[] = Object.freeze(
  Array.from({ length: PALETTE_GROUPS }, (_, group) => {
    // Hues spread so that neighbouring groups are far apart on the colour wheel; lightness varies too.
    const hue = ((group * 7) % PALETTE_GROUPS) * (360 / PALETTE_GROUPS);
    const level = group % 3;
    return Object.freeze({
      group,
      dark: hsl(hue, 0.65, 0.18 + 0.08 * level),
      light: hsl(hue + 35, 0.75, 0.55 + 0.1 * level),
    });
  }),
);

/**
 * The palette of a label id (0-30); partners (same {@link paletteGroup}) get the same one.
 *
 * @example
 * ```ts
 * labelPalette(8).dark; // [r, g, b]
 * ```
 */
export function labelPalette(labelId: number): Palette {
  return PALETTES[paletteGroup(labelId)] as Palette;
}

/**
 * Linear mix of two colours, `t` in [0, 1].
 *
 * @example
 * ```ts
 * mixRgb([0, 0, 0], [255, 255, 255], 0.5); // [127.5, 127.5, 127.5]
 * ```
 */
export function mixRgb(a: Rgb, b: Rgb, t: number): [number, number, number] {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
