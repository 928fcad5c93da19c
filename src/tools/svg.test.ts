/** @module svg.test — XML escaping, text fitting, and the SVG builders' handling of hostile text. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { barChartSvg, chartSize } from './chart.js';
import { sheetGeometry, sheetOverlaySvg } from './preview.js';
import { escapeXml, textColumns, truncateText, wrapText } from './svg.js';

const HOSTILE =
  '<script>alert("x")</script> & <!ENTITY x SYSTEM "file:///etc/passwd"> \u0000\u0007 \ud800 ]]>';

/** The text nodes and attribute values of an SVG must never hold a raw `<`, `&` not starting an entity. */
function assertSafe(svg: string): void {
  expect(svg).not.toContain('<script');
  expect(svg).not.toContain('<!ENTITY');
  expect(svg).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
  const controls = [...svg].filter((c) => c.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(c));
  expect(controls).toEqual([]);
}

describe('escapeXml', () => {
  it('escapes markup characters and drops what XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('x\u0000y\u0007z\ud800w\ufffe')).toBe('xyzw');
    expect(escapeXml('tab\tnl\n 海滩 😀')).toBe('tab\tnl\n 海滩 😀');
  });
});

describe('truncateText and wrapText', () => {
  it('counts a CJK character as two columns', () => {
    expect(textColumns('Beach')).toBe(5);
    expect(textColumns('Beach 海滩')).toBe(10);
    expect(textColumns('，「」ＡＢ')).toBe(10);
    expect(textColumns('𠀀😀é')).toBe(5);
  });

  it('cuts with an ellipsis at the column limit', () => {
    expect(truncateText('  short  text ', 20)).toBe('short text');
    expect(truncateText('Woman in swimsuit walking at the beach', 20)).toBe('Woman in swimsuit w…');
    expect(truncateText('海滩海滩海滩海滩', 5)).toBe('海滩…');
    expect(truncateText('海滩海滩', 8)).toBe('海滩海滩');
    expect(truncateText('Beach 海滩海滩', 10)).toBe('Beach 海…');
    expect(truncateText('Beach 海滩海滩', 11)).toBe('Beach 海滩…');
  });

  it('wraps at spaces into at most n lines, marking what was left out', () => {
    expect(wrapText('Hong Kong Circa 2017, City B-Roll', 12, 2)).toEqual(['Hong Kong', 'Circa 2017,…']);
    expect(wrapText('one two', 20, 2)).toEqual(['one two']);
    expect(wrapText('', 20, 2)).toEqual([]);
    expect(wrapText(' \n ', 20, 2)).toEqual([]);
    for (const line of wrapText('a'.repeat(100), 10, 2)) expect(line.length).toBeLessThanOrEqual(10);
  });

  it('carries a word longer than a line on to the next line', () => {
    expect(wrapText('a'.repeat(25), 10, 3)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'a'.repeat(5)]);
    expect(wrapText('a'.repeat(25), 10, 2)).toEqual(['a'.repeat(10), `${'a'.repeat(9)}…`]);
    expect(wrapText('a'.repeat(20), 10, 2)).toEqual(['a'.repeat(10), 'a'.repeat(10)]);
  });

  it('breaks Chinese between any two characters, within the columns', () => {
    expect(wrapText('海滩上的女人在散步和看日落', 8, 2)).toEqual(['海滩上的', '女人在…']);
    expect(wrapText('海滩上的女人', 8, 2)).toEqual(['海滩上的', '女人']);
    expect(wrapText('4K 航拍城市夜景 Aerial view of Shanghai at night', 20, 2)).toEqual([
      '4K 航拍城市夜景',
      'Aerial view of…',
    ]);
    expect(wrapText('航拍city夜景', 20, 1)).toEqual(['航拍city夜景']);
    const brief = 'Woman in swimsuit walking at the beach 穿泳衣的女人在海滩上散步，看日落和海浪';
    for (const line of wrapText(brief, 35, 2)) expect(textColumns(line)).toBeLessThanOrEqual(35);
  });
});

describe('barChartSvg', () => {
  it('escapes every text from data and renders to the announced size', async () => {
    const { svg, width, height } = barChartSvg({
      title: HOSTILE,
      subtitle: 'a & b',
      rows: [
        { name: HOSTILE, value: 3 },
        { name: 'Beach & Sea', value: 7 },
      ],
      axisLabel: '<items>',
    });
    assertSafe(svg);
    expect(svg).toContain('Beach &amp; Sea');
    expect(svg).toContain('&lt;script&gt;');
    expect({ width, height }).toEqual(chartSize(2));
    const meta = await sharp(Buffer.from(svg)).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('sizes 31 rows as 1000 x 810', () => {
    expect(chartSize(31)).toEqual({ width: 1000, height: 810 });
  });
});

describe('sheetOverlaySvg', () => {
  it('escapes ids, briefs and reasons, and parses as SVG', async () => {
    const g = sheetGeometry(2, 2, 3);
    const svg = sheetOverlaySvg(
      HOSTILE,
      [
        { id: '12', brief: HOSTILE, coverProblem: HOSTILE },
        { id: '<b>', brief: ' Fish & chips', clipProblem: 'no clip' },
      ],
      g,
    );
    assertSafe(svg);
    expect(svg).toContain('Fish &amp; chips');
    const meta = await sharp(Buffer.from(svg)).metadata();
    expect([meta.width, meta.height]).toEqual([g.width, g.height]);
  });
});
