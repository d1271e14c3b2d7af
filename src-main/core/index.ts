// The core: every service behind the contract, assembled once. Electron's main process, `mchair
// serve` and the tests all run this same object; only the adapter in front of it differs.
import { AppError } from '../contract/index';
import { MemorySecretStore, type SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import { chromiumPdf, type PdfPrinter } from '../reports/pdf';
import { startDemoRun, type LiveRun } from '../runtime/demo';
import { listRuns, readRun } from '../store/runs';
import { APP_VERSION } from '../version';
import { createDispatcher, type Dispatch, type Handlers } from './dispatch';
import { EventBus } from './events';
import { farmHandlers } from './farm';
import { deviceHandlers, modelHandlers } from './lab';
import { meterHandlers } from './meters';
import { downloadHandlers } from './downloads';
import { mirrorHandlers } from './mirrors';
import { provisionHandlers } from './provision';
import { reportHandlers } from './reports';
import { runHandlers } from './runs';

export interface CoreOptions {
  mode: 'electron' | 'serve';
  dataDir: string;
  log: Logger;
  /** Where SSH passwords and passphrases live: the OS keychain in the app, memory headless. */
  secrets?: SecretStore;
  /** Prints PDF reports: Electron's printToPDF in the app; Chrome, Chromium or Edge otherwise. */
  printPdf?: PdfPrinter;
}

export interface Core {
  readonly dispatch: Dispatch;
  readonly events: EventBus;
  close(): Promise<void>;
}

export function createCore(opts: CoreOptions): Core {
  const events = new EventBus();
  const live = new Map<string, LiveRun>();
  // One store for provisioning and runs: a password saved in the Farm view serves both.
  const secrets = opts.secrets ?? new MemorySecretStore();

  const handlers: Handlers = {
    'app/info': async () => ({
      version: APP_VERSION,
      mode: opts.mode,
      dataDir: opts.dataDir,
      platform: `${process.platform}-${process.arch}`,
    }),
    'demo/start': async ({ frames }) => {
      const run = await startDemoRun({ frames, dataDir: opts.dataDir, log: opts.log, events });
      live.set(run.id, run);
      void run.done.finally(() => live.delete(run.id));
      return { runId: run.id };
    },
    'run/list': async () => ({ runs: await listRuns(opts.dataDir) }),
    'run/get': async ({ runId }) => readRun(opts.dataDir, runId),
    'run/stop': async ({ runId }) => {
      const run = live.get(runId);
      if (!run) throw new AppError('RUN_NOT_LIVE', `run "${runId}" is not running`);
      await run.stop();
      return { stopped: true };
    },
    ...deviceHandlers(opts.dataDir, events),
    ...modelHandlers(opts.dataDir, events),
    ...reportHandlers(opts.dataDir, (runId) => live.has(runId), opts.printPdf ?? chromiumPdf),
    ...meterHandlers(opts.dataDir),
    ...downloadHandlers(opts.dataDir, events),
    ...mirrorHandlers(opts.dataDir),
    ...farmHandlers(opts.dataDir),
    ...runHandlers({ dataDir: opts.dataDir, log: opts.log, events, live, secrets }),
    ...provisionHandlers(opts.dataDir, events, opts.log, secrets),
  };

  return {
    dispatch: createDispatcher(handlers, opts.log),
    events,
    close: async () => {
      await Promise.allSettled([...live.values()].map((r) => r.stop()));
    },
  };
}
