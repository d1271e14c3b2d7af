// Chaos: faults injected on purpose into a run, for tests and demos (`mchair run --chaos
// kill:pi3-2@3,cut:pi3-4@5,slow:pi3-1@4:5,back:pi3-2@9`). Each fault comes seconds after the
// first frame, or at a moment of the run (`kill:pi3-2@deploy`, see RUN_PHASES). kill = SIGKILL the board's agent; cut =
// the board's network cut (its network namespace's links set down when the agent runs in one, as
// `mchair run --emulate` arranges for boards it will cut when it can, see farm/netns.ts; else the
// process stopped with SIGSTOP: its sockets stay open and silent, as on a dead Wi-Fi link); slow = thermal throttling, the board FACTOR times slower (the agent's throttle message);
// back = the board returns (a killed agent restarted on its port, a cut link set up again, a
// throttled board at full speed).
import { execFile } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { type Peer, PeerClient, type TlsMaterial } from '../../remote-agent/src/protocol/index';
import { InputError } from '../contract/index';
import { isOurAgent } from '../farm/local';
import { ipIn } from '../farm/netns';
import { RUN_PHASES, type RunPhase } from './coordinator';

const exec = promisify(execFile);

export type ChaosKind = 'kill' | 'cut' | 'slow' | 'back' | 'outage';

/** The device an outage names: every board at once, through this machine's own link. */
export const LINK = 'link';

export interface ChaosAction {
  kind: ChaosKind;
  device: string;
  /** Seconds after the first frame is sent, or the moment of the run it comes at. */
  at: number | RunPhase;
  /** slow: how many times slower; outage: for how many seconds. */
  factor: number | null;
}

const WHEN = `(\\d+(?:\\.\\d+)?|${RUN_PHASES.join('|')})`;
const OUTAGE = new RegExp(`^outage@${WHEN}:(\\d+(?:\\.\\d+)?)$`);
const PART = new RegExp(
  `^(kill|cut|slow|back):([A-Za-z0-9._-]{1,64})@${WHEN}(?::(\\d+(?:\\.\\d+)?))?$`,
);

/** A fault's WHEN: a moment of the run, or seconds after the first frame (at most an hour). */
function whenOf(part: string, at: string): number | RunPhase {
  if ((RUN_PHASES as readonly string[]).includes(at)) return at as RunPhase;
  const s = Number(at);
  if (s > 3600) throw new InputError(`--chaos: "${part}": the time must be at most 3600 s`);
  return s;
}

/** Parses a --chaos list; each error names the bad part. `devices` are the farm's ids. */
export function parseChaos(spec: string, devices: readonly string[]): ChaosAction[] {
  const actions: ChaosAction[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const outage = OUTAGE.exec(part);
    if (outage) {
      const [, at, seconds] = outage as unknown as [string, string, string];
      const s = Number(seconds);
      if (!(s > 0 && s <= 3600))
        throw new InputError(`--chaos: "${part}": an outage lasts 0 to 3600 s`);
      actions.push({ kind: 'outage', device: LINK, at: whenOf(part, at), factor: s });
      continue;
    }
    const m = PART.exec(part);
    if (!m) {
      throw new InputError(
        `--chaos: "${part}" is not kill:DEVICE@WHEN, cut:DEVICE@WHEN, slow:DEVICE@WHEN:FACTOR, back:DEVICE@WHEN or outage@WHEN:SECONDS (WHEN: seconds, or one of ${RUN_PHASES.join(', ')})`,
      );
    }
    const [, kind, device, at, factor] = m as unknown as [
      string,
      ChaosKind,
      string,
      string,
      string?,
    ];
    if (!devices.includes(device))
      throw new InputError(`--chaos: "${part}": no device "${device}" in the farm`);
    const when = whenOf(part, at);
    if (kind === 'slow') {
      const f = Number(factor);
      if (factor === undefined || !(f > 1 && f <= 1000))
        throw new InputError(
          `--chaos: "${part}": slow needs a FACTOR above 1 (e.g. slow:${device}@${at}:5)`,
        );
      actions.push({ kind, device, at: when, factor: f });
    } else {
      if (factor !== undefined)
        throw new InputError(`--chaos: "${part}": only slow takes a FACTOR`);
      actions.push({ kind, device, at: when, factor: null });
    }
  }
  // Timed faults in time order; each moment's faults in the order given.
  const timeOf = (a: ChaosAction) => (typeof a.at === 'number' ? a.at : Infinity);
  return actions.sort((a, b) => timeOf(a) - timeOf(b));
}

/** What chaos can reach of one board. */
export interface ChaosTarget {
  peer: Peer;
  /** The agent's process on this machine (virtual farm); null for a board elsewhere. */
  pid: number | null;
  /** Starts the agent again on its port after a kill; null when this machine cannot. */
  restart: (() => Promise<number>) | null;
}

