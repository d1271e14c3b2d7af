// The handlers behind Settings' power meters and `mchair power read`: test a meter for a while
// (the quickest check that it is wired and its URI understood), stop that early, and keep the
// lab's list of saved meters that runs started from the app measure with.
import { readFarmFile } from '../farm/farmfile';
import { openLabFarm } from '../farm/labFarm';
import { monotonicClock } from '../power/clock';
import { readMeter } from '../power/read';
import { loadMeters, removeMeter, saveMeter } from '../power/savedMeters';
import { farmPowerConnector } from '../runtime/agent-power';
import type { Handlers } from './dispatch';

export function meterHandlers(
  dataDir: string,
): Pick<
  Handlers,
  'meters/test' | 'meters/stop-test' | 'meters/list' | 'meters/save' | 'meters/remove'
> {
  // The readings under way, each ended early (instrument released, summary kept) by stop-test.
  const reading = new Set<AbortController>();
  return {
    'meters/test': async ({ uri, seconds, intervalS, farm }) => {
      // agent:// reaches the board's agent through a farm, with the farm's TLS identity.
      const clock = monotonicClock();
      const agents = uri.startsWith('agent:')
        ? farmPowerConnector(farm ? await readFarmFile(farm) : await openLabFarm(dataDir), clock)
        : null;
      const stop = new AbortController();
      reading.add(stop);
      try {
        return await readMeter(uri, {
          seconds: seconds ?? undefined,
          intervalMs: intervalS === undefined ? undefined : intervalS * 1000,
          signal: stop.signal,
          clock,
          ...(agents ? { agents: agents.connect } : {}),
        });
      } finally {
        reading.delete(stop);
        agents?.close();
      }
    },
    'meters/stop-test': async () => {
      const stopped = reading.size;
      for (const stop of reading) stop.abort();
      return { stopped };
    },
    'meters/list': async () => ({ meters: await loadMeters(dataDir) }),
    'meters/save': async ({ meter, replaces }) => ({
      meters: await saveMeter(dataDir, meter, replaces),
    }),
    'meters/remove': async ({ name }) => ({ meters: await removeMeter(dataDir, name) }),
  };
}
