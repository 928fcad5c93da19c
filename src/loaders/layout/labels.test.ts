import { describe, expect, it } from 'vitest';
import { isReelsetError } from '../../errors.js';
import { closestLabel, isLabel, LABELS, labelId, labelName, unknownLabelError } from './labels.js';

describe('labels', () => {
  it('has 31 labels whose ids follow Python sorted() of the English names', () => {
    expect(LABELS).toHaveLength(31);
    const names = LABELS.map((label) => label.name);
    // Python sorts str by code point: digits < upper case < lower case.
    const codePointSorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(names).toEqual(codePointSorted);
    LABELS.forEach((label, index) => {
      expect(label.id).toBe(index);
    });
  });

  it('pins the ids of the facts file', () => {
    const expected: Record<string, number> = {
      '360VR': 0,
      '4k': 1,
      Abstract: 2,
      'Alpha Channel': 4,
      Beach: 8,
      'Green Screen': 16,
      R3d: 21,
      Wedding: 28,
      space: 29,
      stars: 30,
    };
    for (const [name, id] of Object.entries(expected)) {
      expect(labelId(name)).toBe(id);
      expect(labelName(id)).toBe(name);
    }
  });

  it('carries the Chinese names of video_type_dict', () => {
    expect(LABELS[labelId('Underwater')]?.chinese).toBe('水下摄影');
    expect(LABELS[labelId('Alpha Channel')]?.chinese).toBe('透明通道');
    expect(new Set(LABELS.map((label) => label.chinese)).size).toBe(31);
  });

  it('rejects unknown names and ids with REELSET_E_UNKNOWN_LABEL', () => {
    for (const bad of [
      () => labelId('beach'),
      () => labelId(''),
      () => labelName(31),
      () => labelName(1.5),
      () => labelName(-1),
    ]) {
      let caught: unknown;
      try {
        bad();
      } catch (err) {
        caught = err;
      }
      expect(isReelsetError(caught, 'REELSET_E_UNKNOWN_LABEL')).toBe(true);
    }
    expect(isLabel('Beach')).toBe(true);
    expect(isLabel('BEACH')).toBe(false);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(LABELS)).toBe(true);
    expect(Object.isFrozen(LABELS[0])).toBe(true);
  });
});

describe('unknown labels suggest the closest', () => {
  it('matches case first, then edit distance, and gives up when nothing is close', () => {
    expect(closestLabel('beach')).toBe('Beach');
    expect(closestLabel('STARS')).toBe('stars');
    expect(closestLabel('4K')).toBe('4k');
    expect(closestLabel('green screen')).toBe('Green Screen');
    expect(closestLabel('Beech')).toBe('Beach');
    expect(closestLabel('Timelaps')).toBe('Timelapse');
    expect(closestLabel('Undrwater')).toBe('Underwater');
    expect(closestLabel('Cats')).toBeUndefined();
    expect(closestLabel('')).toBeUndefined();
    expect(closestLabel('12345678')).toBeUndefined();
  });

  it('says so in the one message of an unknown label, used everywhere', () => {
    expect(() => labelId('beach')).toThrow('Unknown label "beach" (did you mean "Beach"?)');
    expect(() => labelId('Cats')).toThrow(/^Unknown label "Cats"$/);
    expect(unknownLabelError('Sae').message).toBe('Unknown label "Sae" (did you mean "Sea"?)');
    expect(unknownLabelError('Sae').code).toBe('REELSET_E_UNKNOWN_LABEL');
  });
});
