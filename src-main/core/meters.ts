// The handler behind Settings' "Test a meter": read a power meter for a few seconds and say what
// it saw, the quickest check that a meter is wired and its URI understood (as `mchair power read`).
import { readMeter } from '../power/read';
import type { Handlers } from './dispatch';

export function meterHandlers(): Pick<Handlers, 'meters/test'> {
  return {
    'meters/test': async ({ uri, seconds }) => {
      const r = await readMeter(uri, { seconds });
      return {
        meter: r.meter,
        emulated: r.emulated,
        samples: r.samples,
        avgW: r.avgW,
        minW: r.minW,
        maxW: r.maxW,
        energyJ: r.energyJ,
        durationS: r.durationS,
      };
    },
  };
}
