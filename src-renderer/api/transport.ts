// What the contract client needs from whatever carries it: one call, and one event stream. The
// Electron preload bridge and `mchair serve`'s WebSocket both provide it (bridge.ts, socket.ts).
import type { CommandName, Envelope, EventName } from '../../src-main/contract/index';

export interface Transport {
  invoke(name: CommandName, args: unknown): Promise<Envelope<unknown>>;
  /** Subscribes to one event; returns the function that unsubscribes. */
  on(name: EventName, listener: (payload: unknown) => void): () => void;
}

/** How the page is connected to the core, for the shell to show. */
export type LinkState =
  | { kind: 'electron' }
  | { kind: 'connecting' }
  | { kind: 'open' }
  /** The page has no token: it was not opened from the address `mchair serve` printed. */
  | { kind: 'no-token' }
  /** The server refused the socket: a wrong token, or a server restarted since (new token). */
  | { kind: 'refused' }
  /** The socket was open and closed: the server stopped. */
  | { kind: 'lost'; reason: string };
