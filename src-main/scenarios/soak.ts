// `mchair bench soak`: the long-run check of issue 9. A virtual farm of N agents (local
// processes) runs a no-op pipeline that spans every one of them (a few stages, each with
// data-parallel replicas), frames stream for a given time (unpaced, or at --fps), and the
// coordinator's and every agent's resident memory is sampled throughout. It answers two
// questions: does any process keep growing once warm (a leak), and does the data plane lose or
// duplicate a frame over a long run. The protocol, TLS, credits and routing are the real ones;
// only the model is a no-op.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, type Manifest } from '../contract/index';
import { startEphemeralFarm } from '../farm/ephemeral';
import { placeParts } from '../farm/parts';
import type { Logger } from '../log';
import { Coordinator, type RunOutcome } from '../runtime/coordinator';
import { DEFAULT_WINDOW } from './bench';
import { deploymentOf } from '../runtime/deployment';
import { NOOP_ANSWER_BYTES, writeNoopPart } from './noop';
import { RssWatch, type RssGrowth } from './rss';
import { syntheticSource } from '../runtime/source';

/**
 * Frames go in as fast as the credits allow (fps 0) by default: at a steady low rate the router's
 * least-loaded choice always finds the first replica of a stage idle, so the other replicas would
 * carry almost nothing; saturated, every agent works and a leak per frame shows soonest.
 */
export const SOAK_DEFAULTS = { minutes: 30, devices: 12, stages: 3, fps: 0 } as const;

/** RSS is sampled this often (the agents report theirs once a second). */
export const SAMPLE_EVERY_MS = 2000;
/**
 * The frames the first stage gets (later stages pass 4 KB on): small, so the soak exercises
 * framing, TLS, credits and routing many times a second rather than bulk bandwidth.
 */
const FRAME_BYTES = 16_384;
/** The trace in the figures: each process's peak RSS in each tenth of the run. */
const TRACE_SLICES = 10;

/**
 * Warm-up: the later of 30 s and the first 20% of the run. In the first seconds every process
 * allocates for good (TLS sessions and socket buffers per peer, onnxruntime's arena on the first
 * inferences, the V8 heap growing to the size its collector settles at under this load): at 100
 * frames/s the agents are flat by 30 s, so that is the floor for the 2-minute CI run. Unpaced,
 * settling takes minutes (30-minute run: agents' RSS peaks in the first 3 minutes, then lower and
 * flat), so long runs skip their first 20%, still leaving 80% of the run for a leak to show.
 */
export function warmupMs(durationMs: number): number {
  return Math.max(30_000, 0.2 * durationMs);
}

export interface SoakFigures {
  minutes: number;
  devices: number;
  /** Agent ids per stage (the stage's data-parallel replicas). */
  stages: string[][];
  targetFps: number;
  frames: { sent: number; completed: number; lost: number; duplicated: number };
  /** Completed frames per second between the end of warm-up and the end of feeding. */
  fps: number;
  warmupS: number;
  wallS: number;
  /** Per process (coordinator first), and the one that grew most; trace in MB per tenth. */
  rss: { processes: RssGrowth[]; worst: RssGrowth; traceMB: Record<string, number[]> };
  /** Agents of the plan that carried no frame (should be none). */
  idle: string[];
}

/** Splits `devices` agents into `stages` stages of near-equal replica counts. */
export function stageAgents(devices: number, stages: number): string[][] {
  if (stages < 1 || devices < stages)
    throw new AppError('SOAK_SHAPE', `${devices} devices cannot fill ${stages} stages`);
  const ids = Array.from({ length: devices }, (_, i) => `d${String(i).padStart(2, '0')}`);
  return Array.from({ length: stages }, (_, s) => ids.filter((_, i) => i % stages === s));
}

