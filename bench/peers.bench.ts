/**
 * @module peers.bench — reelset end to end (plain, ndarray, tf.data) against a PyTorch DataLoader with PyAV and
 * with OpenCV seeking, and against the decode limit of the npm-shipped ffmpeg, on 64 clips like the real ones.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFfmpeg, toolPath } from '../src/loaders/decode/ffmpeg.js';
import { readMp4VideoTrack } from '../src/loaders/decode/mp4-boxes.js';
import { prunedStream } from '../src/loaders/decode/pruned-stream.js';
import { LABELS } from '../src/loaders/layout/labels.js';
import { synthesize } from '../src/synth/index.js';
import { frameCount } from '../src/synth/video.js';
import { forEachLimit } from '../src/util/concurrency.js';
import { type BenchResult, median, now, realLikeClipArgs, result, runPeer, secondsSince } from './harness.js';
import { cpuTimes, type TreePeaks, TreeSampler } from './peers/proc.js';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const ROUNDS = Number(process.env.REELSET_PEERS_ROUNDS ?? 3);
const PASSES = 2;
const BATCH = 32;
const WORKERS = 2;
/**
 * Eight groups of 8 items (4 labels x 2), each group's clips around its own length in whole seconds (so the
 * `.txt`'s `mp4_time` is right) and each clip 0.1 s apart from the next: 64 distinct durations, mean 14.6 s.
 */
const GROUP_SECONDS = [9, 11, 13, 14, 15, 16, 18, 21];
/** Debian's packages of the Python peers, by the module they provide. */
const PACKAGES: Record<string, string> = {
  numpy: 'python3-numpy',
  torch: 'python3-torch',
  PIL: 'python3-pil',
  av: 'python3-av',
  cv2: 'python3-opencv',
};

/** What one loader run reported, and the memory of its process tree. */
interface Run {
  seconds: number[];
  samples: number[];
  cpuSelf: number;
  cpuChildren: number;
  /** Peak RSS of the main process: VmHWM (Node) or ru_maxrss SELF (Python), KiB. */
  mainKiB: number;
  /** ru_maxrss CHILDREN (Python: the largest DataLoader worker), KiB; 0 for Node. */
  childKiB: number;
  wallSec: number;
  tree: TreePeaks;
  wanted: Record<string, number[]>;
  extra: string;
}

/** A loader: how to run it once (PASSES passes) in its own process. */
interface Loader {
  name: string;
  run: () => Promise<Run>;
}

function fmt(values: readonly number[], digits = 2): string {
  return values.map((v) => v.toFixed(digits)).join(', ');
}

/** samples / second over all passes of a run. */
function rate(run: Run): number {
  return run.samples.reduce((a, b) => a + b, 0) / run.seconds.reduce((a, b) => a + b, 0);
}

/** The modules among PACKAGES that Debian's python3 cannot import. */
async function missingModules(): Promise<string[]> {
  const script = `import importlib, json\nmissing = []\nfor m in ${JSON.stringify(Object.keys(PACKAGES))}:\n    try:\n        importlib.import_module(m)\n    except Exception:\n        missing.append(m)\nprint(json.dumps(missing))`;
  try {
    return JSON.parse((await runPeer(PYTHON, ['-c', script])).stdout) as string[];
  } catch {
    return Object.keys(PACKAGES);
  }
}

/**
 * Installs the Debian packages of the modules Debian's python3 lacks (`apt-get install -y`, as root), one by
 * one after a failed all-in-one install, so that one package that cannot be installed skips only its peer.
 * Gives the modules still missing and a note of what was done.
 */
