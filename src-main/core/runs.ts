// The handlers behind Deploy (Plan view) and Start (Run view): a run of a model on the virtual
// farm, an emulated one or the inventory's provisioned boards, returned as soon as it has an id,
// stopped through run/stop, with frames from the core (synthetic) or from the page (camera,
// file) and a top-5 preview, measured by the meters saved in Settings; a repeated set runs its
// runs one after another (runtime/repeat.ts, as `mchair run --repeat`).
import {
  AppError,
  fromWireError,
  ASKED_HOST_KEY_CODES,
  type CommandArgs,
  type EventPayload,
  type RunRepeat,
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
import type { LiveRun } from '../runtime/liveRun';
import { PageFrameSource } from '../runtime/pageSource';
import { runRepeated } from '../runtime/repeat';
import { runModel, type RunRequest } from '../runtime/run';
import type { RunBoards } from '../runtime/boardFarm';
import type { FarmChoice } from '../runtime/runFarm';
import { withSavedMeters } from '../power/savedMeters';
import { readRun } from '../store/runs';
import { APP_TRUST_HOW, Connector } from '../ssh/connector';
import { nobodyToAsk } from '../ssh/prompter';
import type { Handlers } from './dispatch';
import { ModelLibrary } from '../model/library';
import type { EventBus } from '../shared/events';

/** Frames in flight per replica, as `mchair run` defaults to. */
const WINDOW = 2;
/** The live preview's top-5 comes at most this often: the page redraws it, not every frame. */
const PREVIEW_MS = 200;

/**
 * The inventory's boards `names` and the connector that reaches them as the app does: a new key
 * is trusted only with the user's answer (confirmed or accepted once), passwords come from the
 * secret store the Farm view saves them in, and each board's host key is checked first, so a key
 * the user has not answered for fails the command (the view asks, then starts again).
 */
export async function inventoryBoards(
  dataDir: string,
  inventory: Inventory,
  names: readonly string[],
  answers: { confirmed: string[]; acceptedOnce: string[] },
  secrets: SecretStore,
): Promise<RunBoards> {
  const devices = inventory.select(names);
  const connector = await Connector.create({
    dataDir,
    acceptNew: false,
    confirmed: answers.confirmed,
    acceptedOnce: answers.acceptedOnce,
    prompter: nobodyToAsk,
    trustHow: APP_TRUST_HOW,
    secrets,
  });
  for (const r of await connector.each(devices, async () => undefined)) {
    if (!r.ok && ASKED_HOST_KEY_CODES.includes(r.error.code)) throw fromWireError(r.error);
  }
  // Every board chosen: the lab's farm, which boards provisioned during the run join.
  const all = inventory.list().every((d) => names.includes(d.name));
  return { devices, connector, ...(all ? { inventory: inventory.path } : {}) };
}

async function farmOf(
  dataDir: string,
  inventory: Inventory,
  farm: RunFarm,
  secrets: SecretStore,
): Promise<FarmChoice> {
  if (farm.kind === 'emulate') return { kind: 'emulate', spec: farm.spec };
  if (farm.kind === 'inventory') {
    const boards = await inventoryBoards(dataDir, inventory, farm.devices, farm, secrets);
    return { kind: 'boards', boards };
  }
  await openLabFarm(dataDir); // FARM_NOT_UP says how to start one
  return { kind: 'file', file: labFarmFile(dataDir) };
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

/** What a run of the set needs, found once for the set. */
interface SetUp {
  modelRef: Awaited<ReturnType<ModelLibrary['locate']>>;
  labels: ReturnType<typeof labelsOf> | undefined;
  card: Awaited<ReturnType<ModelLibrary['card']>>;
  where: FarmChoice;
  profiles: RunRequest['profiles'];
  power: Awaited<ReturnType<typeof withSavedMeters>>;
  plan: RunRequest['plan'];
  frames: number;
  source: NonNullable<CommandArgs<'run/start'>['source']>;
  outageLimitS: number;
}

/** What the run handlers share: the lab's folder, its log and events, and the runs going now. */
interface RunsShared {
  dataDir: string;
  log: Logger;
  events: EventBus;
  live: Map<string, LiveRun>;
  /** Where the boards' passwords live (shared with provisioning). */
  secrets: SecretStore;
  /** The page's frame sources of the runs that take frames from the page, by run id. */
  pageSources: Map<string, PageFrameSource>;
}

/** A set's model, its card and labels, its farm, profiles and meters, found once for the set. */
async function setUpOf(
  o: RunsShared,
  library: ModelLibrary,
  { model, plan, farm, source, frames, outageLimitS }: Parameters<Handlers['run/start']>[0],
): Promise<SetUp> {
  // An imported model runs from its file in the library, as the Plan view costed it.
  const modelRef = await library.locate(model);
  // The card names the preview's classes and says how the page cuts its pictures.
  const card = await library.card(model);
  const labels = card ? labelsOf(card) : undefined;
  // Read once for the set: the boards it runs on and their measured profiles.
  const inventory = await Inventory.load(defaultInventoryPath(o.dataDir));
  const where = await farmOf(o.dataDir, inventory, farm, o.secrets);
  const profiles = inventory.storedProfiles();
  // The meters saved in Settings measure every run from the app; without any, an emulated
  // farm still gets its emulated per-board meters (runtime/power.ts).
  const power = await withSavedMeters(o.dataDir);
  return { modelRef, labels, card, where, profiles, power, plan, frames, source, outageLimitS };
}

/**
 * One run (alone, or one of a set): resolves once it has an id, with how the page cuts its
 * frames and the run's end; `abort` stops it (and, shared, the rest of its set).
 */
async function startRun(
  o: RunsShared,
  { modelRef, labels, card, where, profiles, power, plan, frames, source, outageLimitS }: SetUp,
  place: RunRepeat | undefined,
  abort: AbortController,
): Promise<{ runId: string; frame: FrameView | null; finished: Promise<RunSummary> }> {
  let page: PageFrameSource | null = null;
  let lastPreview = 0;
  let named: (id: string) => void = () => undefined;
  const runId = new Promise<string>((resolve) => (named = resolve));
  let frame: FrameView | null = null;
  const lines = startingLines(o.events);
  const done = runModel({
    farm: where,
    profiles,
    outageLimitS,
    model: modelRef,
    labels,
    plan,
    frames,
    power,
    check: false,
    window: WINDOW,
    ...(place ? { repeat: place } : {}),
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
            o.pageSources.set(await runId, page);
            if (abort.signal.aborted) page.close();
            return page;
          },
    onRunId: (id, input) => {
      frame = frameView(input, card?.input.resize);
      o.events.emit('run/state', {
        runId: id,
        state: 'starting',
        message: place ? `run ${place.index} of ${place.of} (set ${place.set})` : null,
      });
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
    o.pageSources.delete(id);
  });
  return { runId: id, frame: frame as FrameView | null, finished };
}

export function runHandlers(
  options: Omit<RunsShared, 'pageSources'>,
): Pick<Handlers, 'run/start' | 'run/frame'> {
  const o: RunsShared = { ...options, pageSources: new Map() };
  const library = new ModelLibrary(o.dataDir);
  return {
    'run/start': async (args) => {
      const { source, repeat } = args;
      if (repeat > 1 && source !== 'synthetic')
        throw new AppError(
          'BAD_INPUT',
          'repeat: only runs of synthetic frames repeat (a camera or file run goes on until stopped)',
        );
      const setUp = await setUpOf(o, library, args);
      // One stop for the whole set: the run going now, and the ones not started yet.
      const abort = new AbortController();
      // The first run's id answers the command; the set goes on in the background, each run
      // starting when the last has ended (the page follows the next run as ours ends).
      return new Promise((resolve, reject) => {
        runRepeated(
          repeat,
          async (place) => {
            const one = await startRun(o, setUp, place, abort);
            if (!place || place.index === 1) resolve({ runId: one.runId, frame: one.frame });
            return one.finished;
          },
          { signal: abort.signal },
        ).catch((err: unknown) => {
          // Before the first id this is the command's failure; after it, a later run's, which
          // fails as its own recorded run.
          reject(err as Error);
          o.log.warn({ err: (err as Error).message }, 'a repeated run did not start');
        });
      });
    },
    'run/frame': async ({ runId, base64 }) => {
      const page = o.pageSources.get(runId);
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
