// The paper's experiments re-run on the virtual farm (issue 5 point 6, issue 7 point 5):
// alexnet-mc on 1 Pi 3; the paper's 5- and 6-board distributions and the planner's best on
// 6 Pi 3s; VGG16's 9- and 11-board ones and the planner's best on 11 Pi 3s. One set of emulated
// Pi 3 agents is started once and every run uses the first N of them through a farm file, so no
// run pays for starting agents. Each run is an ordinary recorded `mchair run` (runtime/run.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../contract/index';
import type { Plan } from '../contract/plan';
import type { EventBus } from '../shared/events';
import { startEphemeralFarm } from '../farm/ephemeral';
import type { FarmEndpoints } from '../farm/farmfile';
import { emulatedDevices } from '../farm/virtual';
import type { Logger } from '../log';
import { farmFromSpec, loadPlannerModel, type PlannerModel, type PresetId } from '../planner/index';
import { loadReportRuns, writeReport, type ReportRun } from '../reports/index';
import { paperTableRows, type PaperTableRow, type PaperTableRun } from '../reports/paper-table';
import { choosePlan, runModel, type RunReport } from '../runtime/run';
import { roundFrames } from '../runtime/deployment';
import { runRepeated } from '../runtime/repeat';
import { warmupFrames } from '../runtime/stats';

export interface PaperCase {
  model: string;
  /** Emulated Pi 3s on the farm the run sees (the first N of the shared agents). */
  boards: number;
  plan: 'auto' | PresetId;
}

/** The runs, in the order the paper's figures show them. */
export const PAPER_CASES: readonly PaperCase[] = [
  { model: 'alexnet-mc', boards: 1, plan: 'auto' },
  { model: 'alexnet-mc', boards: 6, plan: 'paper-5' },
  { model: 'alexnet-mc', boards: 6, plan: 'paper-6' },
  { model: 'alexnet-mc', boards: 6, plan: 'auto' },
  { model: 'vgg16', boards: 11, plan: 'paper-9' },
  { model: 'vgg16', boards: 11, plan: 'paper-11' },
  { model: 'vgg16', boards: 11, plan: 'auto' },
];

/** The emulated board every case runs on (the paper's Raspberry Pi 3 B). */
export const PAPER_BOARD = 'pi3';

export interface PaperRun {
  case: PaperCase;
  frames: number;
  /** Frames in flight per replica (see windowFor). */
  window: number;
  /** Wall time of the run, set-up (partitioning, deployment) included. */
  wallSeconds: number;
  /** Null when the run failed before it produced figures; `error` then says why. */
  report: RunReport | null;
  error: string | null;
}

/**
 * Frames finish in bursts of the widest stage's replicas (7 conv replicas of VGG16 end their
 * frames together every ~8 s). The run's IPS counts the frames of its window over the time from
 * the frame before it to the last frame, so both ends must sit at the same point of a burst or a
 * short run reads up to a third high: the measured frames are a whole number of bursts.
 */
export function replicasOf(plan: Plan): number {
  return roundFrames(plan.stages.map((s) => s.parts.map((p) => p.devices)));
}

/**
 * Frames for a run measured over about `seconds` at the predicted IPS: the warm-up and one round
 * to fill the pipeline (RunFigures skips them), then at least two rounds, and the measured frames
 * a whole number of bursts.
 */
export function framesFor(ips: number, replicas: number, seconds: number): number {
  const want = Math.max(2 * replicas, Math.ceil(ips * seconds), 2);
  for (let n = 2; ; n++) {
    const measured = n - Math.max(warmupFrames(n), replicas);
    if (measured >= want && measured % replicas === 0) return n;
  }
}

/**
 * Frames in flight per replica. Two hide a hop's latency behind the next frame's compute, which
 * matters for AlexNet's half-second stages; a VGG16 replica busy for 6-8 s per frame gains
 * nothing from a queued frame, and with seven replicas the queued frames finish in a burst that
 * a short run reads as up to 1.7x the real IPS (measured: 1.53 vs 0.90 predicted with 2 in
 * flight, 0.99 with 1, paper-11 over 15 frames).
 */
export function windowFor(plan: Plan): number {
  return replicasOf(plan) / plan.prediction.ips >= 2 ? 1 : 2;
}

/** A farm file listing the first `boards` agents of a running farm (the planner's farm too). */
async function subsetFarmFile(endpoints: FarmEndpoints, boards: number): Promise<string> {
  const file = join(dirname(endpoints.tlsDir), `farm-${boards}.json`);
  const subset: FarmEndpoints = { ...endpoints, devices: endpoints.devices.slice(0, boards) };
  await writeFile(file, `${JSON.stringify(subset, null, 2)}\n`);
  return file;
}

