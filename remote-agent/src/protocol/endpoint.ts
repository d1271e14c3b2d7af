// Endpoints of the wire: a server that answers the agent protocol and a client for one peer, both
// over mutual TLS 1.3 with TCP_NODELAY (without it each small answer waits ~40 ms for a delayed
// ACK) and with a message size limit on every byte stream we read.
import net from 'node:net';
import tls from 'node:tls';
// avsc's typings know only byte-stream transports; its object-mode channels take {readable, writable}.
import type { Service } from 'avsc';

type Transport = Service.Transport;
import { DEFAULT_MAX_MESSAGE_BYTES, packetStreams } from './framing';
import {
  agentService,
  frameCodec,
  type Ack,
  type Deployed,
  type Deployment,
  type Frame,
  type Handlers,
  type Health,
  type Outgoing,
  type Peer,
  type Readings,
  type Telemetry,
} from './schema';

/** PEM text: the farm CA and this endpoint's own certificate and key. */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

export interface EndpointOptions {
  tls: TlsMaterial;
  maxMessageBytes?: number;
}

/** The device id in a peer's certificate (its common name). */
function peerId(cert: tls.PeerCertificate | undefined): string | undefined {
  const cn = cert?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface ServerHandle {
  readonly port: number;
  /** Peers connected right now, by certificate id. */
  connections(): number;
  close(graceMs?: number): Promise<void>;
}

type Callback<T> = (err: Error | null, res?: T) => void;

/**
 * Serves `handlers` on host:port. Only peers with a certificate from the same farm CA are
 * served (the TLS handshake refuses any other).
 */
export async function serve(
  host: string,
  port: number,
  handlers: Handlers,
  opts: EndpointOptions & { onPeerError?: (err: Error) => void },
): Promise<ServerHandle> {
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const avroServer = agentService.createServer({ silent: true } as Parameters<
    Service['createServer']
  >[0]);
  // avsc hands a handler the request record and a callback; its typings leave both untyped.
  const onMessage = (
    avroServer as unknown as {
      onMessage(
        name: string,
        fn: (req: Record<string, unknown>, cb: Callback<unknown>) => void,
      ): void;
    }
  ).onMessage.bind(avroServer);
  const bind = (
    name: string,
    fn: ((req: Record<string, unknown>) => Promise<unknown>) | undefined,
  ) => {
    if (!fn) return;
    onMessage(name, (req, cb) => {
      fn(req).then(
        (r) => cb(null, r),
        (err: unknown) => cb(new Error(errorText(err))),
      );
    });
  };
  const h = handlers;
  bind('ping', h.ping && ((r) => h.ping!(r.nonce as number)));
  bind('deploy', h.deploy && ((r) => h.deploy!(r.deployment as Deployment)));
  bind('forward', h.forward && ((r) => h.forward!(r.frame as Frame)));
  bind('telemetry', h.telemetry && (() => h.telemetry!()));
  bind('readings', h.readings && (() => h.readings!()));
  bind('undeploy', h.undeploy && ((r) => h.undeploy!(r.runId as string)));
  bind('powerRead', h.powerRead && (() => h.powerRead!()));
  bind('throttle', h.throttle && ((r) => h.throttle!(r.factor as number)));
  avroServer.on('error', (err: Error) => opts.onPeerError?.(err));

  /** Each connection's avsc channel: destroy() without noWait lets its pending calls answer. */
  const sockets = new Map<tls.TLSSocket, { destroy(noWait?: boolean): void }>();
  const server = tls.createServer(
    {
      ca: opts.tls.ca,
      cert: opts.tls.cert,
      key: opts.tls.key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (socket) => {
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', (err) => opts.onPeerError?.(err));
      const channel = avroServer.createChannel(
        packetStreams(socket, maxBytes) as unknown as Transport,
        { objectMode: true },
      );
      sockets.set(socket, channel);
    },
  );
  server.on('tlsClientError', (err) => opts.onPeerError?.(err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    connections: () => sockets.size,
    // Each channel answers the calls it has taken, then half-closes (avsc ends the writable once
    // nothing is pending), so answers due reach the peer; what lingers past the grace is cut.
    close: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const channel of sockets.values()) channel.destroy();
        setTimeout(() => {
          for (const sock of sockets.keys()) sock.destroy();
        }, graceMs).unref();
      }),
  };
}