async function ensurePackages(): Promise<{ missing: Set<string>; note: string }> {
  const missing = await missingModules();
  if (missing.length === 0) {
    return { missing: new Set(), note: `Debian packages present (${Object.values(PACKAGES).join(', ')})` };
  }
  const wanted = missing.map((m) => PACKAGES[m] as string);
  const steps: string[] = [];
  const install = async (packages: string[]): Promise<boolean> => {
    const start = now();
    try {
      await runPeer('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
      steps.push(`installed ${packages.join(' ')} (${secondsSince(start).toFixed(0)} s)`);
      return true;
    } catch (err) {
      const why = err instanceof Error ? (err.message.split('\n').findLast((l) => l.trim()) ?? '') : '';
      steps.push(`apt-get install ${packages.join(' ')} failed: ${why.slice(0, 200)}`);
      return false;
    }
  };
  if (process.getuid?.() !== 0) {
    steps.push(`not root: cannot run apt-get install -y ${wanted.join(' ')}`);
  } else if (!(await install(wanted))) {
    await runPeer('apt-get', ['update']).catch(() => undefined);
    for (const pkg of wanted) await install([pkg]);
  }
  const still = await missingModules();
  return {
    missing: new Set(still),
    note: `this bench ran apt-get for ${wanted.join(', ')}: ${steps.join('; ')}${still.length > 0 ? `; still missing modules: ${still.join(', ')}` : ''}`,
  };
}

/** Synthesizes the 64 items (text, cover, layout) and replaces each clip by one like the real ones. */
async function makeSet(root: string): Promise<{ clips: string[]; durations: number[]; seconds: number }> {
  const start = now();
  const jobs: { path: string; seconds: number; seed: number }[] = [];
  for (const [g, seconds] of GROUP_SECONDS.entries()) {
    const labels = [0, 1, 2, 3].map((k) => LABELS[(4 * g + k) % LABELS.length]?.name as string);
    const report = await synthesize(root, { labels, perLabel: 2, seconds, seed: 100 + g, force: true });
    for (const [k, item] of report.items.entries()) {
      if (item.files.mp4)
        jobs.push({ path: item.files.mp4, seconds: seconds + (k - 3.5) / 10, seed: jobs.length + 1 });
    }
  }
  await forEachLimit(jobs, os.availableParallelism(), async (job) => {
    await runPeer(toolPath('ffmpeg'), realLikeClipArgs(frameCount(job.seconds), job.path, job.seed));
  });
  return {
    clips: jobs.map((j) => j.path),
    durations: jobs.map((j) => j.seconds),
    seconds: secondsSince(start),
  };
}

/** ffprobe: per clip frames, keyframes (packet flags, no decoding) and B-frame reordering; one clip's frame types. */
async function checkClips(clips: readonly string[]): Promise<string> {
  const ffprobe = toolPath('ffprobe');
  const keyframes: number[] = [];
  const frames: number[] = [];
  const bitrates: number[] = [];
  let reorder = 0;
  for (const clip of clips) {
    const run = await runPeer(ffprobe, [
      ...['-v', 'error', '-select_streams', 'v:0', '-of', 'json'],
      ...['-show_entries', 'stream=nb_frames,has_b_frames,bit_rate,profile:packet=flags', clip],
    ]);
    const json = JSON.parse(run.stdout) as {
      streams: { nb_frames: string; has_b_frames: number; bit_rate: string }[];
      packets: { flags: string }[];
    };
    const stream = json.streams[0];
    keyframes.push(json.packets.filter((p) => p.flags.includes('K')).length);
    frames.push(Number(stream?.nb_frames));
    bitrates.push(Number(stream?.bit_rate) / 1000);
    if ((stream?.has_b_frames ?? 0) > 0) reorder++;
  }
  // Frame types of the clip nearest 15.4 s (369 frames, as the real one): this one decodes.
  const target = frames.reduce(
    (best, f, i) => (Math.abs(f - 369) < Math.abs((frames[best] ?? 0) - 369) ? i : best),
    0,
  );
  const types = (
    await runPeer(ffprobe, [
      ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pict_type', '-of', 'csv=p=0'],
      clips[target] as string,
    ])
  ).stdout
    .split('\n')
    .map((l) => l.replace(/[^IPB]/g, ''))
    .filter(Boolean);
  const count = (t: string): number => types.filter((x) => x === t).length;
  return (
    `clips (ffprobe): ${Math.min(...frames)}-${Math.max(...frames)} frames, ${new Set(frames).size} distinct lengths, ` +
    `keyframes a clip ${Math.min(...keyframes)}-${Math.max(...keyframes)}, B-frame reordering in ${reorder}/${clips.length}, ` +
    `${Math.min(...bitrates).toFixed(0)}-${Math.max(...bitrates).toFixed(0)} kbit/s; the ${frames[target]}-frame clip: ` +
    `I ${count('I')}, P ${count('P')}, B ${count('B')} (the real 369-frame clip: 2 keyframes, 253 B-frames)`
  );
}

/** Runs a command in its own process while sampling the memory of its process tree. */
async function sampled(
  command: string,
  args: readonly string[],
): Promise<{ stdout: string; wallSec: number; tree: TreePeaks }> {
  const sampler = new TreeSampler();
  let run: Awaited<ReturnType<typeof runPeer>>;
  try {
    run = await runPeer(command, args);
  } finally {
    sampler.stop();
  }
  return { stdout: run.stdout, wallSec: run.wallSec, tree: sampler.stop() };
}

function reelsetLoader(root: string, adapter: string): Loader {
  return {
    name: `reelset ${adapter}`,
    run: async () => {
      const out = await sampled(process.execPath, [
        ...process.execArgv,
        join(here, 'peers', 'reelset-loader.ts'),
        ...[root, adapter, String(PASSES), String(BATCH)],
      ]);
      const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) throw new Error(`reelset-loader ${adapter} printed no result`);
      const r = JSON.parse(line.slice('RESULT '.length)) as {
        seconds: number[];
        samples: number[];
        vmHwmKiB: number;
        cpuSelf: number;
        cpuChildren: number;
        backend: string;
        wanted: Record<string, number[]>;
      };
      return {
        ...r,
        mainKiB: r.vmHwmKiB,
        childKiB: 0,
        wallSec: out.wallSec,
        tree: out.tree,
        extra: r.backend ? `tfjs backend ${r.backend}` : '',
      };
    },
  };
}

