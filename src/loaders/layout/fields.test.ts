import { describe, expect, it } from 'vitest';
import { thrownCode as codeOf } from '../../../test/helpers.js';
import { formatDuration, paddedId, parseDuration, parseHttpUrl, parseId } from './fields.js';

describe('field checks', () => {
  it('parses ids and strips zero padding', () => {
    expect(parseId('99945958')).toBe('99945958');
    expect(parseId('099945958')).toBe('99945958');
    expect(parseId('0')).toBe('0');
    for (const bad of ['', 'abc', '12a', '../1', ' 1', '1234567890123', 12]) {
      expect(codeOf(() => parseId(bad))).toBe('REELSET_E_BAD_ITEM');
    }
    expect(codeOf(() => parseId('x', 'REELSET_E_CATALOG_LINE'))).toBe('REELSET_E_CATALOG_LINE');
  });

  it('accepts only http(s) URLs', () => {
    const url = 'https://p5-v1.xpccdn.com/099945958_main_xl.mp4';
    expect(parseHttpUrl(url)).toBe(url);
    expect(parseHttpUrl('http://127.0.0.1:8080/a.jpeg')).toBe('http://127.0.0.1:8080/a.jpeg');
    for (const bad of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://x/y',
      'p5-v1.xpccdn.com/a.mp4',
      '',
      null,
    ]) {
      expect(codeOf(() => parseHttpUrl(bad))).toBe('REELSET_E_BAD_ITEM');
    }
  });

  it('converts m:ss and h:mm:ss to seconds, and back', () => {
    expect(parseDuration('0:15')).toBe(15);
    expect(parseDuration('0:10')).toBe(10);
    expect(parseDuration('2:05')).toBe(125);
    expect(parseDuration('1:02:03')).toBe(3723);
    for (const bad of ['15', '0:60', '0:5', ':15', '0:15 ', '-1:00', '', undefined]) {
      expect(codeOf(() => parseDuration(bad))).toBe('REELSET_E_BAD_ITEM');
    }
    expect(formatDuration(15)).toBe('0:15');
    expect(formatDuration(125)).toBe('2:05');
    expect(parseDuration(formatDuration(607))).toBe(607);
  });

  it('pads ids to 9 digits as the URLs do', () => {
    expect(paddedId('99945958')).toBe('099945958');
    expect(paddedId('123456789')).toBe('123456789');
  });
});