/** A long-lived connection to one peer with promise-returning calls. */
export class PeerClient {
  private closed = false;

  private constructor(
    readonly peer: Peer,
    private readonly socket: tls.TLSSocket,
    private readonly client: Record<string, (...a: unknown[]) => void>,
  ) {}

  /** Connects and checks that the peer's certificate names `peer.id`. */
  static async connect(
    peer: Peer,
    opts: EndpointOptions & { timeoutMs?: number },
  ): Promise<PeerClient> {
    const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const sock = tls.connect({
        host: peer.host,
        port: peer.port,
        ca: opts.tls.ca,
        cert: opts.tls.cert,
        key: opts.tls.key,
        minVersion: 'TLSv1.3',
        // Identity is the device id in the certificate, not the address (see farm/pki.ts).
        checkServerIdentity: (_host, cert) =>
          peerId(cert) === peer.id
            ? undefined
            : new Error(
                `peer at ${peer.host}:${peer.port} is "${peerId(cert)}", expected "${peer.id}"`,
              ),
      });
      const timer = setTimeout(
        () => sock.destroy(new Error(`no answer from ${peer.id} at ${peer.host}:${peer.port}`)),
        opts.timeoutMs ?? 10_000,
      );
      sock.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(sock);
      });
      // `on`, not `once`: a peer dying mid-handshake can error twice (ECONNRESET, then EPIPE
      // from the TLS write), and an unheard second error would crash this process.
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    socket.setNoDelay(true);
    // Requests may wait long for a slow (or emulated) board: no per-call time-out here; a dead
    // peer shows as a closed socket, and health pings carry their own.
    const client = agentService.createClient({ timeout: 0 });
    client.use(frameCodec.clientMiddleware as unknown as Parameters<typeof client.use>[0]);
    client.createChannel(packetStreams(socket, maxBytes) as unknown as Transport, {
      objectMode: true,
    });
    const pc = new PeerClient(
      peer,
      socket,
      client as unknown as Record<string, (...a: unknown[]) => void>,
    );
    socket.on('error', () => undefined);
    socket.on('close', () => {
      pc.closed = true;
    });
    return pc;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called once when the connection ends (the peer went away, or close()). */
  onClose(cb: () => void): void {
    if (this.socket.closed) cb();
    else this.socket.once('close', cb);
  }

  private call<R>(name: string, ...args: unknown[]): Promise<R> {
    if (this.closed) return Promise.reject(new Error(`connection to ${this.peer.id} is closed`));
    return new Promise<R>((resolve, reject) => {
      this.client[name]?.(...args, (err: unknown, res: R) => {
        if (err) reject(new Error(`${this.peer.id}: ${errorText(err)}`));
        else resolve(res);
      });
    });
  }

  ping(nonce: number): Promise<Health> {
    return this.call('ping', nonce);
  }

  deploy(d: Outgoing<'Deployment'>): Promise<Deployed> {
    return this.call('deploy', d);
  }

  forward(f: Frame): Promise<Ack> {
    return this.call('forward', f);
  }

  telemetry(): Promise<Telemetry> {
    return this.call('telemetry');
  }

  readings(): Promise<Readings> {
    return this.call('readings');
  }

  undeploy(runId: string): Promise<null> {
    return this.call('undeploy', runId);
  }

  powerRead(): Promise<string> {
    return this.call('powerRead');
  }

  throttle(factor: number): Promise<null> {
    return this.call('throttle', factor);
  }

  close(): void {
    this.closed = true;
    this.socket.end();
    this.socket.destroy();
  }
}