function torchLoader(root: string, mode: 'pyav' | 'opencv-seek'): Loader {
  return {
    name: `torch ${mode}`,
    run: async () => {
      const out = await sampled(PYTHON, [
        join(here, 'peers', 'torch_loader.py'),
        ...[root, mode, String(PASSES), String(BATCH), String(WORKERS)],
      ]);
      const r = JSON.parse(out.stdout) as {
        seconds: number[];
        samples: number[];
        maxrssSelfKiB: number;
        maxrssChildrenKiB: number;
        cpuSelf: number;
        cpuChildren: number;
        versions: string;
        shapes: Record<string, unknown[]>;
        wanted: Record<string, number[]>;
      };
      return {
        ...r,
        mainKiB: r.maxrssSelfKiB,
        childKiB: r.maxrssChildrenKiB,
        wallSec: out.wallSec,
        tree: out.tree,
        extra: `${r.versions}; batch ${Object.entries(r.shapes)
          .map(([k, v]) => `${k} ${v.join('x')}`)
          .join(', ')}`,
      };
    },
  };
}

/**
 * One pass of the decode limit: one `ffmpeg -threads 1` per clip decoding up to its last wanted frame into
 * the null muxer, as many at once as cores; the CPU seconds (user + system) they used, summed.
 */
async function decodeLimitPass(lastFrames: ReadonlyMap<string, number>): Promise<number> {
  const ffmpeg = toolPath('ffmpeg');
  const before = cpuTimes().children;
  await forEachLimit([...lastFrames], os.availableParallelism(), async ([clip, last]) => {
    await runPeer(ffmpeg, [
      ...['-hide_banner', '-nostdin', '-v', 'error', '-threads', '1', '-i', clip, '-an'],
      ...['-frames:v', String(last + 1), '-f', 'null', '-'],
    ]);
  });
  return cpuTimes().children - before;
}

/**
 * The streams of the pruned decode limit: each clip's H.264 up to its last wanted frame without the frames
 * nothing refers to ({@link prunedStream}), the least decoding that gives exactly the wanted frames.
 */
async function prunedStreams(wanted: ReadonlyMap<string, number[]>): Promise<Uint8Array[][]> {
  const streams: Uint8Array[][] = [];
  for (const [clip, frames] of wanted) {
    const track = await readMp4VideoTrack(clip);
    const pruned = track && (await prunedStream(clip, track, frames));
    if (!pruned) throw new Error(`${clip} cannot be pruned: the pruned decode limit needs every clip`);
    streams.push(pruned.stream);
  }
  return streams;
}

