// `mchair serve`'s server: the built renderer over HTTP and the contract over a WebSocket on the
// same origin, guarded by a per-start token (see access.ts). The core is passed in, so the CLI,
// the tests and anything else can put the same server in front of it.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AppError } from '../contract/index';
import { TOKEN_PARAM } from '../contract/socket';
import type { Core } from '../core/index';
import type { Logger } from '../log';
import { accessPolicy, hostPort, newToken } from './access';
import { attachSocket } from './socket';
import { staticHandler } from './static';

export interface ServeOptions {
  core: Core;
  /** The built renderer: a folder holding index.html. */
  rendererDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly token: string;
  /** The page's address, token included: what the user opens. */
  readonly url: string;
  /** Closes the pages' sockets and the listener; the core stays the caller's to close. */
  close(): Promise<void>;
}

/** The host to put in the page's address: a wildcard bind is reached here through loopback. */
function pageHost(bound: string): string {
  if (bound === '0.0.0.0') return '127.0.0.1';
  if (bound === '::') return '::1';
  return bound;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  if (!existsSync(join(opts.rendererDir, 'index.html'))) {
    throw new AppError(
      'RENDERER_NOT_BUILT',
      `the UI is not built (no index.html in ${opts.rendererDir}): run \`npm run build\` first`,
    );
  }
  const serveFile = staticHandler(opts.rendererDir);
  const server = createServer();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new AppError(
            'PORT_IN_USE',
            `port ${opts.port} on ${opts.host} is taken: pick another with --port`,
          ),
        );
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(
          new AppError(
            'BAD_HOST',
            `cannot listen on ${opts.host}: give an address of this machine with --host`,
          ),
        );
      } else {
        reject(err);
      }
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const token = newToken();
  // The access policy needs the port, known only once listening. Handlers are attached in the
  // same tick as listen() completes, before the event loop can deliver any request.
  const access = accessPolicy(opts.host, port, token);
  server.on('request', (req, res) => {
    const refusal = access.checkHost(req);
    if (refusal) {
      res
        .writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end(`${refusal.reason}\n`);
      return;
    }
    serveFile(req, res).catch((err: unknown) => {
      // The query carries the token, and so may the error (a URL error keeps its input): log
      // the path and the message only.
      const error = err instanceof Error ? err.message : String(err);
      opts.log.error({ path: (req.url ?? '').split('?')[0], error }, 'serving a file failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const socket = attachSocket(server, opts.core, access, opts.log);

  return {
    port,
    token,
    url: `http://${hostPort(pageHost(opts.host), port)}/?${TOKEN_PARAM}=${token}`,
    close: async () => {
      await socket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
