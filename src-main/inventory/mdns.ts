// Finds boards that announce themselves with multicast DNS (avahi on Raspberry Pi OS and on
// Jetson's Ubuntu): asks the local network who offers SSH (`_ssh._tcp`, `_sftp-ssh._tcp`) or is a
// workstation (`_workstation._tcp`, avahi's per-host record), and collects names and addresses.
// Works only where multicast crosses the network (not through most Wi-Fi client isolation).
import makeMdns from 'multicast-dns';
import type { Answer } from 'dns-packet';

export interface MdnsOptions {
  /** How long to listen for answers. */
  timeoutMs?: number;
  /** The address of the interface that faces the lab network (default: the system's choice). */
  interfaceAddress?: string;
  signal?: AbortSignal;
}

export interface MdnsHost {
  /** The board's .local name, e.g. `raspberrypi.local`. */
  host: string;
  addresses: string[];
  /** Its SSH port (22 when only a workstation record was seen). */
  port: number;
  /** The announced instance names, e.g. `raspberrypi [dc:a6:32:..]`. */
  instances: string[];
}

export const MDNS_SERVICES = ['_ssh._tcp.local', '_sftp-ssh._tcp.local', '_workstation._tcp.local'];

interface Seen {
  ptr: Map<string, Set<string>>; // service -> instances
  srv: Map<string, { target: string; port: number }>; // instance -> where
  addresses: Map<string, Set<string>>; // host -> IPv4 addresses
}

function record(seen: Seen, a: Answer): void {
  const name = a.name.toLowerCase();
  if (a.type === 'PTR' && typeof a.data === 'string') {
    const set = seen.ptr.get(name) ?? new Set<string>();
    set.add(a.data.toLowerCase());
    seen.ptr.set(name, set);
  } else if (a.type === 'SRV') {
    seen.srv.set(name, { target: a.data.target.toLowerCase(), port: a.data.port });
  } else if (a.type === 'A' && typeof a.data === 'string') {
    const set = seen.addresses.get(name) ?? new Set<string>();
    set.add(a.data);
    seen.addresses.set(name, set);
  }
}

function hostsOf(seen: Seen): MdnsHost[] {
  const byHost = new Map<string, MdnsHost>();
  for (const service of MDNS_SERVICES) {
    for (const instance of seen.ptr.get(service) ?? []) {
      const where = seen.srv.get(instance);
      if (!where) continue;
      const ssh = !service.startsWith('_workstation');
      const entry = byHost.get(where.target) ?? {
        host: where.target,
        addresses: [],
        port: 22,
        instances: [],
      };
      // The SSH service's own port wins over the workstation record's placeholder.
      if (ssh) entry.port = where.port;
      entry.instances.push(instance.slice(0, instance.length - service.length - 1));
      entry.addresses = [...(seen.addresses.get(where.target) ?? [])].sort();
      byHost.set(where.target, entry);
    }
  }
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

export async function discoverMdns(opts: MdnsOptions = {}): Promise<MdnsHost[]> {
  const mdns = makeMdns({
    // Bound to every address: a socket bound to the interface's own address gets no multicast.
    bind: '0.0.0.0',
    ...(opts.interfaceAddress ? { interface: opts.interfaceAddress } : {}),
  });
  const seen: Seen = { ptr: new Map(), srv: new Map(), addresses: new Map() };
  mdns.on('response', (packet) => {
    for (const a of [...packet.answers, ...(packet.additionals ?? [])]) record(seen, a);
  });
  const ask = (): void =>
    mdns.query({ questions: MDNS_SERVICES.map((name) => ({ name, type: 'PTR' })) });
  // Instances whose SRV or address did not come with the PTR are asked for directly.
  const followUp = (): void => {
    const questions: Array<{ name: string; type: 'SRV' | 'A' }> = [...seen.ptr.values()]
      .flatMap((s) => [...s])
      .filter((i) => !seen.srv.has(i))
      .map((name) => ({ name, type: 'SRV' }));
    const targets = [...seen.srv.values()]
      .map((s) => s.target)
      .filter((t) => !seen.addresses.has(t));
    questions.push(...targets.map((name) => ({ name, type: 'A' as const })));
    if (questions.length > 0) mdns.query({ questions });
  };
  try {
    await new Promise<void>((resolve) => {
      mdns.once('ready', ask);
      // mDNS is lossy: ask again, then chase missing records, before the time is up.
      const timeoutMs = opts.timeoutMs ?? 3000;
      const again = setTimeout(ask, Math.min(1000, timeoutMs / 3));
      const chase = setTimeout(followUp, (timeoutMs * 2) / 3);
      const end = (): void => {
        clearTimeout(again);
        clearTimeout(chase);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(end, timeoutMs);
      opts.signal?.addEventListener('abort', end, { once: true });
    });
  } finally {
    mdns.destroy();
  }
  return hostsOf(seen);
}
