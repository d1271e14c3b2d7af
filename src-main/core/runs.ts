// The handlers behind Deploy (Plan view) and Start (Run view): a run of a model on the virtual
// farm, an emulated one or the inventory's provisioned boards, returned as soon as it has an id,
// stopped through run/stop, with frames from the core (synthetic) or from the page (camera,
// file) and a top-5 preview, measured by the meters saved in Settings; a repeated set runs its
// runs one after another (runtime/repeat.ts, as `mchair run --repeat`).
import {
  AppError,
  fromWireError,
  ASKED_HOST_KEY_CODES,
  type EventPayload,
  type RunRepeat,
  type RunSummary,
} from '../contract/index';
import type { RunFarm } from '../contract/liveRun';
import { labFarmFile, openLabFarm } from '../farm/labFarm';
import { Inventory, inventoryPathOf } from '../inventory/inventory';
import type { SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import type { FrameView } from '../contract/frameWindow';
import { labelsOf } from '../model/labels';
import { rankedClasses } from '../runtime/check';
import { frameView, imageFolderSource } from '../runtime/images';
import type { LiveRun } from '../runtime/liveRun';
import { PageFrameSource } from '../runtime/pageSource';
import { runRepeated } from '../runtime/repeat';
import { runModel, type RunRequest } from '../runtime/run';
import type { RunBoards } from '../runtime/boardFarm';
import type { FarmChoice } from '../runtime/runFarm';
import { withSavedMeters } from '../power/savedMeters';
import { readRun } from '../store/runs';
import { APP_TRUST_HOW, Connector } from '../ssh/connector';
import { nobodyToAsk, type Prompter } from '../ssh/prompter';
import type { Handlers } from './dispatch';
import { cardedModel, type CardedModel } from '../runtime/recognise';
import type { OnnxModel } from '../model/onnx';
import type { RunReport } from '../contract/runReport';
import type { EventBus } from '../shared/events';

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
  answers: { confirmed: string[]; acceptedOnce: string[]; acceptNew?: boolean },
  secrets: SecretStore,
  terminal?: TerminalAsk,
): Promise<RunBoards> {
  const devices = inventory.select(names);
  const connector = await Connector.create({
    dataDir,
    acceptNew: answers.acceptNew === true,
    confirmed: answers.confirmed,
    acceptedOnce: answers.acceptedOnce,
    // The CLI asks its user on the terminal; the app's views ask theirs, then start again.
    ...(terminal ?? { prompter: nobodyToAsk, trustHow: APP_TRUST_HOW }),
    secrets,
  });
  // The CLI's user answers for each board's key and secrets as the run reaches it, and picks
  // its boards for this run alone (`mchair run --devices`).
  if (terminal) return { devices, connector };
  for (const r of await connector.each(devices, async () => undefined)) {
    if (!r.ok && ASKED_HOST_KEY_CODES.includes(r.error.code)) throw fromWireError(r.error);
  }
  // Every board chosen: the lab's farm, which boards provisioned during the run join.
  const all = inventory.list().every((d) => names.includes(d.name));
  return { devices, connector, ...(all ? { inventory: inventory.path } : {}) };
}

/**
 * How the CLI's core asks for passwords and passphrases: on the terminal, with the time spent
 * answering counted against the handshake time-out.
 */
export interface TerminalAsk {
  prompter: Prompter;
  readyTimeoutMs: number;
}

async function farmOf(o: FarmReach, inventory: Inventory, farm: RunFarm): Promise<FarmChoice> {
  if (farm.kind === 'emulate') return { kind: 'emulate', spec: farm.spec };
  if (farm.kind === 'file') return { kind: 'file', file: farm.file };
  if (farm.kind === 'inventory') {
    const boards = await inventoryBoards(
      o.dataDir,
      inventory,
      farm.devices,
      farm,
      o.secrets,
      o.terminal,
    );
    return { kind: 'boards', boards };
  }
  await openLabFarm(o.dataDir); // FARM_NOT_UP says how to start one
  return { kind: 'file', file: labFarmFile(o.dataDir) };
}

/** Where a run's frames go, and the inventory it was chosen from (its boards' profiles). */
export async function openRunFarm(
  o: FarmReach,
  farm: RunFarm,
): Promise<{ where: FarmChoice; inventory: Inventory }> {
  const inventory = await Inventory.load(
    inventoryPathOf(o.dataDir, farm.kind === 'inventory' ? farm.inventory : undefined),
  );
  return { where: await farmOf(o, inventory, farm), inventory };
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
  model: OnnxModel;
  labels: ReturnType<typeof labelsOf> | undefined;
  card: CardedModel['card'];
  where: FarmChoice;
  profiles: RunRequest['profiles'];
  power: Awaited<ReturnType<typeof withSavedMeters>>;
  args: StartArgs;
}

type StartArgs = Parameters<Handlers['run/start']>[0];

/** What reaching a run's boards takes: the lab's folder, and how secrets are found or asked. */
export interface FarmReach {
  dataDir: string;
  /** Where the boards' passwords live (shared with provisioning). */
  secrets: SecretStore;
  /** The CLI's terminal, which asks for secrets; absent in the app. */
  terminal?: TerminalAsk;
}

