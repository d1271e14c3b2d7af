// The handlers behind Deploy (Plan view) and Start (Run view): a run of a model on the virtual
// farm, an emulated one or the inventory's provisioned boards, returned as soon as it has an id,
// stopped through run/stop, with frames from the core (synthetic) or from the page (camera,
// file) and a top-5 preview, measured by the meters saved in Settings.
import {
  AppError,
  ASKED_HOST_KEY_CODES,
  type EventPayload,
  type RunSummary,
} from '../contract/index';
import type { RunFarm } from '../contract/liveRun';
import { labFarmFile, openLabFarm } from '../farm/labFarm';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
import type { SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import type { FrameView } from '../contract/frameWindow';
import { labelsOf } from '../model/labels';
import { rankedClasses } from '../runtime/check';
import { frameView } from '../runtime/images';
import type { LiveRun } from '../runtime/demo';
import { PageFrameSource } from '../runtime/pageSource';
import { runModel, type RunRequest } from '../runtime/run';
import { withSavedMeters } from '../store/meters';
import { readRun } from '../store/runs';
import { APP_TRUST_HOW, Connector } from '../ssh/connector';
import { nobodyToAsk } from '../ssh/prompter';
import type { Handlers } from './dispatch';
import { ModelLibrary } from './modelLibrary';
import type { EventBus } from './events';

/** Frames in flight per replica, as `mchair run` defaults to. */
const WINDOW = 2;
/** The live preview's top-5 comes at most this often: the page redraws it, not every frame. */
const PREVIEW_MS = 200;

async function farmOf(
  dataDir: string,
  farm: RunFarm,
  secrets: SecretStore,
): Promise<Partial<RunRequest>> {
  if (farm.kind === 'emulate') return { emulate: farm.spec };
  if (farm.kind === 'inventory') {
    const devices = (await Inventory.load(defaultInventoryPath(dataDir))).select(farm.devices);
    // As provisioning from the app: a new key is trusted only with the user's answer (confirmed
    // or accepted once), and passwords come from the secret store the Farm view saves them in.
    const connector = await Connector.create({
      dataDir,
      acceptNew: false,
      confirmed: farm.confirmed,
      acceptedOnce: farm.acceptedOnce,
      prompter: nobodyToAsk,
      trustHow: APP_TRUST_HOW,
      secrets,
    });
    // Each board's host key is checked before the run exists, so a key the user has not answered
    // for fails the command: the Run view then asks, as the Farm view does, and starts again.
    for (const r of await connector.each(devices, async () => undefined)) {
      if (!r.ok && ASKED_HOST_KEY_CODES.includes(r.error.code))
        throw new AppError(r.error.code, `${r.device}: ${r.error.message}`);
    }
    return { boards: { devices, connector } };
  }
  await openLabFarm(dataDir); // FARM_NOT_UP says how to start one
  return { farmFile: labFarmFile(dataDir) };
}

/**
 * What a run says before it runs (its plan; what each of the lab's boards was sent) is its
 * starting state's message in the Run view, so a long push of parts is not a silent wait; once
 * the run runs, its own figures speak for it.
 */
function startingLines(events: EventBus): {
  named(runId: string): void;
  say(line: string): void;
  stop(): void;
} {
  let id: string | null = null;
  let started = false;
  const stop = events.subscribe((name, payload) => {
    const p = payload as EventPayload<'run/state'>;
    if (name === 'run/state' && p.runId === id && p.state !== 'starting') started = true;
  });
  return {
    named: (runId) => (id = runId),
    say: (line) => {
      if (id && !started) events.emit('run/state', { runId: id, state: 'starting', message: line });
    },
    stop,
  };
}

export function runHandlers(o: {
  dataDir: string;
  log: Logger;
  events: EventBus;
  live: Map<string, LiveRun>;
  /** Where the boards' passwords live (shared with provisioning). */
  secrets: SecretStore;
}): Pick<Handlers, 'run/start' | 'run/frame'> {
  const pageSources = new Map<string, PageFrameSource>();
  const library = new ModelLibrary(o.dataDir);

  return {
    'run/start': async ({ model, plan, farm, source, frames, outageLimitS }) => {
      // An imported model runs from its file in the library, as the Plan view costed it.
      const modelRef = await library.locate(model);
      // The card names the preview's classes and says how the page cuts its pictures.
      const card = await library.card(model);
      const labels = card ? labelsOf(card) : undefined;
      const where = await farmOf(o.dataDir, farm, o.secrets);
      // The meters saved in Settings measure every run from the app; without any, an emulated
      // farm still gets its emulated per-board meters (runtime/power.ts).
      const power = await withSavedMeters(o.dataDir);
      const abort = new AbortController();
      let page: PageFrameSource | null = null;
      let lastPreview = 0;
      let named: (id: string) => void = () => undefined;
      const runId = new Promise<string>((resolve) => (named = resolve));
      let frame: FrameView | null = null;
      const lines = startingLines(o.events);
      const done = runModel({
        ...where,
        model: modelRef,
        labels,
        plan,
        frames,
        outageLimitS,
        power,
        check: false,
        window: WINDOW,
        dataDir: o.dataDir,
        log: o.log,
        events: o.events,
        say: lines.say,
        signal: abort.signal,
        source:
          source === 'synthetic'
            ? undefined
            : async (input) => {
                page = new PageFrameSource(input, source === 'camera');
                pageSources.set(await runId, page);
                if (abort.signal.aborted) page.close();
                return page;
              },
        onRunId: (id, input) => {
          frame = frameView(input, card?.input.resize);
          o.events.emit('run/state', { runId: id, state: 'starting', message: null });
          lines.named(id);
          named(id);
        },
        onOutput: (frameId, output) => {
          const now = performance.now();
          if (now - lastPreview < PREVIEW_MS || output.dtype !== 'float32') return;
          lastPreview = now;
          void runId.then((id) =>
            o.events.emit('run/frame', {
              runId: id,
              frameId,
              top5: rankedClasses(output, 5, labels),
              untrained: !card || card.untrained === true,
              source: (page as PageFrameSource | null)?.counters() ?? null,
            }),
          );
        },
      }).finally(() => {
        lines.stop();
        (page as PageFrameSource | null)?.close();
      });
      // Before it has an id the run fails as the command (a bad plan, no farm): say why.
      const id = await Promise.race([runId, done.then(() => runId)]);
      // Failures after the id are the run's own (recorded, and sent as run/state).
      const finished: Promise<RunSummary> = done.then(
        async () => (await readRun(o.dataDir, id)).run,
        async (err: unknown) => {
          o.log.info({ runId: id, err: (err as Error).message }, 'run failed');
          return (await readRun(o.dataDir, id)).run;
        },
      );
      const live: LiveRun = {
        id,
        stop: async () => {
          abort.abort();
          (page as PageFrameSource | null)?.close();
          await finished;
        },
        done: finished,
      };
      o.live.set(id, live);
      void finished.finally(() => {
        o.live.delete(id);
        pageSources.delete(id);
      });
      return { runId: id, frame: frame as FrameView | null };
    },
    'run/frame': async ({ runId, base64 }) => {
      const page = pageSources.get(runId);
      if (!page) {
        // The page retries RUN_NOT_READY: the run is still cutting and deploying its model.
        if (o.live.has(runId))
          throw new AppError(
            'RUN_NOT_READY',
            `run "${runId}" takes no frames yet (it is deploying), or none at all (synthetic source)`,
          );
        throw new AppError('RUN_NOT_LIVE', `run "${runId}" is not running`);
      }
      return page.push(Buffer.from(base64, 'base64'));
    },
  };
}
