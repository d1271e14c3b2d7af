// Boards that join a running run: the farm's membership is watched (the farm file `mchair farm
// add` and the Farm view's Virtual farm panel append to), a board the run has not seen is probed
// until its agent answers on the farm's TLS, and it is handed to Faults, which re-plans with it
// through the same path a lost or returning board takes, but only when the planner predicts at
// least JOIN_GAIN more IPS with it: a re-plan stalls the pipeline for a redeploy (a few hundred ms
// on the virtual farm), which a gain of a percent or two does not pay back.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Plan } from '../contract/plan';
import { gainText } from '../contract/run';
import { FarmEndpoints } from '../farm/farmfile';
import type { Logger } from '../log';
import { farmFromFile, type FarmBoard, type Replan } from '../planner/index';
import { PeerClient, type Peer, type TlsMaterial } from '../../remote-agent/src/protocol/index';
import type { Board } from '../shared/board';
import { within } from '../shared/within';

/** Least predicted IPS gain (a share of the plan running) that earns a joined board a chair. */
export const JOIN_GAIN = 0.05;

/** A board that joined the farm and answers, as Faults takes it (beside heartbeat verdicts). */
export interface Joined {
  kind: 'joined';
  device: string;
  /** When its agent answered the probe (performance.now() ms). */
  at: number;
  /** When the farm first named it (performance.now() ms). */
  since: number;
  board: FarmBoard;
}

/** Whether the planner's re-plan with a joined board is worth a redeploy, and why, in words. */
export function joinWorthIt(
  current: Plan,
  r: Replan,
): { take: boolean; gain: number; why: string } {
  const gain = r.plan.prediction.ips / current.prediction.ips - 1;
  const take = r.switchPlan && gain >= JOIN_GAIN;
  const joined = r.plan.devices.filter((d) => !current.devices.some((c) => c.device === d.device));
  const who = joined.map((d) => d.device).join(', ') || 'a board';
  return {
    take,
    gain,
    why: take
      ? r.why
      : `${who} joined: the planner predicts ${gainText(gain)} IPS with it, under the ${gainText(JOIN_GAIN)} a re-plan needs; the plan stays`,
  };
}

/** A board named by the farm, as the run reaches it and the planner sees it. */
export interface Newcomer {
  agent: Board;
  board: FarmBoard;
  /** When the farm first named it (performance.now() ms). */
  since: number;
  /** Called once its agent answered, before any plan names it (the lab's boards: parts go to it). */
  admit?(): void;
}

/** Where a run learns of boards joining its farm. */
export interface Membership {
  /** Calls `onNew` once for every board the farm names that the run has not seen; returns stop. */
  watch(onNew: (n: Newcomer) => void): () => void;
}

/** How often a farm's files are looked at: a join is noticed within this. */
const FARM_FILE_POLL_MS = 250;

/**
 * Calls `changed` with a file's new stat each time one of `files` changes, until the returned
 * stop. Polled by stat, since an atomic rename replaces the file a watch on it would follow.
 */
export function pollFiles(files: readonly string[], changed: (st: Stats) => void): () => void {
  const listener = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs && cur.nlink > 0) changed(cur);
  };
  for (const f of files) watchFile(f, { interval: FARM_FILE_POLL_MS, persistent: false }, listener);
  return () => {
    for (const f of files) unwatchFile(f, listener);
  };
}

/** A file's change time on this process's monotonic clock (performance.now() ms). */
export const changedAt = (st: Stats): number =>
  performance.now() - Math.max(0, Date.now() - st.mtimeMs);

/** The boards of a farm file (a virtual farm's, which `mchair farm add` rewrites atomically). */
export function farmFileMembership(file: string, known: Iterable<string>, log: Logger): Membership {
  const seen = new Set(known);
  return {
    watch(onNew) {
      let stopped = false;
      let reading = Promise.resolve();
      const look = async (st: Stats) => {
        let json: unknown;
        try {
          json = JSON.parse(await readFile(file, 'utf8'));
        } catch (err) {
          log.warn({ file, err: (err as Error).message }, 'farm file unreadable; joins wait');
          return;
        }
        const parsed = FarmEndpoints.safeParse(json);
        if (!parsed.success) {
          log.warn({ file }, 'farm file invalid; joins wait');
          return;
        }
        const since = changedAt(st);
        for (const d of parsed.data.devices) {
          if (seen.has(d.id) || stopped) continue;
          seen.add(d.id);
          let board: FarmBoard;
          try {
            board = farmFromFile({ devices: [{ id: d.id, profile: d.profile }] }, file).devices[0]!;
          } catch (err) {
            log.warn({ device: d.id, err: (err as Error).message }, 'joined board not planned');
            continue;
          }
          onNew({
            agent: {
              id: d.id,
              host: d.host,
              port: d.port,
              profile: parsed.data.emulated ? d.profile : null,
            },
            board,
            since,
          });
        }
      };
      const stop = pollFiles([file], (st) => {
        reading = reading.then(() => look(st));
      });
      return () => {
        stopped = true;
        stop();
      };
    },
  };
}

/** How long a joined board's agent gets to answer before it is left out of the run. */
const PROBE_MS = 15_000;
const PROBE_EVERY_MS = 500;

/** Resolves once `peer`'s agent answers a health ping as itself; rejects after PROBE_MS. */
export async function probeAgent(peer: Peer, tls: TlsMaterial): Promise<void> {
  const until = performance.now() + PROBE_MS;
  let last = '';
  while (performance.now() < until) {
    let c: PeerClient | null = null;
    try {
      c = await PeerClient.connect(peer, { tls, timeoutMs: 3000 });
      const h = await within(c.ping(Date.now()), 3000, 'no answer to a ping');
      if (h.agentId === peer.id) return;
      last = `the agent at ${peer.host}:${peer.port} is ${h.agentId}`;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      c?.close();
    }
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  throw new Error(`${peer.id} did not answer in ${PROBE_MS / 1000} s: ${last}`);
}

/**
 * Offers every board the membership names to the run: probed, then known to the coordinator
 * and the heartbeat, then handed to `join` (Faults.join). Returns stop.
 */
export function watchJoins(o: {
  membership: Membership;
  tls: TlsMaterial;
  addAgent(a: Board): void;
  watch(p: Peer): void;
  join(board: FarmBoard, since: number): void;
  log: Logger;
  say?(line: string): void;
}): () => void {
  let stopped = false;
  const stop = o.membership.watch((n) => {
    const peer = { id: n.agent.id, host: n.agent.host, port: n.agent.port };
    o.say?.(`${peer.id} joined the farm; probing its agent at ${peer.host}:${peer.port}`);
    probeAgent(peer, o.tls).then(
      () => {
        if (stopped) return;
        n.admit?.();
        o.addAgent(n.agent);
        o.watch(peer);
        o.join(n.board, n.since);
      },
      (err: Error) => {
        o.log.warn({ device: peer.id, err: err.message }, 'joined board not offered a chair');
        o.say?.(`${peer.id} not offered a chair: ${err.message}`);
      },
    );
  });
  return () => {
    stopped = true;
    stop();
  };
}
