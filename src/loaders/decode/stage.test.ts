import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Transformer } from '@napi-rs/image';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { writeBadMedia } from '../../synth/bad-media.js';
import { type SynthReport, synthesize } from '../../synth/index.js';
import { Dataset } from '../dataset/dataset.js';
import { openDataset } from '../open.js';
import type { Sample, Skip } from '../sample.js';
import type { DecodedImage } from './image.js';
import { type DecodedSample, decodeSamples, threadPoolSize } from './stage.js';
import { buildVocab, Vocab } from './text.js';
import { decodeVideo, type VideoFrames } from './video.js';

let dir: string;
let report: SynthReport;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelset-decode-'));
  root = join(dir, 'data');
  report = await synthesize(root, {
    labels: ['Beach', 'Sea'],
    perLabel: 3,
    seconds: 0.4,
    seed: 5,
    bad: true,
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SMALL = { image: { height: 16, width: 24 }, video: { frames: 2, height: 12, width: 16 } } as const;

describe('types follow the options', () => {
  it('makes decoded fields present, or optional when their file is not required', () => {
    expectTypeOf(openDataset('x')).toEqualTypeOf<Dataset<Sample>>();
    expectTypeOf(openDataset('x', { labels: ['Beach'] })).toEqualTypeOf<Dataset<Sample>>();
    const video = openDataset('x', { video: true });
    expectTypeOf<
      Awaited<ReturnType<(typeof video)['toArray']>>[number]['video']
    >().toEqualTypeOf<VideoFrames>();
    expectTypeOf<Awaited<ReturnType<(typeof video)['toArray']>>[number]['image']>().toEqualTypeOf<
      Sample['image']
    >();
    const all = openDataset('x', { text: true, image: { height: 8 }, video: { frames: 2 } });
    type All = Awaited<ReturnType<(typeof all)['toArray']>>[number];
    expectTypeOf<All['tokens']>().toEqualTypeOf<Int32Array>();
    expectTypeOf<All['image']>().toEqualTypeOf<DecodedImage>();
    expectTypeOf<All['video']>().toEqualTypeOf<VideoFrames>();
    const seed = openDataset('x', { compat: 'seed' });
    type Seed = Awaited<ReturnType<(typeof seed)['toArray']>>[number];
    expectTypeOf<Seed['tokens']>().toEqualTypeOf<Int32Array>();
    expectTypeOf<Seed['video']>().toEqualTypeOf<VideoFrames>();
    const seedImage = openDataset('x', { compat: 'seed', image: true });
    type SeedImage = Awaited<ReturnType<(typeof seedImage)['toArray']>>[number];
    expectTypeOf<SeedImage['image']>().toEqualTypeOf<DecodedImage>();
    expectTypeOf<SeedImage['video']>().toEqualTypeOf<Sample['video']>();
    const optional = openDataset('x', { image: true, video: true, require: ['txt', 'mp4'] });
    type Optional = Awaited<ReturnType<(typeof optional)['toArray']>>[number];
    expectTypeOf<Optional['image']>().toEqualTypeOf<DecodedImage | undefined>();
    expectTypeOf<Optional['video']>().toEqualTypeOf<VideoFrames>();
    expectTypeOf(decodeSamples(Dataset.from<Sample>([]), { image: true })).toEqualTypeOf<
      Dataset<DecodedSample<{ readonly image: true }>>
    >();
    expectTypeOf<DecodedSample<{ image: true }>['image']['shape']>().toEqualTypeOf<
      [number, number, number]
    >();
  });
});

describe('openDataset with decoding', () => {
  it('decodes every good item, records a skip for every bad one, keeps the layout order', async () => {
    const skips: Skip[] = [];
    const decoded = await openDataset(root, {
      text: true,
      ...SMALL,
      concurrency: 3,
      onSkip: (skip) => skips.push(skip),
    }).toArray();
    const plain = await openDataset(root, { require: ['txt', 'jpeg', 'mp4'] }).toArray();
    const bad = new Set(['truncated-jpeg', 'empty-mp4']);
    const badIds = new Set(
      report.items.filter((item) => item.bad !== undefined && bad.has(item.bad)).map((i) => i.id),
    );
    expect(decoded.map((s) => s.id)).toEqual(plain.map((s) => s.id).filter((id) => !badIds.has(id)));
    expect(decoded.length).toBe(report.items.filter((item) => item.bad === undefined).length);
    for (const sample of decoded) {
      expect(sample.tokens).toBeInstanceOf(Int32Array);
      expect(sample.tokens.length).toBe(25);
      expect(sample.image.shape).toEqual([16, 24, 3]);
      expect(sample.image.data).toBeInstanceOf(Uint8Array);
      expect(sample.video.shape).toEqual([2, 12, 16, 3]);
      expect(sample.video.timesSec.length).toBe(2);
    }
    const codes = skips.map((skip) => skip.code).sort();
    expect(codes).toEqual(
      [
        'REELSET_E_BAD_IMAGE', // truncated-jpeg
        'REELSET_E_BAD_MEDIA', // empty-mp4
        'REELSET_E_MISSING_MEDIA', // missing-mp4
        'REELSET_E_MISSING_MEDIA', // missing-jpeg
        'REELSET_E_MISSING_MEDIA', // missing-txt
        'REELSET_E_PY_LITERAL', // txt-not-dict
        'REELSET_E_PY_LITERAL', // txt-unterminated
        'REELSET_E_BAD_ITEM', // id-mismatch
      ].sort(),
    );
    const truncated = report.items.find((item) => item.bad === 'truncated-jpeg');
    expect(skips.find((s) => s.code === 'REELSET_E_BAD_IMAGE')).toMatchObject({
      id: truncated?.id,
      where: truncated?.files.jpeg,
    });
    expect(decoded.length + skips.length).toBe(report.items.length);
  });

  it("throws the first bad sample's error with onError: 'throw'", async () => {
    await expect(
      openDataset(root, {
        ...SMALL,
        require: ['jpeg', 'mp4'],
        labels: ['Beach', 'Sea'],
        onError: 'throw',
      }).toArray(),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^REELSET_E_/) });
    const images = openDataset(root, { image: SMALL.image, require: ['txt', 'jpeg'], onError: 'skip' });
    const truncated = report.items.find((item) => item.bad === 'truncated-jpeg');
    const sample = (await openDataset(root, { require: ['txt', 'jpeg'] }).toArray()).find(
      (s) => s.id === truncated?.id,
    );
    expect(sample).toBeDefined();
    await expect(
      decodeSamples(Dataset.from([sample as Sample]), { image: true, onError: 'throw' }).toArray(),
    ).rejects.toMatchObject({ code: 'REELSET_E_BAD_IMAGE' });
    expect((await images.toArray()).some((s) => s.id === truncated?.id)).toBe(false);
  });

  it('leaves a modality undefined when its file is missing and not required', async () => {
    const missing = report.items.find((item) => item.bad === 'missing-jpeg');
    const samples = await openDataset(root, { image: SMALL.image, require: ['txt'] }).toArray();
    const sample = samples.find((s) => s.id === missing?.id);
    expect(sample).toBeDefined();
    expect(sample?.image).toBeUndefined();
    expect(samples.filter((s) => s.image !== undefined).length).toBe(samples.length - 1);
  });

  it('builds the vocabulary from the data set read, or takes one (object or file)', async () => {
    // Built from the items read: here, the Beach folder only.
    const vocab = await buildVocab(openDataset(root, { labels: ['Beach'] }));
    const [first] = await openDataset(root, { text: true, labels: ['Beach'] })
      .take(1)
      .toArray();
    expect(first?.tokens).toEqual(vocab.encode(first?.brief ?? ''));
    expect(vocab.size).toBeLessThan((await buildVocab(openDataset(root))).size);
    const given = Vocab.fromTokens(['zzz']);
    const [withGiven] = await openDataset(root, { text: { vocab: given, maxLength: 4 } })
      .take(1)
      .toArray();
    expect([...(withGiven?.tokens ?? [])].every((id) => id === 0 || id === given.oovId)).toBe(true);
    const path = join(dir, 'vocab.txt');
    await vocab.save(path);
    const [fromFile] = await openDataset(root, { text: { vocab: path }, labels: ['Beach'] })
      .take(1)
      .toArray();
    expect(fromFile?.tokens).toEqual(first?.tokens);
    await expect(
      openDataset(root, { text: { vocab: join(dir, 'nope.txt') } }).toArray(),
    ).rejects.toMatchObject({
      code: 'REELSET_E_NOT_FOUND',
    });
  });

  it('resumes through the decode stage, whatever the concurrency', async () => {
    const make = (concurrency: number) =>
      openDataset(root, { text: true, image: SMALL.image, concurrency, require: ['txt', 'jpeg'] });
    const all = await make(4).toArray();
    const it = make(4)[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) await it.next();
    const state = JSON.parse(JSON.stringify(it.state()));
    await it.return?.();
    expect(state.pipeline).toBe('Layout -> Decode(text, image) -> Filter');
    const rest = await make(1).resume(state).toArray();
    expect(rest.map((s) => s.id)).toEqual(all.slice(3).map((s) => s.id));
    expect(rest[0]?.image.data).toEqual(all[3]?.image.data);
    expect(rest[0]?.tokens).toEqual(all[3]?.tokens);
  });

  it('refuses bad options at call time', () => {
    const bad: unknown[] = [
      { image: { height: -1 } },
      { video: { frames: 0 } },
      { text: { maxLength: 0 } },
      { text: { vocab: 3 } },
      { text: { unknown: 1 } },
      { compat: 'keras' },
      { image: true, concurrency: 0 },
      { image: true, onError: 'ignore' },
    ];
    for (const options of bad) {
      expect(() => openDataset(root, options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'REELSET_E_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe("compat: 'seed'", () => {
  it('reproduces the original: 25 ids, 270x480 [-1, 1] RGB cover, first 3 frames 360x640 BGR 0-255', async () => {
    const [sample] = await openDataset(root, { compat: 'seed', labels: ['Sea'] })
      .take(1)
      .toArray();
    if (sample === undefined) throw new Error('no sample');
    expect(sample.tokens.length).toBe(25);
    expect(sample.image.shape).toEqual([270, 480, 3]);
    expect(sample.image.data).toBeInstanceOf(Float32Array);
    const values = sample.image.data as Float32Array;
    expect(Math.min(...values.subarray(0, 5000))).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values.subarray(0, 5000))).toBeLessThanOrEqual(1);
    expect(sample.video.shape).toEqual([3, 360, 640, 3]);
    expect(sample.video.data).toBeInstanceOf(Float32Array);
    expect(sample.video.timesSec[0]).toBeCloseTo(0, 5);
    const rgb = await decodeVideo(sample.source.mp4 as string, {
      frames: 3,
      height: 360,
      width: 640,
      sampling: 'first',
    });
    const p = 1000 * 3;
    expect(sample.video.data[p]).toBe(rgb.data[p + 2]); // B first
    expect(sample.video.data[p + 2]).toBe(rgb.data[p]);
  });

  it('lets explicit options win, and records short clips as skips', async () => {
    const [sample] = await openDataset(root, { compat: 'seed', image: { height: 64 }, labels: ['Sea'] })
      .take(1)
      .toArray();
    expect(sample?.image.shape).toEqual([64, 480, 3]);
    expect(sample?.video).toBeUndefined(); // only image is on: compat switches all three on only when none is given
    const [file] = await writeBadMedia(join(dir, 'short'), { kinds: ['one-frame'] });
    const skips: Skip[] = [];
    const one: Sample = {
      id: '1',
      label: 'Sea',
      labelId: 23,
      brief: ' sea',
      durationSec: null,
      source: { mp4: file?.path as string },
    };
    const out = await decodeSamples(Dataset.from([one]), {
      compat: 'seed',
      video: true,
      onSkip: (s) => skips.push(s),
    }).toArray();
    expect(out).toEqual([]);
    expect(skips).toMatchObject([{ code: 'REELSET_E_SHORT_CLIP', id: '1', where: file?.path }]);
    const padded = await decodeSamples(Dataset.from([one]), {
      video: { frames: 3, height: 8, width: 8 },
    }).toArray();
    expect(padded[0]?.video.padded).toBe(2);
  });
});

describe('bad media corpus through the decode stage', () => {
  it('gives each file its typed skip or a result, and goes on', async () => {
    const files = await writeBadMedia(join(dir, 'bad'));
    const samples: Sample[] = files.map((file, i) => ({
      id: String(i + 1),
      label: 'Beach',
      labelId: 8,
      brief: ` ${file.kind}`,
      durationSec: null,
      source: file.path.endsWith('.jpeg') ? { jpeg: file.path } : { mp4: file.path },
    }));
    const skips: Skip[] = [];
    const out = await decodeSamples(Dataset.from(samples), {
      image: { height: 8, width: 8 },
      video: { frames: 2, height: 8, width: 8, timeoutMs: 20_000 },
      require: [],
      concurrency: 2,
      onSkip: (skip) => skips.push(skip),
    }).toArray();
    const byKind = new Map(files.map((file, i) => [String(i + 1), file.kind]));
    const decodedKinds = out.map((s) => byKind.get(s.id));
    const skipped = Object.fromEntries(skips.map((s) => [byKind.get(s.id as string), s.code]));
    expect(skipped).toMatchObject({
      'huge-jpeg': 'REELSET_E_IMAGE_TOO_LARGE',
      'mp4-no-video': 'REELSET_E_NO_VIDEO',
      'text-as-mp4': 'REELSET_E_BAD_MEDIA',
    });
    expect(decodedKinds).toEqual(expect.arrayContaining(['png-as-jpeg', 'vfr', 'rotated', 'one-frame']));
    expect(out.find((s) => byKind.get(s.id) === 'png-as-jpeg')?.image?.format).toBe('png');
    expect(out.length + skips.length).toBe(files.length);
  });
});

/** The most covers being decoded at once (the engine's rawPixels calls not yet settled) while `run` runs. */
async function mostCoversInFlight(run: () => Promise<void>): Promise<number> {
  const realRawPixels = Transformer.prototype.rawPixels;
  const rawPixels = vi.spyOn(Transformer.prototype, 'rawPixels');
  let running = 0;
  let most = 0;
  rawPixels.mockImplementation(function (this: Transformer, ...args) {
    running++;
    most = Math.max(most, running);
    return realRawPixels.apply(this, args).finally(() => {
      running--;
    });
  });
  try {
    await run();
  } finally {
    rawPixels.mockRestore();
  }
  return most;
}

describe('pool', () => {
  it('runs at most `concurrency` decodes at once', async () => {
    const samples = await openDataset(root, { require: ['txt', 'jpeg'], labels: ['Sea'] }).toArray();
    const most = await mostCoversInFlight(async () => {
      const out = await decodeSamples(Dataset.from(samples).repeat(10), {
        image: { height: 64, width: 64 },
        concurrency: 2,
        require: [],
      }).toArray();
      expect(out.length).toBe(samples.length * 10); // the truncated cover lies in Beach
    });
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(2);
  });

  it('keeps 4 covers per libuv pool thread in flight by default when no video is decoded', async () => {
    const samples = await openDataset(root, { require: ['txt', 'jpeg'], labels: ['Sea'] }).toArray();
    const saved = process.env.UV_THREADPOOL_SIZE;
    process.env.UV_THREADPOOL_SIZE = '2'; // read by the default only: the running pool keeps its size
    try {
      const most = await mostCoversInFlight(async () => {
        await decodeSamples(Dataset.from(samples).repeat(20), { image: { height: 64, width: 64 } }).toArray();
      });
      expect(most).toBeGreaterThan(2);
      expect(most).toBeLessThanOrEqual(8);
    } finally {
      if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = saved;
    }
  });

  it('reads the pool size from UV_THREADPOOL_SIZE (libuv: 4 by default, at most 1024)', () => {
    const saved = process.env.UV_THREADPOOL_SIZE;
    try {
      const sizes = ['', '8', '0', 'x', '5000'].map((value) => {
        process.env.UV_THREADPOOL_SIZE = value;
        return threadPoolSize();
      });
      expect(sizes).toEqual([4, 8, 4, 4, 1024]);
    } finally {
      if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = saved;
    }
  });
});

describe('memory', () => {
  it('stays flat over a long repeat of a small set', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const samples = (await openDataset(root, { require: ['txt', 'jpeg'] }).toArray()).filter(
      (s) => !report.items.some((item) => item.id === s.id && item.bad !== undefined),
    );
    const decoded = decodeSamples(Dataset.from(samples).repeat(), {
      text: { vocab: Vocab.fromTokens(['sea']) },
      image: { height: 16, width: 16, dtype: 'float32', normalize: 'unit' },
      concurrency: 4,
    });
    const it = decoded[Symbol.asyncIterator]();
    const heapAt: number[] = [];
    const rssAt: number[] = [];
    let checksum = 0;
    for (let i = 1; i <= 1600; i++) {
      const r = await it.next();
      checksum += (r.value?.image.data[0] as number) ?? 0;
      if (i === 400 || i === 1600) {
        gc();
        heapAt.push(process.memoryUsage().heapUsed);
        rssAt.push(process.memoryUsage().rss);
      }
    }
    await it.return?.();
    expect(checksum).toBeGreaterThan(0);
    const [heap0, heap1] = heapAt as [number, number];
    const [rss0, rss1] = rssAt as [number, number];
    expect(heap1 - heap0).toBeLessThan(8 * 1024 * 1024);
    expect(rss1 - rss0).toBeLessThan(64 * 1024 * 1024);
  });
});
