// An in-process stand-in for Electron's ipcMain/ipcRenderer pair (the Electron binary cannot be
// downloaded on our build machines). It keeps Electron's semantics that matter to the adapter:
// one handler per channel, a duplicate registration throws, invoke on a channel without a
// handler rejects, and every call carries the sender frame's URL.
import type { IpcRendererLike } from '../../../src-main/electron/bridge';
import type { EventTarget, IpcCallEvent, IpcMainLike } from '../../../src-main/electron/ipc';

type Handler = (event: IpcCallEvent, ...args: unknown[]) => unknown;
type Listener = (event: unknown, ...args: unknown[]) => void;

export class IpcPair {
  private readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, Set<Listener>>();
  frameUrl: string;

  constructor(frameUrl: string) {
    this.frameUrl = frameUrl;
  }

  readonly main: IpcMainLike = {
    handle: (channel, listener) => {
      if (this.handlers.has(channel)) throw new Error(`second handler for '${channel}'`);
      this.handlers.set(channel, listener);
    },
    removeHandler: (channel) => void this.handlers.delete(channel),
  };

  readonly renderer: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      const h = this.handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      // Electron structured-clones arguments and results across processes.
      const cloned = structuredClone(args);
      return structuredClone(await h({ senderFrame: { url: this.frameUrl } }, ...cloned));
    },
    on: (channel, listener) => {
      const set = this.listeners.get(channel) ?? new Set();
      set.add(listener);
      this.listeners.set(channel, set);
    },
    removeListener: (channel, listener) => void this.listeners.get(channel)?.delete(listener),
  };

  /** The window's webContents, as the adapter's event target. */
  readonly target: EventTarget = {
    send: (channel, ...args) => {
      for (const l of this.listeners.get(channel) ?? []) l({}, ...structuredClone(args));
    },
    isDestroyed: () => false,
  };

  get handlerCount(): number {
    return this.handlers.size;
  }
}