/** A pipeline of `stages` no-op stages, one part each: frame bytes -> 4 KB -> 4 KB -> ... */
async function writeNoopPipeline(dir: string, stages: number, bytes: number): Promise<Manifest> {
  const name = (s: number) => (s === 0 ? 'input' : `act${s}`);
  const parts = [];
  for (let s = 0; s < stages; s++)
    parts.push(
      await writeNoopPart(dir, {
        file: `noop${s}.onnx`,
        input: name(s),
        output: name(s + 1),
        bytes: s === 0 ? bytes : Math.min(NOOP_ANSWER_BYTES, bytes),
      }),
    );
  return {
    model: 'noop-pipeline',
    input: { name: 'input', dtype: 'uint8', shape: [1, bytes] },
    output: name(stages),
    stages: parts.map((p, s) => ({ id: `s${s}`, parts: [p] })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => Math.round(b / 2 ** 20);

/**
 * Every SAMPLE_EVERY_MS: the coordinator's RSS and each agent's latest reported one into a
 * watch, the frames completed when warm-up ends, and a progress line a minute (log level info).
 */
function sampleRss(o: {
  start: number;
  warmMs: number;
  /** Latest RSS each agent reported (telemetry); emptied at each sample. */
  agentRss: Map<string, number>;
  completed: () => number;
  log: Logger;
}): { watch: RssWatch; warmCompleted(): number; stop(): void } {
  const watch = new RssWatch();
  let warmCompleted = 0;
  let nextProgressMs = 60_000;
  const timer = setInterval(() => {
    const at = performance.now() - o.start;
    watch.record('coordinator', at, process.memoryUsage.rss());
    for (const [id, b] of o.agentRss) watch.record(id, at, b);
    const agents = [...o.agentRss.values()].map(mb);
    // Only fresh reports count: an agent that stops reporting has no samples, which fails it.
    o.agentRss.clear();
    if (warmCompleted === 0 && at >= o.warmMs) warmCompleted = o.completed();
    if (at >= nextProgressMs) {
      nextProgressMs += 60_000;
      o.log.info(
        {
          minute: Math.round(at / 60_000),
          completed: o.completed(),
          coordinatorMB: mb(process.memoryUsage.rss()),
          agentMB: { min: Math.min(...agents), max: Math.max(...agents) },
        },
        'soak',
      );
    }
  }, SAMPLE_EVERY_MS);
  return { watch, warmCompleted: () => warmCompleted, stop: () => clearInterval(timer) };
}

export async function runSoak(o: {
  minutes: number;
  devices?: number;
  stages?: number;
  /** Frames offered per second; 0 feeds as fast as the credits allow. */
  fps?: number;
  log: Logger;
}): Promise<SoakFigures> {
  const devices = o.devices ?? SOAK_DEFAULTS.devices;
  const targetFps = o.fps ?? SOAK_DEFAULTS.fps;
  const plan = stageAgents(devices, o.stages ?? SOAK_DEFAULTS.stages);
  const durationMs = o.minutes * 60_000;
  const warmMs = warmupMs(durationMs);
  const dir = await mkdtemp(join(tmpdir(), 'mchair-soak-'));
  const farm = await startEphemeralFarm({ agents: plan.flat().map((id) => ({ id })), threads: 1 });
  try {
    const manifest = await placeParts(
      await writeNoopPipeline(dir, plan.length, FRAME_BYTES),
      dir,
      farm.partsDir,
    );
    // One synthetic frame reused: the source must not be what is measured.
    const source = syntheticSource(manifest.input);
    const frame = await source.frame(0);
    let t0 = 0;
    const agentRss = new Map<string, number>();
    let completed = 0;
    const coordinator = new Coordinator({
      runId: `soak-${Date.now()}`,
      plan: deploymentOf(
        manifest,
        plan.map((replicas) => [replicas]),
        farm.agents,
      ),
      agents: farm.agents,
      identity: farm.coordinator,
      sinkHost: '127.0.0.1',
      source: {
        ...source,
        // With --fps, a steady rate as from a camera; late frames are sent at once (catch-up).
        frame: async (id) => {
          if (targetFps > 0) {
            t0 ||= performance.now();
            const wait = t0 + (id * 1000) / targetFps - performance.now();
            if (wait > 1) await sleep(wait);
          }
          return frame;
        },
      },
      frames: Number.MAX_SAFE_INTEGER,
      window: DEFAULT_WINDOW,
      log: o.log,
      onResult: () => {
        completed++;
      },
      onTelemetry: (t) => agentRss.set(t.agentId, t.rssBytes),
    });
    try {
      await coordinator.deploy();
      const start = performance.now();
      const sampler = sampleRss({
        start,
        warmMs,
        agentRss,
        completed: () => completed,
        log: o.log,
      });
      // Feeding ends at the deadline, or earlier if the run stops by itself (an agent left).
      let fed: { ms: number; completed: number } | null = null;
      const feedEnd = () => (fed ??= { ms: performance.now() - start, completed });
      const deadline = setTimeout(() => {
        feedEnd();
        coordinator.stop();
      }, durationMs);
      let out: RunOutcome;
      try {
        out = await coordinator.run();
      } finally {
        sampler.stop();
        clearTimeout(deadline);
      }
      const { ms: fedMs, completed: fedCompleted } = feedEnd();
      // The end is when feeding stops, before the last frames drain.
      const processes = sampler.watch.growth(warmMs, fedMs);
      const traceMB = Object.fromEntries(
        [...sampler.watch.trace(fedMs, TRACE_SLICES)].map(([id, t]) => [id, t.map(mb)]),
      );
      const worst = processes.reduce((a, b) =>
        Number.isNaN(b.growthPct) || b.growthPct > a.growthPct ? b : a,
      );
      const afterWarmS = (fedMs - warmMs) / 1000;
      return {
        minutes: o.minutes,
        devices,
        stages: plan,
        targetFps,
        frames: {
          sent: out.sent,
          completed: out.completed,
          lost: out.lost,
          duplicated: out.duplicated,
        },
        fps: afterWarmS > 0 ? (fedCompleted - sampler.warmCompleted()) / afterWarmS : 0,
        warmupS: warmMs / 1000,
        wallS: out.wallMs / 1000,
        rss: { processes, worst, traceMB },
        idle: out.devices.filter((d) => d.bytesIn === 0).map((d) => d.id),
      };
    } finally {
      await coordinator.close();
    }
  } finally {
    await farm.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