/** A fault as injected: what, to whom, when (ms on this process's monotonic clock), and how. */
export interface Injected {
  action: ChaosAction;
  at: number;
  /** How it was done, for the record: "SIGKILL pid 123", "link mb0 down in netns x", ... */
  how: string;
}

/**
 * The network namespace a process runs in when it is not ours, with its links (other than lo):
 * `name` is its name under /run/netns, else its inode (the virtual farm's are anonymous, see
 * farm/netns.ts); `path` is what nsenter takes. Null if the process shares our namespace.
 */
async function namespaceOf(
  pid: number,
): Promise<{ name: string; path: string; links: string[] } | null> {
  const path = `/proc/${pid}/ns/net`;
  let inode: string;
  try {
    inode = await readlink(path);
    if (inode === (await readlink('/proc/self/ns/net'))) return null;
  } catch {
    return null;
  }
  const named = await exec('ip', ['netns', 'identify', String(pid)]).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  const out = (await ipIn(path, '-o', 'link', 'show')).stdout;
  const links = out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined && l !== 'lo');
  return { name: named || inode, path, links };
}

/** Sets the links of a namespace down or up. */
async function setLinks(
  ns: { path: string; links: readonly string[] },
  state: 'up' | 'down',
): Promise<void> {
  await Promise.all(ns.links.map((l) => ipIn(ns.path, 'link', 'set', l, state)));
}

export class Chaos {
  private readonly timers: NodeJS.Timeout[] = [];
  /** Actions at a moment of the run already done. */
  private readonly fired = new Set<ChaosAction>();
  private readonly targets: Map<string, ChaosTarget>;
  /** How each cut was made, so back can undo it. */
  private readonly cuts = new Map<
    string,
    { netns: string; path: string; links: string[] } | { pid: number }
  >();
  readonly injected: Injected[] = [];

  /** An outage under way: how to end it (the link set up again, the agents continued). */
  private outageEnd: (() => Promise<void>) | null = null;

  constructor(
    private readonly actions: readonly ChaosAction[],
    targets: readonly ChaosTarget[],
    private readonly tls: TlsMaterial,
    /**
     * This machine's link to every board (farm/netns.ts), when the boards run in network
     * namespaces: an outage takes its carrier down. Null: an outage stops every agent instead.
     */
    private readonly uplink: { name: string; carrier(state: 'up' | 'down'): Promise<void> } | null,
    private readonly onInjected: (i: Injected) => void,
    private readonly onError: (a: ChaosAction, err: Error) => void,
  ) {
    this.targets = new Map(targets.map((t) => [t.peer.id, t]));
  }

  /**
   * Where each board a cut will hit lives, looked up before the run (running `ip` while the run
   * computes took seconds on a loaded machine and landed cuts late): by the agent's pid then.
   */
  private readonly namespaces = new Map<
    string,
    { pid: number; ns: ReturnType<typeof namespaceOf> }
  >();

  /** Schedules every timed action relative to now (the run's first frame). */
  start(): void {
    for (const a of this.actions) {
      const pid = this.targets.get(a.device)?.pid;
      if (a.kind === 'cut' && pid && !this.namespaces.has(a.device)) {
        const ns = namespaceOf(pid);
        ns.catch(() => undefined);
        this.namespaces.set(a.device, { pid, ns });
      }
    }
    for (const a of this.actions) {
      const { at } = a;
      if (typeof at === 'number') this.timers.push(setTimeout(() => void this.fire(a), at * 1000));
    }
  }

  /**
   * The run reached a moment: its actions are done now, each once (a moment that comes again,
   * as a re-plan may, finds them done). Resolves once they took effect.
   */
  async reached(phase: RunPhase): Promise<void> {
    const due = this.actions.filter((a) => a.at === phase && !this.fired.has(a));
    for (const a of due) this.fired.add(a);
    for (const a of due) await this.fire(a);
  }

  private async fire(a: ChaosAction): Promise<void> {
    await this.inject(a).then(
      ({ how, at }) => {
        const i = { action: a, at, how };
        this.injected.push(i);
        this.onInjected(i);
      },
      (err: Error) => this.onError(a, err),
    );
  }

  /** The injection of a device's latest fault of `kinds` up to now, if any. */
  lastInjected(device: string, kinds: readonly ChaosKind[]): Injected | null {
    for (let i = this.injected.length - 1; i >= 0; i--) {
      const x = this.injected[i]!;
      if (x.action.device === device && kinds.includes(x.action.kind)) return x;
    }
    return null;
  }

  private target(a: ChaosAction): ChaosTarget {
    const t = this.targets.get(a.device);
    if (!t) throw new Error(`no device "${a.device}"`);
    return t;
  }

