// Recorded runs for report tests, made the way real runs are: the store's RunRecorder, a power
// session over simulated meters on real sockets (or an emulated farm), metrics each "second".
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRepeat, RunSummary } from '../../../src-main/contract/index';
import type { Plan } from '../../../src-main/contract/plan';
import { EmulatedMeter } from '../../../src-main/power/emulated';
import {
  runEnergy,
  sessionMeters,
  startPowerSession,
  type SessionMeter,
} from '../../../src-main/power/session';
import { RunRecorder } from '../../../src-main/store/runs';

export const PLAN: Plan = {
  version: 1,
  model: 'alexnet-mc',
  origin: 'paper-5',
  objective: 'ips',
  stages: [
    {
      id: 's0',
      firstLayer: 'conv1',
      lastLayer: 'flatten',
      input: 'input',
      output: 'flat',
      parts: [{ id: 's0.p0', devices: ['pi-1'] }],
    },
    {
      id: 's1',
      firstLayer: 'fc_1',
      lastLayer: 'fc_1',
      input: 'flat',
      output: 'fc1',
      parts: [
        { id: 's1.p0', channels: [0, 2048], devices: ['pi-2'] },
        { id: 's1.p1', channels: [2048, 4096], devices: ['pi-3'] },
      ],
    },
    {
      id: 's2',
      firstLayer: 'fc_2',
      lastLayer: 'fc_3',
      input: 'fc1',
      output: 'probs',
      parts: [{ id: 's2.p0', devices: ['pi-4'] }],
    },
  ],
  devices: ['pi-1', 'pi-2', 'pi-3', 'pi-4'].map((device, i) => ({
    device,
    profile: 'pi3',
    profileSource: 'built in',
    stage: `s${Math.min(2, i === 0 ? 0 : i < 3 ? 1 : 2)}`,
    part: null,
    memoryBytes: 1e8,
    memoryBudgetBytes: 7.8e8,
    utilisation: 0.6,
    ips: 4.3,
    frameSeconds: 0.2,
  })),
  prediction: {
    ips: 4.3,
    latencyMs: 700,
    computeBoundIps: 7.6,
    staticJ: 1.5,
    dynamicJ: 0.8,
    media: [],
    bottleneck: { kind: 'stage', where: 's0', ips: 4.3, why: 'conv stack on one Pi 3' },
    suggestions: [],
    basis: 'emulated',
  },
};

/** Records a run of `seconds` with the given meters, `ips` inferences per second on `devices`. */
export async function recordRun(
  dataDir: string,
  opts: {
    model: string;
    meters: SessionMeter[];
    ips: number;
    seconds: number;
    devices: string[];
    emulated: boolean;
    plan?: Plan;
    onRunStart?: () => void;
    repeat?: RunRepeat;
  },
): Promise<RunSummary> {
  const rec = await RunRecorder.create(dataDir, {
    kind: 'run',
    model: opts.model,
    frames: Math.round(opts.ips * opts.seconds),
    ...(opts.repeat ? { repeat: opts.repeat } : {}),
  });
  if (opts.plan) await rec.writeFile('plan.json', JSON.stringify(opts.plan));
  const session = await startPowerSession({
    meters: opts.meters,
    idleSeconds: 0.4,
    runDir: rec.dir,
  });
  opts.onRunStart?.();
  await rec.setState('running');
  const steps = 4;
  for (let i = 1; i <= steps; i++) {
    await new Promise((r) => setTimeout(r, (opts.seconds * 1000) / steps));
    const t = (opts.seconds * i) / steps;
    rec.metrics({
      runId: rec.id,
      t,
      sent: Math.round(opts.ips * t) + 2,
      completed: Math.round(opts.ips * t),
      dropped: 0,
      ips: opts.ips * (0.9 + 0.05 * i),
      latencyP50Ms: 200,
      latencyP95Ms: 260,
      devices: opts.devices.map((device, k) => ({
        device,
        fps: opts.ips,
        utilisation: 0.4 + 0.1 * k,
        computeMs: 100 + k,
        emulated: opts.emulated,
      })),
    });
  }
  const completed = Math.round(opts.ips * opts.seconds);
  // The whole run is its window here: a stand-in run has no warm-up or fill.
  const summary = await session.stop({ fromMs: session.runStartMs, toMs: session.clock.now() });
  const seconds = (summary.window!.toMs - summary.window!.fromMs) / 1000;
  const energy = runEnergy(summary, { frames: completed, ips: opts.ips }, completed);
  const window = { fromS: 0, toS: seconds, seconds, frames: completed };
  return rec.finish('done', { completed, ips: opts.ips, window, energy });
}

/** An alexnet-mc run on an emulated farm of two Pi 3 profiles, idle until the run, then 70% busy. */
export function recordEmulatedRun(
  dataDir: string,
  more: { ips?: number; repeat?: RunRepeat } = {},
): Promise<RunSummary> {
  let running = false;
  const meter = new EmulatedMeter(
    [
      { device: 'e-1', idleW: 1.3, fullW: 6.5 },
      { device: 'e-2', idleW: 1.3, fullW: 6.5 },
    ],
    () => (running ? 0.7 : 0),
    { kind: 'farm' },
  );
  return recordRun(dataDir, {
    model: 'alexnet-mc',
    meters: [{ meter, intervalMs: 50 }],
    ips: more.ips ?? 3,
    seconds: 1.2,
    devices: ['e-1', 'e-2'],
    emulated: true,
    onRunStart: () => (running = true),
    ...(more.repeat ? { repeat: more.repeat } : {}),
  });
}

/** `mchair run` of the tiny test CNN on two emulated Pi 3s, planned automatically. */
export const TINY_RUN = ['run', '--emulate', 'pi3:2', '--model', 'tiny-cnn', '--plan', 'auto'];

/** A tidy report CSV's rows, by column (the cells here hold no commas, so none is quoted). */
export function csvRows(text: string): Array<Record<string, string>> {
  const [head, ...rows] = text.trim().split('\n');
  const cols = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i]!, v])));
}

/** One figure of a run's scope from a tidy report CSV, as a number; undefined when absent. */
export function csvFigure(
  rows: ReadonlyArray<Record<string, string>>,
  runId: string,
  scope: string,
  figure: string,
): number | undefined {
  const row = rows.find((r) => r.runId === runId && r.scope === scope && r.figure === figure);
  return row ? Number(row.value) : undefined;
}

export { EmulatedMeter, sessionMeters, writeFile, join };