export async function runPaperDemo(o: {
  /** Measured seconds per run after warm-up (frames follow from each plan's prediction). */
  seconds: number;
  cases?: readonly PaperCase[];
  /** Runs of each case, one after another, recorded as a set (`mchair demo --repeat N`). */
  repeat?: number;
  dataDir: string;
  log: Logger;
  events?: EventBus;
  say?(line: string): void;
  /**
   * More work on the same farm after the cases (the demo's recognition line): `farmFile(n)` is a
   * farm file of its first n boards.
   */
  then?(farmFile: (boards: number) => Promise<string>): Promise<void>;
}): Promise<{ runs: PaperRun[]; farmStartSeconds: number }> {
  const cases = o.cases ?? PAPER_CASES;
  const boards = Math.max(...cases.map((c) => c.boards));
  const t0 = performance.now();
  const planner = farmFromSpec(`${PAPER_BOARD}:${boards}`);
  const { devices, coordinatorLink } = emulatedDevices(planner);
  // One thread per agent, as `mchair run --emulate` does: emulated boards are slower than this
  // machine, and eleven agents share its cores.
  const farm = await startEphemeralFarm({ agents: devices, coordinatorLink, threads: 1 });
  const farmStartSeconds = (performance.now() - t0) / 1000;
  o.say?.(
    `virtual farm: ${boards} emulated ${PAPER_BOARD} agents started in ${farmStartSeconds.toFixed(1)} s`,
  );
  const runs: PaperRun[] = [];
  try {
    const files = new Map<number, string>();
    const farmFile = async (n: number): Promise<string> => {
      let file = files.get(n);
      if (!file) {
        file = await subsetFarmFile(farm.endpoints, n);
        files.set(n, file);
      }
      return file;
    };
    const models = new Map<string, PlannerModel>();
    for (const [i, c] of cases.entries()) {
      let started = performance.now();
      let frames = 0;
      let window = 2;
      // One failed run leaves the others' figures standing; the table says which failed.
      const failed = (err: unknown): void => {
        const error =
          err instanceof AppError ? err.message : `internal error: ${(err as Error).message}`;
        o.log.error({ model: c.model, plan: c.plan, err: error }, 'paper demo run failed');
        const wallSeconds = (performance.now() - started) / 1000;
        runs.push({ case: c, frames, window, wallSeconds, report: null, error });
      };
      try {
        const file = await farmFile(c.boards);
        let pm = models.get(c.model);
        if (!pm) {
          pm = loadPlannerModel(c.model);
          models.set(c.model, pm);
        }
        // The choice `mchair run --plan` makes, so the frames computed here fit the run.
        const plan = await choosePlan(c.plan, pm, farmFromSpec(`${PAPER_BOARD}:${c.boards}`));
        frames = framesFor(plan.prediction.ips, replicasOf(plan), o.seconds);
        window = windowFor(plan);
        o.say?.(
          `[${i + 1}/${cases.length}] ${c.model}, ${c.plan} on ${c.boards} ${PAPER_BOARD}: ${frames} frames, ${window} in flight per replica (${((performance.now() - t0) / 1000).toFixed(0)} s in)`,
        );
        // Each case's runs one after another, as `mchair run --repeat` runs them.
        await runRepeated(
          o.repeat ?? 1,
          async (repeat) => {
            started = performance.now();
            try {
              const report = await runModel({
                model: c.model,
                plan: c.plan,
                farm: { kind: 'file', file },
                frames,
                check: false,
                window,
                dataDir: o.dataDir,
                log: o.log,
                events: o.events,
                say: o.say,
                ...(repeat ? { repeat } : {}),
              });
              const wallSeconds = (performance.now() - started) / 1000;
              runs.push({ case: c, frames, window, wallSeconds, report, error: null });
            } catch (err) {
              failed(err);
            }
          },
          { say: (line) => o.say?.(`  ${line}`) },
        );
      } catch (err) {
        failed(err);
      }
    }
    await o.then?.(farmFile);
  } finally {
    await farm.stop();
  }
  return { runs, farmStartSeconds };
}

export interface PaperDemoSummary {
  /** Each run with its recorded figures (energy as the store has it). */
  runs: PaperTableRun[];
  rows: PaperTableRow[];
  /** The HTML summary of the recorded runs, or null when none finished. */
  html: string | null;
}

/**
 * The table and the HTML summary from the runs as the store recorded them: the same figures
 * `mchair report` and the app show, energy included.
 */
export async function summarisePaperDemo(
  runs: readonly PaperRun[],
  dataDir: string,
): Promise<PaperDemoSummary> {
  const ids = runs.flatMap((r) => (r.report ? [r.report.runId] : []));
  const recorded = new Map<string, ReportRun>(
    (await loadReportRuns(dataDir, ids)).map((r) => [r.runId, r]),
  );
  let html: string | null = null;
  if (ids.length) {
    const dir = join(dataDir, 'reports');
    await mkdir(dir, { recursive: true });
    html = join(dir, `paper-demo-${ids[0]}.html`);
    await writeReport([...recorded.values()], 'html', html);
  }
  const tableRuns = runs.map((r): PaperTableRun => {
    const stored = r.report ? recorded.get(r.report.runId) : undefined;
    return {
      model: r.case.model,
      boards: r.case.boards,
      plan: r.case.plan,
      frames: r.frames,
      runId: r.report?.runId ?? null,
      state: r.report?.state ?? 'failed',
      ips: r.report?.ips ?? null,
      predictedIps: r.report?.predictedIps ?? null,
      energy: stored?.energy?.perInferenceJ ?? null,
      emulationOverruns: r.report?.emulationOverruns ?? 0,
      faults: r.report?.faults.length ?? 0,
    };
  });
  return { runs: tableRuns, rows: paperTableRows(tableRuns), html };
}
