// What chaos can reach of a farm's boards: each agent's process on this machine (by the pid the
// farm recorded) and, for a farm this process started, a way to start a killed agent again on
// its port with the same profile and link (a board that comes back). Also the address this
// machine has towards the farm, where the coordinator's sink listens.
import net from 'node:net';
import type { FarmEndpoints } from '../farm/farmfile';
import { startLocalAgent, type LocalAgent } from '../farm/local';
import type { Farm } from '../planner/index';
import type { ChaosTarget } from './chaos';

export interface FarmTargets {
  targets: ChaosTarget[];
  /** Stops the agents started again here. */
  stop(): Promise<void>;
}

/**
 * Targets of a farm's devices. `restartable`: the farm is this process's own (an ephemeral
 * virtual farm), so a killed agent may be started again; its link comes from the planner's farm,
 * and a board in a network namespace of its own (`netns` by device id) starts again in it.
 */
export function farmTargets(
  endpoints: FarmEndpoints,
  planner: Farm,
  restartable: { threads: number; netns?: ReadonlyMap<string, string> } | null,
): FarmTargets {
  const restarted: LocalAgent[] = [];
  const targets = endpoints.devices.map((d): ChaosTarget => {
    const medium = planner.devices.find((x) => x.id === d.id)?.medium;
    const airtime = endpoints.airtime.find((m) => m.id === medium?.id);
    return {
      peer: { id: d.id, host: d.host, port: d.port },
      pid: d.pid ?? null,
      restart: restartable
        ? async () => {
            const a = await startLocalAgent({
              id: d.id,
              host: d.host,
              port: d.port,
              netns: restartable.netns?.get(d.id),
              partsDir: endpoints.partsDir,
              tlsDir: endpoints.tlsDir,
              threads: restartable.threads,
              profile: endpoints.emulated ? d.profile : null,
              ...(medium?.kind === 'shared' && airtime
                ? { medium: `${airtime.host}:${airtime.port}` }
                : medium && endpoints.emulated
                  ? { linkMbps: medium.mbps }
                  : {}),
            });
            restarted.push(a);
            return a.pid;
          }
        : null,
    };
  });
  return {
    targets,
    stop: async () => {
      await Promise.allSettled(restarted.map((a) => a.stop()));
    },
  };
}

/** This machine's address on the way to `host:port` (127.0.0.1 for local agents). */
export function addressTowards(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.setTimeout(5000, () => s.destroy(new Error(`no route to ${host}:${port}`)));
    s.once('connect', () => {
      const a = s.localAddress as string;
      s.destroy();
      resolve(a.replace(/^::ffff:/, ''));
    });
    s.once('error', reject);
  });
}
