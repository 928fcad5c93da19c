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

  it("silences the cpu backend's first-use banner, for the backend there and those made later", () => {
    loadTfjs();
    const engine = imported.engine() as unknown as {
      registryFactory: { cpu: { factory: () => { firstUse: boolean } } };
    };
    expect(engine.registryFactory.cpu.factory().firstUse).toBe(false);
    const warned: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warned.push(args);
    try {
      imported.tidy(() => imported.tensor([1, 2, 3]).add(1));
    } finally {
      console.warn = warn;
    }
    expect(warned.filter((w) => String(w).includes('looks like you are running TensorFlow.js'))).toEqual([]);
  });
});
