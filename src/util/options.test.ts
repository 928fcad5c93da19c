import { describe, expect, it } from 'vitest';
import { thrownCode } from '../../test/helpers.js';
import {
  checkBoolean,
  checkFunction,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkPositive,
  describeValue,
} from './options.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('did not throw');
}

describe('option checks: one message style', () => {
  it('names the type of a value that is not what it seems', () => {
    expect(describeValue(8)).toBe('8');
    expect(describeValue('8')).toBe('the string "8"');
    expect(describeValue([8])).toBe('an array');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(() => 1)).toBe('a function');
  });

  it('checkInteger accepts whole numbers in range and says what it wanted otherwise', () => {
    expect(checkInteger('n', 3, 1, 5)).toBe(3);
    expect(checkInteger('seed', -7)).toBe(-7);
    expect(message(() => checkInteger('frames', '8', 1))).toBe(
      'frames must be a whole number ≥ 1, got the string "8"',
    );
    expect(message(() => checkInteger('limit', 0, 1, 64))).toBe(
      'limit must be a whole number from 1 to 64, got 0',
    );
    expect(message(() => checkInteger('n', 1.5))).toBe('n must be a whole number, got 1.5');
    expect(message(() => checkInteger('n', 2 ** 53))).toMatch(
      /n must be a whole number, got 9007199254740992/,
    );
    expect(thrownCode(() => checkInteger('n', Number.NaN))).toBe('REELSET_E_INVALID_ARGUMENT');
  });

  it('checkNumber and checkPositive bound finite numbers', () => {
    expect(checkNumber('f', 0.5, 0, 1)).toBe(0.5);
    expect(message(() => checkNumber('f', 1.5, 0, 1))).toBe('f must be a number from 0 to 1, got 1.5');
    expect(message(() => checkNumber('f', Number.POSITIVE_INFINITY))).toBe(
      'f must be a number, got Infinity',
    );
    expect(checkPositive('fps', 0.1, 1000)).toBe(0.1);
    expect(message(() => checkPositive('fps', 0, 1000))).toBe(
      'fps must be a number above 0 and at most 1000, got 0',
    );
    expect(message(() => checkPositive('timeoutMs', -1))).toBe('timeoutMs must be a number above 0, got -1');
  });

  it('checkOneOf, checkFunction and checkBoolean', () => {
    expect(checkOneOf('onError', 'throw', ['skip', 'throw'] as const)).toBe('throw');
    expect(message(() => checkOneOf('onError', 'ignore', ['skip', 'throw']))).toBe(
      `onError must be one of 'skip', 'throw', got the string "ignore"`,
    );
    const fn = (): void => {};
    expect(checkFunction('onSkip', fn)).toBe(fn);
    expect(checkFunction('onSkip', undefined)).toBeUndefined();
    expect(message(() => checkFunction('onSkip', 'log' as unknown as () => void))).toBe(
      'onSkip must be a function, got the string "log"',
    );
    expect(checkBoolean('lowercase', undefined, true)).toBe(true);
    expect(message(() => checkBoolean('lowercase', 'yes', false))).toBe(
      'lowercase must be true or false, got the string "yes"',
    );
  });
});
