// What carries the contract client in the page (src-main/contract/client.ts): the Electron
// preload bridge or `mchair serve`'s WebSocket (bridge.ts, socket.ts), and how the page is linked.
export type { Transport } from '../../src-main/contract/client';

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