  /** The agent's pid, checked to still be our agent (never signal a stranger reusing the pid). */
  private async pidOf(a: ChaosAction): Promise<number> {
    const pid = this.target(a).pid;
    if (pid === null || (await isOurAgent(pid)) !== true)
      throw new Error(`${a.kind} needs the agent of ${a.device} to run on this machine`);
    return pid;
  }

  /** Does one action; `at` is taken right before the step that takes effect (faults are timed from it). */
  private async inject(a: ChaosAction): Promise<{ how: string; at: number }> {
    let at: number;
    switch (a.kind) {
      case 'kill': {
        const pid = await this.pidOf(a);
        at = performance.now();
        process.kill(pid, 'SIGKILL');
        return { how: `SIGKILL to pid ${pid}`, at };
      }
      case 'cut': {
        const pid = await this.pidOf(a);
        const early = this.namespaces.get(a.device);
        const ns = await (early?.pid === pid ? early.ns : namespaceOf(pid));
        at = performance.now();
        if (ns && ns.links.length > 0) {
          await setLinks(ns, 'down');
          this.cuts.set(a.device, { netns: ns.name, path: ns.path, links: ns.links });
          return {
            how: `link ${ns.links.join(', ')} set down in network namespace ${ns.name}`,
            at,
          };
        }
        // Not in a namespace of its own: stop the process, its sockets open and silent.
        process.kill(pid, 'SIGSTOP');
        this.cuts.set(a.device, { pid });
        return { how: `SIGSTOP to pid ${pid} (no network namespace of its own)`, at };
      }
      case 'slow': {
        const c = await this.connect(a.device);
        at = performance.now();
        await this.throttle(c, a.factor as number);
        return { how: `throttle ${a.factor}x`, at };
      }
      case 'back': {
        // A board is back once its agent listens (or its link is up) again: timed from then.
        const how = await this.back(a);
        return { how, at: performance.now() };
      }
      case 'outage':
        return this.outage(a.factor as number);
    }
  }

  /**
   * This machine's link down for `seconds`: every board silent at once while they can still
   * reach each other (the uplink set down), or, without namespaces, every agent stopped.
   */
  private async outage(seconds: number): Promise<{ how: string; at: number }> {
    let how: string;
    const at = performance.now();
    if (this.uplink) {
      const link = this.uplink;
      await link.carrier('down');
      this.outageEnd = () => link.carrier('up');
      how = `link ${link.name} (this machine's link to every board) without carrier for ${seconds} s`;
    } else {
      const pids: number[] = [];
      for (const t of this.targets.values())
        if (t.pid !== null && (await isOurAgent(t.pid)) === true) pids.push(t.pid);
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      this.outageEnd = async () => {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      };
      how = `SIGSTOP to every agent (pids ${pids.join(', ')}) for ${seconds} s (no network namespaces)`;
    }
    this.timers.push(setTimeout(() => void this.endOutage(), seconds * 1000));
    return { how, at };
  }

  private async endOutage(): Promise<void> {
    const end = this.outageEnd;
    this.outageEnd = null;
    await end?.().catch((err: Error) =>
      this.onError(
        this.actions.find((a) => a.kind === 'outage')!,
        err,
      ),
    );
  }

  private connect(device: string): Promise<PeerClient> {
    return PeerClient.connect(this.targets.get(device)!.peer, { tls: this.tls, timeoutMs: 2000 });
  }

  private async throttle(c: PeerClient, factor: number): Promise<void> {
    try {
      await c.throttle(factor);
    } finally {
      c.close();
    }
  }

  private async back(a: ChaosAction): Promise<string> {
    const last = this.lastInjected(a.device, ['kill', 'cut', 'slow']);
    if (!last) throw new Error(`back:${a.device}: nothing happened to ${a.device} before`);
    if (last.action.kind === 'slow') {
      await this.throttle(await this.connect(a.device), 1);
      return 'throttle 1x (full speed)';
    }
    if (last.action.kind === 'cut') {
      const cut = this.cuts.get(a.device);
      this.cuts.delete(a.device);
      if (cut && 'netns' in cut) {
        await setLinks(cut, 'up');
        return `link ${cut.links.join(', ')} set up in network namespace ${cut.netns}`;
      }
      if (cut) process.kill(cut.pid, 'SIGCONT');
      return `SIGCONT to pid ${cut?.pid}`;
    }
    const restart = this.target(a).restart;
    if (!restart) throw new Error(`back:${a.device}: this farm cannot restart ${a.device}'s agent`);
    const pid = await restart();
    this.target(a).pid = pid;
    return `agent restarted as pid ${pid}`;
  }

  /**
   * Cancels what has not happened yet, resumes every stopped process and sets a link it set down
   * up again (never leave one stopped or cut).
   */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    void this.endOutage();
    for (const cut of this.cuts.values()) {
      try {
        if ('pid' in cut) process.kill(cut.pid, 'SIGCONT');
      } catch {
        // gone already
      }
    }
    this.cuts.clear();
  }
}
