// The page's one contract client, on the transport this page has: the preload bridge in the
// Electron app, else the WebSocket of the `mchair serve` that served the page.
import { bridgeTransport } from './bridge';
import { createClient, type ContractClient } from '../../src-main/contract/client';
import { socketTransport, socketUrl } from './socket';
import { takeToken } from './token';
import type { LinkState, Transport } from './transport';

export type { ContractClient } from '../../src-main/contract/client';
export type { LinkState } from './transport';

const linkListeners = new Set<(state: LinkState) => void>();
let link: LinkState = { kind: 'connecting' };

function setLink(state: LinkState): void {
  link = state;
  for (const l of linkListeners) l(state);
}

/** A transport for a page without a token: every call says how to get one. */
function noTokenTransport(): Transport {
  return {
    invoke: async () => ({
      ok: false,
      error: {
        name: 'AppError',
        code: 'NO_TOKEN',
        message: 'this page needs the address `mchair serve` printed, with its ?token=…',
      },
    }),
    on: () => () => {},
  };
}

function pickTransport(): Transport {
  if (window.mchair) {
    setLink({ kind: 'electron' });
    return bridgeTransport(window.mchair);
  }
  const token = takeToken(window.location, window.sessionStorage, window.history);
  if (!token) {
    setLink({ kind: 'no-token' });
    return noTokenTransport();
  }
  return socketTransport(socketUrl(window.location.href, token), setLink);
}

export const api: ContractClient = createClient(pickTransport());

/** Follows the link state; calls the listener at once with the current one. */
export function watchLink(listener: (state: LinkState) => void): () => void {
  linkListeners.add(listener);
  listener(link);
  return () => linkListeners.delete(listener);
}