/** What the run handlers share: the lab's folder, its log and events, and the runs going now. */
interface RunsShared extends FarmReach {
  log: Logger;
  events: EventBus;
  live: Map<string, LiveRun>;
  /** The page's frame sources of the runs that take frames from the page, by run id. */
  pageSources: Map<string, PageFrameSource>;
}

/** A set's model, its card and labels, its farm, profiles and meters, found once for the set. */
async function setUpOf(o: RunsShared, args: StartArgs): Promise<SetUp> {
  // As the library resolves a name everywhere: the zoo, then the library (an imported model runs
  // from its file there, as the Plan view costed it), then an ONNX file. The card names the
  // preview's classes and says how the page cuts its pictures.
  const { model, card } = await cardedModel(o.dataDir, args.model);
  const labels = card ? labelsOf(card) : undefined;
  // Read once for the set: the boards it runs on and their measured profiles.
  const { where, inventory } = await openRunFarm(o, args.farm);
  const profiles = inventory.storedProfiles();
  // The meters saved in Settings measure every run from the app; without any, an emulated
  // farm still gets its emulated per-board meters (runtime/power.ts). The CLI names its own.
  const power = !args.meters
    ? await withSavedMeters(o.dataDir)
    : args.savedMeters
      ? await withSavedMeters(o.dataDir, args.meters)
      : args.meters;
  return { model, labels, card, where, profiles, power, args };
}

/**
 * One run (alone, or one of a set): resolves once it has an id, with how the page cuts its
 * frames and the run's end; `abort` stops it (and, shared, the rest of its set).
 */
async function startRun(
  o: RunsShared,
  { model, labels, card, where, profiles, power, args }: SetUp,
  place: RunRepeat | undefined,
  abort: AbortController,
): Promise<{
  runId: string;
  frame: FrameView | null;
  finished: Promise<RunSummary>;
  /** The run's report, or why it failed. */
  report: Promise<RunReport>;
}> {
  const { plan, frames, source, outageLimitS, images } = args;
  let page: PageFrameSource | null = null;
  let lastPreview = 0;
  let named: (id: string) => void = () => undefined;
  const runId = new Promise<string>((resolve) => (named = resolve));
  let frame: FrameView | null = null;
  // The run's id once it has one: its lines and progress name it.
  let known: string | null = null;
  const lines = startingLines(o.events);
  const done = runModel({
    farm: where,
    profiles,
    outageLimitS,
    model,
    labels,
    plan,
    frames,
    power,
    check: args.check,
    window: args.window,
    ...(args.chaos ? { chaos: args.chaos } : {}),
    ...(place ? { repeat: place } : {}),
    dataDir: o.dataDir,
    log: o.log,
    events: o.events,
    say: (line) => {
      lines.say(line);
      o.events.emit('run/say', { runId: known, line });
    },
    onProgress: (p) => {
      if (known) o.events.emit('run/progress', { runId: known, ...p });
    },
    signal: abort.signal,
    source: images
      ? (input) => imageFolderSource(images, input, card?.input.resize)
      : source === 'synthetic'
        ? undefined
        : async (input) => {
            page = new PageFrameSource(input, source === 'camera');
            o.pageSources.set(await runId, page);
            if (abort.signal.aborted) page.close();
            return page;
          },
    onRunId: (id, input) => {
      known = id;
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
  return { runId: id, frame: frame as FrameView | null, finished, report: done };
}

/**
 * A whole set, answered once it has ended with every run's report (the CLI waits on it): a run
 * that fails fails the command, as `mchair run` always did.
 */
async function runSetToEnd(o: RunsShared, setUp: SetUp, abort: AbortController) {
  // The first run answers for the set (its id and how the page cuts frames); runRepeated runs
  // at least once, so it is there when the set ends.
  const first: { runId?: string; frame?: FrameView | null } = {};
  const { set, runs } = await runRepeated(
    setUp.args.repeat,
    async (place) => {
      const one = await startRun(o, setUp, place, abort);
      if (first.runId === undefined) Object.assign(first, { runId: one.runId, frame: one.frame });
      return one.report;
    },
    { signal: abort.signal, say: (line) => o.events.emit('run/say', { runId: null, line }) },
  );
  return { runId: first.runId!, frame: first.frame ?? null, set, reports: runs };
}

export function runHandlers(
  options: Omit<RunsShared, 'pageSources'>,
): Pick<Handlers, 'run/start' | 'run/frame'> {
  const o: RunsShared = { ...options, pageSources: new Map() };
  return {
    'run/start': async (args) => {
      const { source, repeat } = args;
      if (repeat > 1 && source !== 'synthetic')
        throw new AppError(
          'BAD_INPUT',
          'repeat: only runs of synthetic frames repeat (a camera or file run goes on until stopped)',
        );
      if (args.images && source !== 'synthetic')
        throw new AppError('BAD_INPUT', "images: a folder of images is a synthetic run's frames");
      const setUp = await setUpOf(o, args);
      // One stop for the whole set: the run going now, and the ones not started yet.
      const abort = new AbortController();
      if (args.wait) return runSetToEnd(o, setUp, abort);
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
