// The transport in a browser: `mchair serve`'s WebSocket on the page's own origin. Calls made
// before the socket opens wait for it; when it closes, calls still waiting fail with a sentence
// that says what to do, and the link state tells the shell why.
import type { Envelope, EventName } from '../../src-main/contract/index';
import {
  SOCKET_PATH,
  TOKEN_PARAM,
  type SocketCall,
  type SocketFrame,
} from '../../src-main/contract/socket';
import type { LinkState, Transport } from './transport';

type Pending = { resolve: (e: Envelope<unknown>) => void };

function lostEnvelope(message: string): Envelope<unknown> {
  return { ok: false, error: { name: 'AppError', code: 'DISCONNECTED', message } };
}

export function socketUrl(pageHref: string, token: string): string {
  const page = new URL(pageHref);
  const url = new URL(SOCKET_PATH, page);
  url.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = new URLSearchParams({ [TOKEN_PARAM]: token }).toString();
  return url.toString();
}

export function socketTransport(url: string, onLink: (state: LinkState) => void): Transport {
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const waiting: string[] = [];
  let nextId = 1;
  let opened = false;
  /** Set when the socket has closed: the sentence every later call fails with. */
  let closedWith: string | null = null;

  onLink({ kind: 'connecting' });
  const ws = new WebSocket(url);
  ws.addEventListener('open', () => {
    opened = true;
    onLink({ kind: 'open' });
    for (const frame of waiting.splice(0)) ws.send(frame);
  });
  ws.addEventListener('message', (msg: MessageEvent<unknown>) => {
    if (typeof msg.data !== 'string') return;
    const frame = JSON.parse(msg.data) as SocketFrame;
    if (frame.kind === 'reply') {
      pending.get(frame.id)?.resolve(frame.envelope);
      pending.delete(frame.id);
    } else {
      for (const l of listeners.get(frame.name) ?? []) l(frame.payload);
    }
  });
  ws.addEventListener('close', (ev: CloseEvent) => {
    // A refused handshake never opens; browsers hide its HTTP status, so "never opened" is the
    // signal (the server refuses only a wrong token, a foreign origin or a foreign host name).
    onLink(opened ? { kind: 'lost', reason: ev.reason || `code ${ev.code}` } : { kind: 'refused' });
    const message = opened
      ? 'the connection to `mchair serve` closed: start it again and open the address it prints'
      : 'mchair serve refused this page: open the exact address it printed (the token changes every start)';
    closedWith = message;
    for (const p of pending.values()) p.resolve(lostEnvelope(message));
    pending.clear();
    waiting.length = 0;
  });

  return {
    invoke(name, args) {
      if (closedWith !== null) return Promise.resolve(lostEnvelope(closedWith));
      const call: SocketCall = { id: nextId++, name, args };
      return new Promise((resolve) => {
        pending.set(call.id, { resolve });
        const frame = JSON.stringify(call);
        if (opened) ws.send(frame);
        else waiting.push(frame);
      });
    },
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}
