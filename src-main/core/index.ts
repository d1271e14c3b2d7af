// The core: every service behind the contract, assembled once. Electron's main process, `mchair
// serve`, the CLI and the tests all run this same object; only the adapter in front of it
// differs. Each room's handlers load on its first command (see lazy.ts).
import { AppError } from '../contract/index';
import { MemorySecretStore, type SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import type { PdfPrinter } from '../reports/pdf';
import type { LiveRun } from '../runtime/liveRun';
import { listRuns, readRun, refuseRunElsewhere } from '../store/runs';
import { APP_VERSION } from '../version';
import { createDispatcher, type Dispatch, type Handlers } from './dispatch';
import { EventBus } from '../shared/events';
import { lazyRoom } from './lazy';
import type { TerminalAsk } from './runs';

export interface CoreOptions {
  mode: 'electron' | 'serve' | 'cli';
  dataDir: string;
  log: Logger;
  /** Where SSH passwords and passphrases live: the OS keychain in the app, memory headless. */
  secrets?: SecretStore;
  /** Prints PDF reports: Electron's printToPDF in the app; Chrome, Chromium or Edge otherwise. */
  printPdf?: PdfPrinter;
  /**
   * The lab's home, where the pointer to a moved data folder lives; absent when the data folder
   * was given explicitly (--data-dir), which Settings then cannot change.
   */
  home?: string;
  /** Called once the data folder changed (the app restarts itself on it). */
  onDataFolderChanged?: () => void;
  /** The CLI's terminal, which asks for SSH passwords and passphrases; the app's views ask theirs. */
  terminal?: TerminalAsk;
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
  // How runs reach their boards: the CLI asks on its terminal for what the store lacks.
  const reach = {
    dataDir: opts.dataDir,
    secrets,
    ...(opts.terminal ? { terminal: opts.terminal } : {}),
  };

  const handlers: Handlers = {
    'app/info': async () => ({
      version: APP_VERSION,
      mode: opts.mode,
      dataDir: opts.dataDir,
      platform: `${process.platform}-${process.arch}`,
      pid: process.pid,
    }),
    'settings/data-folder': async ({ path, how }) => {
      if (!opts.home)
        throw new AppError(
          'DATA_DIR_FIXED',
          'this program was started with --data-dir: start it with another --data-dir instead',
        );
      // Loaded here only: it stops the lab's virtual farm, which reaches the agents' protocol.
      const { changeDataFolder } = await import('./dataFolder');
      const changed = await changeDataFolder({
        home: opts.home,
        current: opts.dataDir,
        to: path,
        how,
      });
      opts.onDataFolderChanged?.();
      return { ...changed, restart: opts.mode === 'electron' ? 'app' : 'serve' } as const;
    },
    ...lazyRoom(['demo/start'], async () =>
      (await import('./demo')).demoHandlers({ dataDir: opts.dataDir, log: opts.log, events, live }),
    ),
    ...lazyRoom(['demo/paper'], async () =>
      (await import('./paperDemo')).paperDemoHandlers({
        dataDir: opts.dataDir,
        log: opts.log,
        events,
      }),
    ),
    'run/list': async () => ({ runs: await listRuns(opts.dataDir) }),
    'run/get': async ({ runId }) => readRun(opts.dataDir, runId),
    'run/stop': async ({ runId }) => {
      const run = live.get(runId);
      if (!run) {
        await refuseRunElsewhere(opts.dataDir, runId, 'stop it there');
        throw new AppError('RUN_NOT_LIVE', `run "${runId}" is not running`);
      }
      await run.stop();
      return { stopped: true };
    },
    ...labRooms(opts, events, live),
    ...lazyRoom(['run/start', 'run/frame'], async () =>
      (await import('./runs')).runHandlers({ ...reach, log: opts.log, events, live }),
    ),
    ...lazyRoom(['models/classify'], async () =>
      (await import('./classify')).classifyHandlers({ ...reach, log: opts.log, events }),
    ),
    ...lazyRoom(
      [
        'provision/start',
        'provision/cancel',
        'devices/logs',
        'devices/save-password',
        'devices/save-passphrase',
        'devices/refresh',
        'devices/act',
        'devices/probe',
        'devices/service',
      ],
      async () =>
        (await import('./provision')).provisionHandlers(
          opts.dataDir,
          events,
          opts.log,
          secrets,
          opts.terminal,
        ),
    ),
    ...lazyRoom(['profile/start', 'profile/cancel', 'profile/list'], async () =>
      (await import('./profile')).profileHandlers({ ...reach, events, log: opts.log }),
    ),
  };

  return {
    dispatch: createDispatcher(handlers, opts.log),
    events,
    close: async () => {
      await Promise.allSettled([...live.values()].map((r) => r.stop()));
    },
  };
}

/**
 * The rooms behind the Farm, Models, Plan and Reports views: boards, models and plans,
 * partitions, reports, meters, downloads, mirrors and the virtual farm.
 */
function labRooms(opts: CoreOptions, events: EventBus, live: ReadonlyMap<string, LiveRun>) {
  return {
    ...lazyRoom(
      [
        'devices/list',
        'devices/add',
        'devices/remove',
        'devices/import',
        'devices/scan',
        'devices/discover',
        'devices/stop-scan',
      ],
      async () => (await import('./lab')).deviceHandlers(opts.dataDir, events),
    ),
    ...lazyRoom(
      ['models/list', 'models/inspect', 'models/upload', 'plan/make', 'plan/cancel'],
      async () => (await import('./models')).modelHandlers(opts.dataDir, events),
    ),
    ...lazyRoom(['models/build', 'models/import'], async () =>
      (await import('./modelFiles')).modelFileHandlers(opts.dataDir),
    ),
    ...lazyRoom(['models/cuts', 'models/partition', 'models/verify'], async () =>
      (await import('./partition')).partitionHandlers(events),
    ),
    ...lazyRoom(
      [
        'run/delete',
        'reports/export',
        'reports/figure',
        'reports/paper',
        'reports/write',
        'reports/schema',
      ],
      async () =>
        (await import('./reports')).reportHandlers(
          opts.dataDir,
          (runId) => live.has(runId),
          opts.printPdf ?? (await import('../reports/pdf')).chromiumPdf,
          events,
        ),
    ),
    ...lazyRoom(
      ['meters/test', 'meters/stop-test', 'meters/list', 'meters/save', 'meters/remove'],
      async () => (await import('./meters')).meterHandlers(opts.dataDir),
    ),
    ...lazyRoom(['models/catalogue', 'models/get', 'models/cancel-get'], async () =>
      (await import('./downloads')).downloadHandlers(opts.dataDir, events),
    ),
    ...lazyRoom(['mirrors/list', 'mirrors/add', 'mirrors/remove'], async () =>
      (await import('./mirrors')).mirrorHandlers(opts.dataDir),
    ),
    ...lazyRoom(['farm/up', 'farm/add', 'farm/status', 'farm/down', 'devices/readings'], async () =>
      (await import('./farm')).farmHandlers(opts.dataDir),
    ),
  };
}
