// Link emulation for the virtual farm. A transmission of N bytes occupies a link for
// N*8/bandwidth seconds; a sender holds each message until its airtime has passed. Devices on a
// shared medium (all Pis on one 2.4 GHz Wi-Fi) take turns on one airtime service, so they share
// its bandwidth the way they would on the air; a switched port paces only its own traffic.
import net from 'node:net';
import { createInterface } from 'node:readline';

export interface Link {
  /** Resolves when `bytes` have crossed the link. */
  transmit(bytes: number): Promise<void>;
  close(): void;
}

function txMs(bytes: number, mbps: number): number {
  return (bytes * 8) / (mbps * 1000);
}

/** Busy-until bookkeeping: transmissions queue one after another at `mbps`. */
class Airtime {
  private busyUntil = 0;

  constructor(private readonly mbps: number) {}

  /** Ms from now until a transmission of `bytes` queued now has finished. */
  reserve(bytes: number): number {
    const now = performance.now();
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + txMs(bytes, this.mbps);
    return this.busyUntil - now;
  }
}

/** A device's own switched port. */
export function portLink(mbps: number): Link {
  const air = new Airtime(mbps);
  return {
    transmit: (bytes) => new Promise((resolve) => setTimeout(resolve, air.reserve(bytes))),
    close: () => undefined,
  };
}

/**
 * The airtime service of one shared medium: one line `{"bytes":N}` per transmission, answered
 * with an empty line when it has crossed. Listens on 127.0.0.1 by default (it is the virtual
 * farm's own plumbing, not the data plane); on the farm's private link address when some of its
 * boards run in network namespaces of their own (farm/netns.ts), which cannot reach 127.0.0.1.
 */
export async function serveMedium(
  mbps: number,
  port = 0,
  host = '127.0.0.1',
): Promise<{ port: number; close(): Promise<void> }> {
  const air = new Airtime(mbps);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const lines = createInterface({ input: sock });
    // readline passes its input's errors on: a device killed mid-message resets its connection,
    // and an unheard ECONNRESET here would take the whole medium (and every device) down.
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      let bytes: number;
      try {
        bytes = (JSON.parse(line) as { bytes: number }).bytes;
      } catch {
        sock.destroy();
        return;
      }
      if (!Number.isFinite(bytes) || bytes < 0) {
        sock.destroy();
        return;
      }
      setTimeout(() => sock.writable && sock.write('\n'), air.reserve(bytes));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A device on a shared medium: asks the medium's airtime service before each message. */
export async function mediumLink(host: string, port: number): Promise<Link> {
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
  sock.setNoDelay(true);
  const waiting: Array<() => void> = [];
  let broken = false;
  const lines = createInterface({ input: sock });
  lines.on('error', () => undefined);
  // Answers come in request order (one connection, one queue on the service).
  lines.on('line', () => waiting.shift()?.());
  sock.on('close', () => {
    broken = true;
    for (const w of waiting.splice(0)) w();
  });
  sock.on('error', () => undefined);
  return {
    transmit: (bytes) =>
      new Promise<void>((resolve, reject) => {
        // Unpaced traffic would make every emulated figure wrong: fail the message instead.
        if (broken) return reject(new Error(`the emulated medium at ${host}:${port} is gone`));
        waiting.push(resolve);
        sock.write(`${JSON.stringify({ bytes })}\n`);
      }),
    close: () => sock.destroy(),
  };
}
