// The WebSocket adapter: the core's contract on a socket, for the page `mchair serve` hands out.
// Derived from the contract, not written per command: every call frame goes to the core's
// dispatcher (which validates the command and its arguments) and every core event is pushed to
// every open page.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CLOSE_BAD_FRAME, SOCKET_PATH, SocketCall, type SocketFrame } from '../contract/socket';
import type { Core } from '../core/index';
import type { Logger } from '../log';
import type { AccessPolicy } from './access';

/** A frame bigger than this is not a contract call (imports travel as paths, not bytes). */
const MAX_FRAME_BYTES = 1 << 20;
/** A page that stops reading is skipped for events past this backlog, never buffered without end. */
const MAX_EVENT_BACKLOG_BYTES = 8 << 20;

export interface SocketAdapter {
  /** Closes every page's socket (1001, going away) and stops accepting new ones. */
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = status === 401 ? 'Unauthorized' : 'Forbidden';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`,
  );
}

function send(ws: WebSocket, frame: SocketFrame): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

function parseCall(data: RawData, isBinary: boolean): SocketCall | null {
  if (isBinary) return null;
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    return null;
  }
  const call = SocketCall.safeParse(json);
  return call.success ? call.data : null;
}

function serveSocket(ws: WebSocket, core: Core, log: Logger): void {
  const unsubscribe = core.events.subscribe((name, payload) => {
    if (ws.bufferedAmount > MAX_EVENT_BACKLOG_BYTES) {
      log.warn({ event: name }, 'a page is not keeping up with events; skipping one');
      return;
    }
    send(ws, { kind: 'event', name, payload });
  });
  ws.on('close', unsubscribe);
  ws.on('error', (err) => log.warn({ err }, 'page socket error'));
  ws.on('message', (data, isBinary) => {
    const call = parseCall(data, isBinary);
    if (!call) {
      // A page built from the contract never sends this: it is not our page, or a bug; either way
      // the conversation is over.
      ws.close(CLOSE_BAD_FRAME, 'not a contract call frame');
      return;
    }
    void core.dispatch(call.name, call.args).then((envelope) => {
      send(ws, { kind: 'reply', id: call.id, envelope });
    });
  });
}

export function attachSocket(
  server: HttpServer,
  core: Core,
  access: AccessPolicy,
  log: Logger,
): SocketAdapter {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let path: string | null = null;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      // A target no URL parser accepts ("//[x") would otherwise throw out of this listener and
      // take the whole server down.
    }
    if (path !== SOCKET_PATH) {
      refuseUpgrade(socket, 403, 'no socket here');
      return;
    }
    const refusal = access.checkUpgrade(req);
    if (refusal) {
      log.warn(
        { origin: req.headers.origin, host: req.headers.host },
        `socket refused: ${refusal.reason}`,
      );
      refuseUpgrade(socket, refusal.status, refusal.reason);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, core, log));
  };
  server.on('upgrade', onUpgrade);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.off('upgrade', onUpgrade);
        for (const ws of wss.clients) ws.close(1001, 'server stopping');
        wss.close(() => resolve());
      }),
  };
}
