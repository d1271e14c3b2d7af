// The handler behind Settings' "Test a meter": read a power meter for a few seconds and say what
// it saw, the quickest check that a meter is wired and its URI understood (as `mchair power read`).
import { readMeter } from '../power/read';
import type { Handlers } from './dispatch';

export function meterHandlers(): Pick<Handlers, 'meters/test'> {
  return {
    'meters/test': ({ uri, seconds }) => readMeter(uri, { seconds }),
  };
}
