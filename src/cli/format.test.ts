/** @module format.test — plurals and aligned tables of the CLI's output. */
import { describe, expect, it } from 'vitest';
import { count, relativeTo, table } from './format.js';

describe('count', () => {
  it('uses the singular for exactly 1 and the plural otherwise', () => {
    expect(count(1, 'file')).toBe('1 file');
    expect(count(0, 'file')).toBe('0 files');
    expect(count(2, 'item')).toBe('2 items');
    expect(count(1, 'entry', 'entries')).toBe('1 entry');
    expect(count(3, 'entry', 'entries')).toBe('3 entries');
    expect(count(12345, 'sample')).toBe('12,345 samples');
  });
});

describe('table', () => {
  it('aligns every column to its widest cell, numbers to the right', () => {
    expect(
      table(
        [
          ['id', 'label', 'items'],
          ['8', 'Beach', '20,113'],
          ['16', 'Green Screen', '7'],
        ],
        { right: [0, 2] },
      ),
    ).toEqual(['id  label          items', ' 8  Beach         20,113', '16  Green Screen       7']);
    expect(
      table([
        ['tfjs backends', 'x'],
        ['node', 'y'],
      ]),
    ).toEqual(['tfjs backends  x', 'node           y']);
  });
});

describe('relativeTo', () => {
  it('shows a path inside the root relative to it, any other as it is', () => {
    expect(relativeTo('/d', '/d/Beach/1/1.mp4')).toBe('Beach/1/1.mp4');
    expect(relativeTo('/d', '/e/x')).toBe('/e/x');
    expect(relativeTo('/d', '/d')).toBe('/d');
  });
});
