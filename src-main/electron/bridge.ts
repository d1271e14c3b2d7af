// The object the sandboxed preload exposes as `window.mchair`: one function per contract command
// (an allowlist: no raw ipcRenderer, no channel strings from the page), and `on` for the core's
// events. Built from the contract, so adding a command needs no edit here.
import { commandNames, type CommandName } from '../contract/commands';
import type { Envelope } from '../contract/define';
import { eventNames, type EventName } from '../contract/events';
import { channelFor, EVENT_CHANNEL } from './channels';

/** The slice of Electron's ipcRenderer the bridge needs. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export type CommandBridge = Record<CommandName, (args?: unknown) => Promise<Envelope<unknown>>>;

export interface Bridge {
  readonly commands: CommandBridge;
  /** Subscribes to one event; returns the function that unsubscribes. */
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

export function buildBridge(ipc: IpcRendererLike): Bridge {
  const commands = Object.fromEntries(
    commandNames.map((name) => {
      const channel = channelFor(name);
      return [
        name,
        (args?: unknown) => ipc.invoke(channel, args ?? {}) as Promise<Envelope<unknown>>,
      ];
    }),
  ) as CommandBridge;
  const known = new Set<string>(eventNames);
  return {
    commands,
    on(event, listener) {
      if (!known.has(event)) throw new Error(`unknown event "${String(event)}"`);
      // The IPC event object is never handed to the page: it carries the sender and ports.
      const wrapped = (_e: unknown, name: unknown, payload: unknown): void => {
        if (name === event) listener(payload);
      };
      ipc.on(EVENT_CHANNEL, wrapped as (event: unknown, ...args: unknown[]) => void);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, wrapped as (event: unknown, ...args: unknown[]) => void);
      };
    },
  };
}
