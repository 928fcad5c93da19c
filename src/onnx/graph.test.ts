import { describe, expect, it } from 'vitest';
import { attr, OnnxGraph } from './graph.js';
import { DATA_TYPE } from './proto.js';

const info = (name: string) => ({ name, elemType: DATA_TYPE.float, shape: ['batch', 2, 3, 4] });

describe('OnnxGraph', () => {
  it('folds a channels-last round trip between two channels-first ops, and drops unused nodes', () => {
    const g = new OnnxGraph(17, ['y']);
    const x = g.input(info('x'));
    const first = g.op('MaxPool', [g.transpose(x, [0, 3, 1, 2])], { kernel_shape: attr.ints([1, 1]) });
    const back = g.transpose(first, [0, 2, 3, 1]);
    g.op('Relu', [back]); // unused
    const second = g.op('AveragePool', [g.transpose(back, [0, 3, 1, 2])], {
      kernel_shape: attr.ints([1, 1]),
    });
    const graph = g.build('g', [{ value: g.transpose(second, [0, 2, 3, 1]), info: info('y') }]);
    expect(graph.nodes.map((n) => n.opType)).toEqual(['Transpose', 'MaxPool', 'AveragePool', 'Transpose']);
    expect(graph.nodes[2]?.inputs).toEqual(graph.nodes[1]?.outputs);
    expect(graph.nodes[3]?.outputs).toEqual(['y']);
  });

  it('merges two Transposes that do not cancel into one', () => {
    const g = new OnnxGraph(17, ['y']);
    const x = g.input(info('x'));
    const twice = g.transpose(g.transpose(x, [0, 2, 3, 1]), [0, 2, 3, 1]);
    const graph = g.build('g', [{ value: twice, info: info('y') }]);
    expect(graph.nodes.map((n) => [n.opType, n.inputs, n.attributes])).toEqual([
      ['Transpose', ['x'], [{ name: 'perm', kind: 'ints', value: [0, 3, 1, 2] }]],
    ]);
  });

  it('names outputs by renaming their producer, or with an Identity for an input or a repeated value', () => {
    const g = new OnnxGraph(17, ['a', 'b', 'c']);
    const x = g.input(info('x'));
    const relu = g.op('Relu', [x]);
    const graph = g.build('g', [
      { value: relu, info: info('a') },
      { value: relu, info: info('b') },
      { value: x, info: info('c') },
    ]);
    expect(graph.nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual([
      ['Relu', ['x'], ['a']],
      ['Identity', ['a'], ['b']],
      ['Identity', ['x'], ['c']],
    ]);
  });

  it('shares small constants and never hands out a reserved name', () => {
    const g = new OnnxGraph(17, ['axes']);
    expect(g.int64s('axes', [1])).toBe('axes_1');
    expect(g.int64s('other', [1])).toBe('axes_1');
    expect(g.floats('half', [], [0.5])).toBe(g.floats('half', [], [0.5]));
  });
});