/** One pass of the pruned decode limit: like {@link decodeLimitPass}, each stream on ffmpeg's stdin. */
async function prunedLimitPass(streams: readonly Uint8Array[][]): Promise<number> {
  const before = cpuTimes().children;
  await forEachLimit([...streams], os.availableParallelism(), async (stream) => {
    await runFfmpeg(
      ['-hide_banner', '-v', 'error', '-threads', '1', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'],
      {
        input: stream,
      },
    );
  });
  return cpuTimes().children - before;
}

/** The commit measured, and whether src/ differs from it (the library may change between two runs). */
async function gitState(): Promise<string> {
  try {
    const head = (await runPeer('git', ['rev-parse', '--short', 'HEAD'], { cwd: here })).stdout.trim();
    const dirty = (await runPeer('git', ['status', '--porcelain', '--', 'src'], { cwd: join(here, '..') }))
      .stdout;
    return `${head}${dirty.trim() ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/** The memory and CPU figures of a loader's runs, for the notes. */
function describe(name: string, runs: readonly Run[]): string {
  const mib = (kib: number): string => (kib / 1024).toFixed(0);
  const samples = runs.map((r) => r.samples.reduce((a, b) => a + b, 0));
  const cpu = runs.map((r, i) => (r.cpuSelf + r.cpuChildren) / (samples[i] as number));
  const last = runs.at(-1) as Run;
  return (
    `${name}: ${fmt(runs.map(rate))} samples/s (passes ${runs.map((r) => fmt(r.seconds.map((s, i) => (r.samples[i] as number) / s))).join(' | ')}), ` +
    `${fmt(cpu, 3)} CPU s a sample, ${fmt(runs.map((r) => (r.cpuSelf + r.cpuChildren) / r.seconds.reduce((a, b) => a + b, 0)))} cores busy, process walls ${fmt(
      runs.map((r) => r.wallSec),
      1,
    )} s; peak RSS main ` +
    `${runs.map((r) => mib(r.mainKiB)).join('/')} MiB${last.childKiB > 0 ? `, largest worker ${runs.map((r) => mib(r.childKiB)).join('/')} MiB` : ''}, ` +
    `tree (sampled every 200 ms) RSS ${runs.map((r) => r.tree.rssMiB.toFixed(0)).join('/')} MiB, PSS ${runs.map((r) => r.tree.pssMiB.toFixed(0)).join('/')} MiB, ` +
    `up to ${Math.max(...runs.map((r) => r.tree.processes))} processes${last.extra ? `; ${last.extra}` : ''}`
  );
}

/**
 * The benchmark: synthesizes the set, installs the Python peers' Debian packages when missing, runs every
 * loader and the decode limit in rounds, and gives the rows (ratios of medians, every figure in the notes).
 *
 * @example
 * ```ts
 * // node --import tsx bench/run.ts peers   (or: npm run bench -- peers)
 * const rows = await bench();
 * console.log(rows.map((r) => `${r.name}: ${r.ratio.toFixed(2)}x`));
 * ```
 */
export default async function bench(): Promise<BenchResult[]> {
  const started = now();
  const load = [os.loadavg()[0] as number];
  const commit = await gitState();
  const packages = await ensurePackages();
  const root = await mkdtemp(join(os.tmpdir(), 'reelset-bench-peers-'));
  try {
    const set = await makeSet(root);
    const clipNote = await checkClips(set.clips);
    const labelCount = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).length;
    const loaders: Loader[] = [
      reelsetLoader(root, 'plain'),
      reelsetLoader(root, 'ndarray'),
      reelsetLoader(root, 'tf.data'),
    ];
    const skipped: Record<string, string> = {};
    const peerNeeds: [string, 'pyav' | 'opencv-seek', string[]][] = [
      ['torch pyav', 'pyav', ['numpy', 'torch', 'PIL', 'av']],
      ['torch opencv-seek', 'opencv-seek', ['numpy', 'torch', 'PIL', 'cv2']],
    ];
    for (const [name, mode, needs] of peerNeeds) {
      const lacking = needs.filter((m) => packages.missing.has(m));
      if (lacking.length > 0) skipped[name] = `skipped: Debian's python3 cannot import ${lacking.join(', ')}`;
      else loaders.push(torchLoader(root, mode));
    }
    const runs: Record<string, Run[]> = {};
    for (const loader of loaders) runs[loader.name] = [];
    const limitCpu: number[] = [];
    const prunedCpu: number[] = [];
    let lastFrames = new Map<string, number>();
    let streams: Uint8Array[][] = [];
    // Rounds: each loader once (PASSES passes in a fresh process), then the decode limit; medians over rounds.
    for (let round = 0; round < ROUNDS; round++) {
      for (const loader of loaders) {
        const run = await loader.run();
        runs[loader.name]?.push(run);
        if (round === 0 && loader.name === 'reelset plain') {
          lastFrames = new Map(Object.entries(run.wanted).map(([clip, w]) => [clip, Math.max(...w)]));
          streams = await prunedStreams(new Map(Object.entries(run.wanted)));
        }
      }
      limitCpu.push(await decodeLimitPass(lastFrames));
      prunedCpu.push(await prunedLimitPass(streams));
      load.push(os.loadavg()[0] as number);
    }
    const cores = os.availableParallelism();
    const clips = lastFrames.size;
    const limits = limitCpu.map((cpu) => cores / (cpu / clips));
    const limit = median(limits);
    const prunedLimits = prunedCpu.map((cpu) => cores / (cpu / clips));
    const prunedLimit = median(prunedLimits);
    const medianRate = (name: string): number => {
      const list = runs[name];
      return list && list.length > 0 ? median(list.map(rate)) : Number.NaN;
    };
    const plain = medianRate('reelset plain');
    const ndarray = medianRate('reelset ndarray');
    const tfdata = medianRate('reelset tf.data');
    const pyav = medianRate('torch pyav');
    const opencv = medianRate('torch opencv-seek');

    // Do the peers decode the frames reelset decodes?
    const reelsetWanted = runs['reelset plain']?.[0]?.wanted ?? {};
    const sameFrames = loaders
      .filter((l) => l.name.startsWith('torch'))
      .map((l) => {
        const theirs = runs[l.name]?.[0]?.wanted ?? {};
        const same = Object.entries(reelsetWanted).every(
          ([clip, f]) => JSON.stringify(theirs[clip]) === JSON.stringify(f),
        );
        return `${l.name}: ${same ? 'the same frames as reelset' : 'OTHER frames than reelset'}`;
      })
      .join(', ');
    const work =
      `work: ${clips} items (${labelCount} labels), ${PASSES} passes, batches of ${BATCH}: 25 token ids, cover 224x224 float32 [0,1], ` +
      `8 uniform frames 112x112 float32 [0,1]; each loader in a fresh process, ${ROUNDS} rounds (plain, ndarray, tf.data, ` +
      `PyAV, OpenCV seek, decode limit), median of the rounds; a run's samples/s = samples / summed pass seconds timed ` +
      `inside its process (vocabulary and imports before the clock). ${clipNote}; synthesis ${set.seconds.toFixed(0)} s`;
    const machine = `code ${commit}; ${cores} cores (os.availableParallelism), load average ${fmt(load)} (start, after each round); ${packages.note}`;
    const details = loaders.map((l) => describe(l.name, runs[l.name] ?? [])).join('. ');
    const limitNote =
      `decode limit = ${cores} cores / mean CPU s a clip of ${toolPath('ffmpeg')} -threads 1 decoding each clip up to its ` +
      `last wanted frame (-frames:v last+1 -f null -), ${cores} at once, user+sys of the reaped children: ` +
      `${fmt(
        limitCpu.map((c) => c / clips),
        3,
      )} CPU s a clip -> ${fmt(limits)} samples/s; pruned decode limit = the same over each clip's H.264 without the ` +
      `frames nothing refers to (what decodeVideo feeds ffmpeg for exact frames), on stdin: ${fmt(
        prunedCpu.map((c) => c / clips),
        3,
      )} CPU s a clip -> ${fmt(prunedLimits)} samples/s`;
    const skipNote = (name: string): string => (skipped[name] ? `${name} ${skipped[name]}. ` : '');
    const notes = (ratio: string): string =>
      `${ratio}. ${skipNote('torch pyav')}${skipNote('torch opencv-seek')}${work}. ${limitNote}. ${sameFrames ? `${sameFrames}. ` : ''}${details}. ${machine}; ${secondsSince(started).toFixed(0)} s in all`;
    const pyavName = 'PyTorch DataLoader (2 workers) + Pillow + PyAV decoding once';
    const rows: BenchResult[] = [
      result({
        name: `peers: reelset plain vs ${pyavName}`,
        reelset: plain,
        peer: pyav,
        ratio: plain / pyav,
        goal: 1.25,
        unit: 'samples/s',
        notes: notes('ratio = reelset plain samples/s / PyAV peer samples/s'),
      }),
      result({
        name: `peers: reelset ndarray vs ${pyavName}`,
        reelset: ndarray,
        peer: pyav,
        ratio: ndarray / pyav,
        goal: 1.25,
        unit: 'samples/s',
        notes:
          'ratio = reelset ndarray samples/s / PyAV peer samples/s; the same run as the row above (its notes have every figure)',
      }),
      result({
        name: 'peers: reelset plain vs PyTorch DataLoader (2 workers) + Pillow + OpenCV seeking each frame',
        reelset: plain,
        peer: opencv,
        ratio: plain / opencv,
        goal: 3,
        unit: 'samples/s',
        notes:
          `ratio = reelset plain samples/s / OpenCV-seek peer samples/s (CAP_PROP_POS_FRAMES then read() per wanted frame); same run. ${skipNote('torch opencv-seek')}`.trim(),
      }),
      result({
        name: 'peers: reelset tf.data vs reelset plain',
        reelset: tfdata,
        peer: plain,
        ratio: tfdata / plain,
        goal: 0.9,
        unit: 'samples/s',
        notes: `ratio = tf.data samples/s / plain samples/s (toTfDataset batchSize ${BATCH}, each batch disposed); same run`,
      }),
      result({
        name: 'peers: reelset plain vs the decode limit (npm ffmpeg, threads 1, all cores)',
        reelset: plain,
        peer: limit,
        ratio: plain / limit,
        goal: 0.85,
        unit: 'samples/s',
        notes: `ratio = reelset plain samples/s / decode limit samples/s. ${limitNote}`,
      }),
      result({
        name: 'peers: reelset plain vs the pruned decode limit (the least decoding that gives the exact frames)',
        reelset: plain,
        peer: prunedLimit,
        ratio: plain / prunedLimit,
        goal: 0,
        unit: 'samples/s',
        notes: `reported, no goal (the issue's limit is the row above): ratio = reelset plain samples/s / pruned decode limit samples/s, how close the loader comes to the decoding it asks of ffmpeg; the rest is the cover, the pixel conversion and the process spawns; same run`,
      }),
      result({
        name: 'peers: reelset ndarray vs the decode limit',
        reelset: ndarray,
        peer: limit,
        ratio: ndarray / limit,
        goal: 0.85,
        unit: 'samples/s',
        notes: 'ratio = reelset ndarray samples/s / decode limit samples/s; same run',
      }),
    ];
    const peakPss = (name: string): number => median((runs[name] ?? []).map((r) => r.tree.pssMiB));
    rows.push(
      result({
        name: 'peers: peak memory (process tree PSS), reelset plain vs the PyAV peer',
        reelset: peakPss('reelset plain'),
        peer: peakPss('torch pyav'),
        ratio: peakPss('torch pyav') / peakPss('reelset plain'),
        goal: 0,
        unit: 'MiB',
        notes: `reported, no goal: ratio = PyAV peer MiB / reelset MiB, medians over rounds of the peak of the summed PSS of each loader's process tree (main process, DataLoader workers or ffmpeg/ffprobe children), sampled every 200 ms. Per loader: ${loaders
          .map((l) => {
            const list = runs[l.name] ?? [];
            return `${l.name} main ${median(list.map((r) => r.mainKiB / 1024)).toFixed(0)} MiB${l.name.startsWith('torch') ? ` + largest worker ${median(list.map((r) => r.childKiB / 1024)).toFixed(0)} MiB` : ''}, tree RSS ${median(list.map((r) => r.tree.rssMiB)).toFixed(0)} MiB, PSS ${peakPss(l.name).toFixed(0)} MiB`;
          })
          .join('; ')}`,
      }),
    );
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
