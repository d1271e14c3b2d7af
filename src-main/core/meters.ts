// The handlers behind Settings' power meters: test a meter for a few seconds (the quickest check
// that it is wired and its URI understood, as `mchair power read`), and keep the lab's list of
// saved meters that runs started from the app measure with.
import { readMeter } from '../power/read';
import { loadMeters, removeMeter, saveMeter } from '../power/savedMeters';
import type { Handlers } from './dispatch';

export function meterHandlers(
  dataDir: string,
): Pick<Handlers, 'meters/test' | 'meters/list' | 'meters/save' | 'meters/remove'> {
  return {
    'meters/test': ({ uri, seconds }) => readMeter(uri, { seconds }),
    'meters/list': async () => ({ meters: await loadMeters(dataDir) }),
    'meters/save': async ({ meter, replaces }) => ({
      meters: await saveMeter(dataDir, meter, replaces),
    }),
    'meters/remove': async ({ name }) => ({ meters: await removeMeter(dataDir, name) }),
  };
}
