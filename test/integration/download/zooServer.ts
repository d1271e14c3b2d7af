// A stand-in for the zoo's hosts and a lab's mirror: HTTPS on 127.0.0.1 with a CA of its own,
// serving given bytes at given paths with the faults a real link has (a cut mid-way, a range
// ignored, a 404, an LFS pointer, a slow trickle, a redirect), and counting every body byte it
// sends so a test can tell that no byte went twice.
import { createServer } from 'node:https';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createFarmCa, issueIdentity } from '../../../src-main/farm/pki';

export type Behaviour =
  | { kind: 'serve'; bytes: Buffer }
  /** The first request is cut after `after` bytes; later ones are served (ranges honoured). */
  | { kind: 'cut-once'; bytes: Buffer; after: number }
  /** Answers 200 with the whole file whatever the Range says. */
  | { kind: 'ignore-range'; bytes: Buffer }
  | { kind: 'pointer'; sha256: string; size: number }
  /** `chunk` bytes every `everyMs` (a link slower than the test waits for). */
  | { kind: 'slow'; bytes: Buffer; chunk: number; everyMs: number }
  | { kind: 'redirect'; to: string };

export interface ZooServer {
  base: string;
  ca: string;
  routes: Map<string, Behaviour>;
  /** Body bytes sent so far, all requests together. */
  sent(): number;
  requests: Array<{ path: string; range: string | undefined }>;
  close(): Promise<void>;
}

function rangeStart(req: IncomingMessage): number {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  return m ? Number(m[1]) : 0;
}

/** `plain`: http instead of https (a mirror on the lab's LAN, reached through HTTP_PROXY). */
export async function startZooServer(opts: { plain?: boolean } = {}): Promise<ZooServer> {
  const ca = await createFarmCa('download-test');
  const id = await issueIdentity(ca, 'localhost', ['127.0.0.1', 'localhost']);
  const routes = new Map<string, Behaviour>();
  const requests: ZooServer['requests'] = [];
  const cut = new Set<string>();
  let sent = 0;
  const timers = new Set<NodeJS.Timeout>();

  const send = (res: ServerResponse, bytes: Buffer, from: number, ranged: boolean): void => {
    const body = bytes.subarray(from);
    res.writeHead(ranged ? 206 : 200, {
      'content-length': body.length,
      'accept-ranges': 'bytes',
      ...(ranged ? { 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    sent += body.length;
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    requests.push({ path, range: req.headers.range });
    const b = routes.get(path);
    const from = rangeStart(req);
    if (!b) {
      res.writeHead(404).end('not found');
      return;
    }
    switch (b.kind) {
      case 'serve':
        return send(res, b.bytes, from, from > 0);
      case 'ignore-range':
        return send(res, b.bytes, 0, false);
      case 'redirect':
        res.writeHead(302, { location: b.to }).end();
        return;
      case 'pointer': {
        const text = `version https://git-lfs.github.com/spec/v1\noid sha256:${b.sha256}\nsize ${b.size}\n`;
        res.writeHead(200, { 'content-length': Buffer.byteLength(text) }).end(text);
        return;
      }
      case 'cut-once': {
        if (cut.has(path)) return send(res, b.bytes, from, from > 0);
        cut.add(path);
        res.writeHead(200, { 'content-length': b.bytes.length, 'accept-ranges': 'bytes' });
        res.write(b.bytes.subarray(0, b.after), () => {
          sent += b.after;
          // Cut the connection as a dropped link does, the body left short.
          setTimeout(() => res.socket?.destroy(), 50);
        });
        return;
      }
      case 'slow': {
        res.writeHead(from > 0 ? 206 : 200, {
          'content-length': b.bytes.length - from,
          ...(from > 0
            ? { 'content-range': `bytes ${from}-${b.bytes.length - 1}/${b.bytes.length}` }
            : {}),
        });
        let at = from;
        const tick = setInterval(() => {
          const piece = b.bytes.subarray(at, at + b.chunk);
          at += piece.length;
          sent += piece.length;
          if (at >= b.bytes.length) {
            clearInterval(tick);
            timers.delete(tick);
            res.end(piece);
          } else res.write(piece);
        }, b.everyMs);
        timers.add(tick);
        res.on('close', () => {
          clearInterval(tick);
          timers.delete(tick);
        });
        return;
      }
    }
  };
  const server = opts.plain
    ? createHttpServer(handle)
    : createServer({ cert: id.cert, key: id.key }, handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `${opts.plain ? 'http' : 'https'}://127.0.0.1:${port}`,
    ca: ca.cert,
    routes,
    sent: () => sent,
    requests,
    close: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A proxy on 127.0.0.1 that records what it carried: CONNECT tunnels (https) by authority, and
 * plain http requests (absolute URLs) by URL, forwarded as they came.
 */
export async function startProxy(): Promise<{
  url: string;
  tunnels: string[];
  close(): Promise<void>;
}> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    tunnels.push(req.url ?? '');
    const upstream = httpRequest(
      req.url ?? '',
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const authority = req.url ?? '';
    tunnels.push(authority);
    const [host, port] = authority.split(':');
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (connection refused). */
export async function refusedPort(): Promise<number> {
  const s = createHttpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The environment a child `mchair` runs the download tests in: the test CA trusted, and every
 * address but 127.0.0.1 sent to a proxy that refuses, so a source the test did not mean to reach
 * (the zoo's public hosts) fails here instead of reaching outside.
 */
export function sealedEnv(caFile: string, deadPort: number): NodeJS.ProcessEnv {
  const nowhere = `http://127.0.0.1:${deadPort}`;
  return {
    NODE_EXTRA_CA_CERTS: caFile,
    HTTPS_PROXY: nowhere,
    https_proxy: nowhere,
    HTTP_PROXY: nowhere,
    http_proxy: nowhere,
    NO_PROXY: '127.0.0.1',
    no_proxy: '127.0.0.1',
  };
}
