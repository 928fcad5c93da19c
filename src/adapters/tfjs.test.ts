import * as imported from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadTfjs, preloadTfjs, tf } from './tfjs.js';

describe('tfjs', () => {
  it("loads the program's own copy: one engine, one Tensor class", () => {
    preloadTfjs();
    const loaded = loadTfjs();
    expect(loaded.engine()).toBe(imported.engine());
    expect(loaded.Tensor).toBe(imported.Tensor);
    expect(loadTfjs()).toBe(loaded);
  });

  it('the lazy namespace reads through to the loaded module', () => {
    expect(tf.version).toEqual(imported.version);
    expect(tf.tensor([1, 2])).toBeInstanceOf(imported.Tensor);
  });
});
