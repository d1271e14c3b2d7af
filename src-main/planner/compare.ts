// How an alternative plan differs from the best one (boards, stages, splits) and why it ranks
// lower, in the lab's words: what the Plan view and `mchair plan --top` show beside each
// alternative. Reads plan documents only, so it serves plans read back from files too.
import type { PlanComparison } from '../contract/lab';
import type { Plan } from '../contract/plan';

const used = (p: Plan): string[] => p.devices.filter((d) => d.stage !== null).map((d) => d.device);
const span = (s: Plan['stages'][number]): string =>
  s.firstLayer === s.lastLayer ? s.firstLayer : `${s.firstLayer}..${s.lastLayer}`;
const splits = (p: Plan): string[] =>
  p.stages.filter((s) => s.parts.length > 1).map((s) => `${span(s)} in ${s.parts.length}`);
const few = (ids: readonly string[]): string =>
  `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ` and ${ids.length - 3} more` : ''}`;
const seconds = (ips: number): string => `${(1 / ips).toFixed(3)} s`;

/** Where a plan's bottleneck is, naming the boards of a stage. */
function bottleneckOf(p: Plan): string {
  const b = p.prediction.bottleneck;
  if (b.kind === 'stage') {
    const s = p.stages.find((x) => x.id === b.where);
    const boards = s ? [...new Set(s.parts.flatMap((q) => q.devices))] : [];
    return `stage ${b.where}${s ? ` (${span(s)}) on ${few(boards)}` : ''}`;
  }
  if (b.kind === 'device') return `board ${b.where}, holding several roles,`;
  if (b.kind === 'medium') return `the shared ${b.where} medium`;
  return "the coordinator's port";
}

export function comparePlans(best: Plan, alt: Plan): PlanComparison {
  const differences: string[] = [];
  const a = used(alt);
  const b = used(best);
  if (a.length !== b.length) differences.push(`${a.length} boards busy (best: ${b.length})`);
  const more = a.filter((d) => !b.includes(d));
  const less = b.filter((d) => !a.includes(d));
  if (more.length > 0) differences.push(`uses ${few(more)}, idle in the best plan`);
  if (less.length > 0) differences.push(`leaves ${few(less)} idle`);
  const cuts = (p: Plan) => p.stages.map(span).join(' | ');
  if (cuts(alt) !== cuts(best))
    differences.push(
      alt.stages.length !== best.stages.length
        ? `${alt.stages.length} stages (best: ${best.stages.length}): ${cuts(alt)}`
        : `stages cut elsewhere: ${cuts(alt)}`,
    );
  const sa = splits(alt).join(', ') || 'none';
  const sb = splits(best).join(', ') || 'none';
  if (sa !== sb) differences.push(`splits ${sa} (best: ${sb})`);
  if (differences.length === 0)
    differences.push('the same stages and boards, replicas placed otherwise');

  const pa = alt.prediction;
  const pb = best.prediction;
  let why: string;
  if (pa.ips < pb.ips * (1 - 1e-6)) {
    why = `${bottleneckOf(alt)} is the bottleneck: ${seconds(pa.ips)} a frame vs ${seconds(pb.ips)} for the best plan's ${bottleneckOf(best)} (${pa.ips.toFixed(2)} vs ${pb.ips.toFixed(2)} IPS)`;
  } else if (pa.latencyMs > pb.latencyMs * (1 + 1e-6)) {
    why = `as many IPS, but a frame takes ${pa.latencyMs.toFixed(0)} ms from camera to result vs ${pb.latencyMs.toFixed(0)} ms`;
  } else {
    const ja = pa.staticJ + pa.dynamicJ;
    const jb = pb.staticJ + pb.dynamicJ;
    why = `as many IPS, but ${ja.toFixed(2)} J an inference vs ${jb.toFixed(2)} J`;
  }
  // Ranked by another objective, the alternative may have more IPS: say what it costs instead.
  if (best.objective === 'latency' && pa.latencyMs > pb.latencyMs * (1 + 1e-6))
    why = `a frame takes ${pa.latencyMs.toFixed(0)} ms vs ${pb.latencyMs.toFixed(0)} ms (${pa.ips.toFixed(2)} vs ${pb.ips.toFixed(2)} IPS)`;
  if (best.objective === 'energy')
    why = `${(pa.staticJ + pa.dynamicJ).toFixed(2)} J an inference vs ${(pb.staticJ + pb.dynamicJ).toFixed(2)} J (${pa.ips.toFixed(2)} vs ${pb.ips.toFixed(2)} IPS)`;
  return { differences, why };
}
