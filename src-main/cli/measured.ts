// The figures a run measured, as `mchair run` and `mchair runs show` print them: IPS and energy
// per inference over the measured window (or why there is none), and the whole run's energy
// under its own name. Both print the run's record as it is, so the numbers are run.json's.
import { partOfRun, type RunEnergy } from '../contract/energy';
import type { RunWindow } from '../contract/run';

const fmt = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits);

export function measuredLines(r: {
  ips: number | null;
  predictedIps?: number | null;
  window?: RunWindow | null;
  shortfall?: string | null;
  energy?: RunEnergy | null;
  emulated: boolean;
}): string[] {
  const tag = r.emulated ? ' (emulated)' : '';
  const predicted = r.predictedIps === undefined ? '' : `   predicted ${fmt(r.predictedIps)}`;
  const lines = r.window
    ? [
        `IPS                 ${fmt(r.ips)}${tag}${predicted}`,
        `measured window     ${fmt(r.window.fromS, 1)}-${fmt(r.window.toS, 1)} s, ${r.window.frames} frames (after warm-up and the pipeline's fill)`,
      ]
    : [`IPS                 n/a${predicted}: ${r.shortfall ?? 'no measured window'}`];
  const e = r.energy;
  if (e?.perInferenceJ)
    lines.push(
      `energy J/inference  static ${fmt(e.perInferenceJ.static)}  dynamic ${fmt(e.perInferenceJ.dynamic)}  total ${fmt(e.perInferenceJ.total)} over the window, idle ${fmt(e.idleW)} W, average ${fmt(e.window?.avgW)} W${e.emulated ? ' (emulated)' : ''}`,
    );
  if (e)
    lines.push(
      `whole run energy    ${fmt(e.wholeRun.energyJ, 1)} J over ${fmt(e.wholeRun.seconds, 1)} s (deploy, warm-up and fill included), ${e.wholeRun.inferences} inferences${e.emulated ? ' (emulated)' : ''}`,
    );
  // A board that joined mid-run (or a meter that stopped early): its joules are the stretch it had.
  for (const m of e?.meters ?? []) {
    const c = partOfRun(m.covered, e?.wholeRun.seconds ?? 0);
    if (c)
      lines.push(
        `  ${m.meter} measured ${fmt(c.fromS, 1)}-${fmt(c.toS, 1)} s of the run only: ${fmt(m.energyJ, 1)} J`,
      );
  }
  return lines;
}
