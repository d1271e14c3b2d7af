// Finds boards on a subnet the user names: connect to the SSH port of every address and keep
// those that greet with an SSH banner ("SSH-2.0-OpenSSH_9.2p1 Raspbian-..."). Bounded on purpose
// (at most a /22, a fixed number of connections at a time, a short time-out each) so it is a
// polite sweep of the lab's own network, never a port scan of someone else's.
import { Socket } from 'node:net';
import { InputError } from '../contract/errors';

export interface ScanOptions {
  /** IPv4 CIDR, e.g. 192.168.1.0/24. */
  subnet: string;
  port?: number;
  timeoutMs?: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface FoundHost {
  host: string;
  port: number;
  /** The server's identification line, which usually names the OS (Raspbian, Ubuntu, ...). */
  banner: string;
}

/** The largest sweep allowed: 1024 addresses. */
export const MAX_PREFIX = 22;

function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255))
    return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The host addresses of a subnet: without network and broadcast addresses below /31. */
export function subnetHosts(cidr: string): string[] {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  const base = m ? ipToInt(m[1]!) : null;
  const prefix = m ? Number(m[2]) : NaN;
  if (base === null || !(prefix >= 0 && prefix <= 32))
    throw new InputError(`"${cidr}" is not an IPv4 subnet like 192.168.1.0/24`);
  if (prefix < MAX_PREFIX)
    throw new InputError(
      `${cidr} has ${2 ** (32 - prefix)} addresses; scan at most a /${MAX_PREFIX} (1024 addresses) at a time`,
    );
  const size = 2 ** (32 - prefix);
  const network = (base - (base % size)) >>> 0;
  const all = Array.from({ length: size }, (_, i) => network + i);
  return (prefix <= 30 ? all.slice(1, -1) : all).map(intToIp);
}

/** Connects, reads the first line, and hangs up without sending anything. */
function bannerOf(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let data = '';
    const done = (banner: string | null): void => {
      sock.destroy();
      resolve(banner);
    };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.once('error', () => done(null));
    // RFC 4253 lets a server send other lines before its identification, which starts "SSH-".
    const identification = (): string | null =>
      data
        .split(/\r?\n/)
        .find((l, i, all) => l.startsWith('SSH-') && i < all.length - 1)
        ?.trim() ?? null;
    sock.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const line = identification();
      if (line || data.length > 1024) done(line);
    });
    sock.once('end', () =>
      done(identification() ?? (data.startsWith('SSH-') ? data.trim() : null)),
    );
    sock.connect(port, host);
  });
}

export async function scanSubnet(opts: ScanOptions): Promise<FoundHost[]> {
  const hosts = subnetHosts(opts.subnet);
  const port = opts.port ?? 22;
  const found: FoundHost[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < hosts.length && !opts.signal?.aborted) {
      const host = hosts[next++]!;
      const banner = await bannerOf(host, port, opts.timeoutMs ?? 1500);
      if (banner) found.push({ host, port, banner });
      opts.onProgress?.(++done, hosts.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 64, hosts.length) }, worker));
  return found.sort((a, b) => (ipToInt(a.host) ?? 0) - (ipToInt(b.host) ?? 0));
}
