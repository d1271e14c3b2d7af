// The walking skeleton: builds tiny-cnn as ONNX, cuts it into 2 stages, starts 2 agent
// processes on 127.0.0.1, streams synthetic frames through them (stage 1 hands activations to
// stage 2 directly), checks every result against the uncut model, and records the run.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { AppError, type RunSummary } from '../contract/index';
import type { EventBus } from '../shared/events';
import type { Logger } from '../log';
import { buildZooModel, encodeModel, listCuts, partitionModel } from '../model/index';
import { RunRecorder } from '../store/runs';
import { startEphemeralFarm } from '../farm/ephemeral';
import { placeParts } from '../farm/parts';
import { ResultChecker } from '../runtime/check';
import type { Coordinator } from '../runtime/coordinator';
import { CHECK_TOLERANCE, executeRun, type ExecuteOutcome } from '../runtime/execute';
import { syntheticSource } from '../runtime/source';
import { recordedWindow } from '../runtime/stats';
import { deploymentOf } from '../runtime/deployment';
import type { LiveRun } from '../runtime/liveRun';

const DEMO_MODEL = 'tiny-cnn';
const DEMO_WINDOW = 4;

export async function startDemoRun(opts: {
  frames: number;
  dataDir: string;
  log: Logger;
  events: EventBus;
  /** Receives the figures when the run ends (the CLI prints them). */
  onFigures?: (f: ExecuteOutcome) => void;
}): Promise<LiveRun> {
  const { events, log } = opts;
  const rec = await RunRecorder.create(opts.dataDir, {
    kind: 'demo',
    model: DEMO_MODEL,
    frames: opts.frames,
  });
  const runId = rec.id;
  events.emit('run/state', { runId, state: 'starting', message: null });
  let coordinator: Coordinator | null = null;
  let stopRequested = false;

  const body = async (): Promise<RunSummary> => {
    const model = buildZooModel(DEMO_MODEL, { seed: 1 });
    const cuts = listCuts(model);
    // The middle cut gives two stages of similar depth.
    const cut = cuts[Math.floor(cuts.length / 2)];
    if (!cut) throw new AppError('MODEL_NO_CUT', `${DEMO_MODEL} has no place to cut`);
    const partsDir = join(rec.dir, 'parts');
    const manifest = await partitionModel(model, { cuts: [cut] }, partsDir);
    await rec.writeFile('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    const checker = await ResultChecker.create(encodeModel(model), manifest.output);
    // Two agents share this machine's cores with the coordinator.
    const threads = Math.max(1, Math.floor(cpus().length / 2));
    const farm = await startEphemeralFarm({
      agents: [{ id: 'agent-1' }, { id: 'agent-2' }],
      threads,
    });
    try {
      const placed = await placeParts(manifest, partsDir, farm.partsDir);
      const outcome = await executeRun({
        runId,
        plan: deploymentOf(placed, [[['agent-1']], [['agent-2']]], farm.agents),
        agents: farm.agents,
        identity: farm.coordinator,
        sinkHost: '127.0.0.1',
        source: syntheticSource(manifest.input),
        frames: opts.frames,
        window: DEMO_WINDOW,
        checker,
        recorder: rec,
        events,
        log,
        onStarted: async (c) => {
          coordinator = c;
          if (stopRequested) c.stop();
          await rec.setState('running');
          events.emit('run/state', { runId, state: 'running', message: null });
        },
      });
      opts.onFigures?.(outcome);
      await rec.writeFile('outcome.json', `${JSON.stringify(outcome, null, 2)}\n`);
      const maxAbsDiff = outcome.maxAbsDiff ?? 0;
      const ok =
        outcome.lost === 0 &&
        outcome.duplicated === 0 &&
        outcome.agentsLeft.length === 0 &&
        maxAbsDiff < CHECK_TOLERANCE;
      const state = outcome.stopped ? 'stopped' : ok ? 'done' : 'failed';
      const message = ok
        ? null
        : `${outcome.agentsLeft.length ? `${outcome.agentsLeft.join(', ')} left the run; ` : ''}lost ${outcome.lost}, duplicated ${outcome.duplicated}, largest difference ${maxAbsDiff}`;
      return rec.finish(state, {
        completed: outcome.completed,
        ips: outcome.ips,
        window: recordedWindow(outcome.window, outcome.startedAtMs),
        shortfall: outcome.shortfall,
        maxAbsDiff,
        message,
      });
    } finally {
      await checker.close();
      await farm.stop();
    }
  };

  const done = body().then(
    (summary) => {
      events.emit('run/state', { runId, state: summary.state, message: summary.message });
      return summary;
    },
    async (err: unknown) => {
      const message =
        err instanceof AppError ? err.message : `internal error: ${(err as Error).message}`;
      log.error({ runId, err: (err as Error).message }, 'demo run failed');
      const summary = await rec.finish('failed', { message });
      events.emit('run/state', { runId, state: 'failed', message });
      return summary;
    },
  );

  return {
    id: runId,
    stop: async () => {
      stopRequested = true;
      (coordinator as Coordinator | null)?.stop();
      await done;
    },
    done,
  };
}
