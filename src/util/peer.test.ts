import { describe, expect, it } from 'vitest';
import { ReelsetError } from '../errors.js';
import { missingPeer, requirePeer } from './peer.js';

describe('requirePeer', () => {
  it('loads an installed package from where reelset is installed', () => {
    const ndarray = requirePeer<(data: number[]) => { size: number }>('ndarray', 'test');
    expect(ndarray([1, 2, 3]).size).toBe(3);
  });

  it('throws REELSET_E_MISSING_PEER naming the package, the feature and the install command', () => {
    let thrown: unknown;
    try {
      requirePeer('reelset-no-such-package', 'reelset/something');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ReelsetError);
    expect(thrown).toMatchObject({
      code: 'REELSET_E_MISSING_PEER',
      message:
        'reelset/something needs reelset-no-such-package, which is not installed: npm install reelset-no-such-package',
    });
    expect((thrown as Error).cause).toMatchObject({ code: 'MODULE_NOT_FOUND' });
  });

  it('tells how to install onnxruntime-node for the CPU alone', () => {
    const err = missingPeer('onnxruntime-node', 'ONNX inference');
    expect(err.message).toMatch(
      /^ONNX inference needs onnxruntime-node, which is not installed: npm install onnxruntime-node/,
    );
    expect(err.message).toContain('"allowScripts": { "onnxruntime-node": false }');
    expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
  });
});
