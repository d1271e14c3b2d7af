// Repeated runs: labs run each configuration several times and publish the mean with its spread.
// One loop for `mchair run --repeat N`, the app's Repeat field and `mchair demo --repeat N`: the
// runs go one after another, never overlapping (each has the farm and its meters to itself), each
// recorded with its place in the set, and a stop ends the set.
import type { RunRepeat } from '../contract/run';
import { newRunId } from '../store/runs';

export interface RepeatedSet<R> {
  /** The set's own id, in the run ids' form: each run.json names it, so the set is on disk. */
  set: string | null;
  runs: R[];
}

/**
 * Runs `runOnce` `times` times in order: with its place in the set when there is more than one
 * run, with none for a single run. A stop (`signal`) starts no further run.
 */
export async function runRepeated<R>(
  times: number,
  runOnce: (repeat: RunRepeat | undefined) => Promise<R>,
  opts: { signal?: AbortSignal; say?: (line: string) => void } = {},
): Promise<RepeatedSet<R>> {
  if (times === 1) return { set: null, runs: [await runOnce(undefined)] };
  const set = newRunId(new Date());
  const runs: R[] = [];
  for (let index = 1; index <= times && !opts.signal?.aborted; index++) {
    opts.say?.(`run ${index} of ${times} (set ${set})`);
    runs.push(await runOnce({ set, index, of: times }));
  }
  return { set, runs };
}
