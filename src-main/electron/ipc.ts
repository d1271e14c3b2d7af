// The main-process side of the contract: one ipcMain handler per command, derived from the
// contract. Every call is checked to come from the app's own page (the sender frame's origin)
// before the core's dispatcher validates its arguments; errors return as {name, code, message}.
import { commandNames } from '../contract/commands';
import type { Envelope } from '../contract/define';
import type { Core } from '../core/index';
import { channelFor, EVENT_CHANNEL } from './channels';

/** The slice of Electron's ipcMain the adapter needs. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcCallEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcCallEvent {
  /** Electron's senderFrame: null once the frame has navigated away or been destroyed. */
  senderFrame: { url: string } | null;
}

export interface EventTarget {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/**
 * Registers the handlers; returns the function that removes them. `isAppUrl` says whether a
 * frame URL is the app's own page.
 */
export function registerIpc(
  ipcMain: IpcMainLike,
  core: Pick<Core, 'dispatch' | 'events'>,
  isAppUrl: (url: string) => boolean,
  targets: () => readonly EventTarget[],
): () => void {
  for (const name of commandNames) {
    ipcMain.handle(
      channelFor(name),
      (event, args): Promise<Envelope<unknown>> | Envelope<unknown> => {
        const url = event.senderFrame?.url ?? '';
        if (!isAppUrl(url)) {
          return {
            ok: false,
            error: {
              name: 'AppError',
              code: 'FORBIDDEN',
              message: `refused ${name} from ${url || 'a gone frame'}`,
            },
          };
        }
        return core.dispatch(name, args);
      },
    );
  }
  const unsubscribe = core.events.subscribe((name, payload) => {
    for (const t of targets()) if (!t.isDestroyed()) t.send(EVENT_CHANNEL, name, payload);
  });
  return () => {
    unsubscribe();
    for (const name of commandNames) ipcMain.removeHandler(channelFor(name));
  };
}
