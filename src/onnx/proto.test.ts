import { describe, expect, it } from 'vitest';
import { DATA_TYPE, encodeModel, type GraphProto, type ModelProto, rawData } from './proto.js';

const model = (graph: Partial<GraphProto> = {}, metadata: Record<string, string> = {}): ModelProto => ({
  irVersion: 8,
  opset: 17,
  producerName: 'r',
  producerVersion: 'v',
  graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [], ...graph },
  metadata,
});

/** Whether `bytes` contains `part` as a run of bytes. */
const contains = (bytes: Uint8Array, part: number[]): boolean =>
  Buffer.from(bytes).includes(Buffer.from(part));

describe('encodeModel', () => {
  it('writes the fields of onnx.proto: ir_version 1, producer 2 and 3, graph 7, opset_import 8', () => {
    expect([...encodeModel(model())]).toEqual([
      0x08,
      8, // ir_version = 8
      0x12,
      1,
      0x72, // producer_name = 'r'
      0x1a,
      1,
      0x76, // producer_version = 'v'
      0x3a,
      3,
      0x12,
      1,
      0x67, // graph { name = 'g' }
      0x42,
      2,
      0x10,
      17, // opset_import { version = 17 }
    ]);
  });

  it('writes metadata_props (14) as key/value entries', () => {
    const bytes = encodeModel(model({}, { k: 'é' }));
    expect([...bytes.slice(-9)]).toEqual([0x72, 7, 0x0a, 1, 0x6b, 0x12, 2, 0xc3, 0xa9]);
  });

  it('writes attributes with their type (20): negative ints as 10-byte varints, floats little-endian', () => {
    const nodes = [
      {
        name: 'n',
        opType: 'Op',
        inputs: ['x'],
        outputs: ['y'],
        attributes: [
          { name: 'a', kind: 'ints', value: [-1, 300] },
          { name: 'f', kind: 'float', value: 1 },
        ],
      } as const,
    ];
    const bytes = encodeModel(model({ nodes }));
    const ints = [0x0a, 1, 0x61, 0xa0, 0x01, 7, 0x40, ...new Array(9).fill(0xff), 0x01, 0x40, 0xac, 0x02];
    expect(contains(bytes, [0x2a, ints.length, ...ints])).toBe(true);
    expect(contains(bytes, [0x2a, 11, 0x0a, 1, 0x66, 0xa0, 0x01, 1, 0x15, 0, 0, 0x80, 0x3f])).toBe(true);
  });

  it('writes value infos with dim_value and dim_param, and raw-data initializers', () => {
    const bytes = encodeModel(
      model({
        inputs: [{ name: 'x', elemType: DATA_TYPE.float, shape: ['batch', 3, null] }],
        initializers: [
          { name: 'w', dataType: DATA_TYPE.int64, dims: [1], rawData: rawData(new BigInt64Array([2n])) },
        ],
      }),
    );
    // TensorShapeProto { dim { dim_param 'batch' } dim { dim_value 3 } dim { } }
    expect(
      contains(bytes, [0x12, 15, 0x0a, 7, 0x12, 5, ...Buffer.from('batch'), 0x0a, 2, 0x08, 3, 0x0a, 0]),
    ).toBe(true);
    // TensorProto { dims 1, data_type 7, name 'w', raw_data 2 as int64 LE }
    expect(contains(bytes, [0x08, 1, 0x10, 7, 0x42, 1, 0x77, 0x4a, 8, 2, 0, 0, 0, 0, 0, 0, 0])).toBe(true);
  });
});

describe('rawData', () => {
  it('is little-endian whatever the type', () => {
    expect([...rawData(new Float32Array([1]))]).toEqual([0, 0, 0x80, 0x3f]);
    expect([...rawData(new Int32Array([-2]))]).toEqual([0xfe, 0xff, 0xff, 0xff]);
  });
});
