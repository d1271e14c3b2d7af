// A run as a report sees it: plain typed objects built from a run's folder (run.json,
// metrics.jsonl, plan.json, power.json, power.csv), so the renderers never touch files.
import type { MeterEnergy, RunEnergy } from '../contract/energy';
import type { Plan } from '../contract/plan';
import type { RunFault, RunMetrics, RunRepeat, RunSummary, RunWindow } from '../contract/run';
import type { PowerSample } from '../power/sample';
import { runEnergy } from '../power/session';
import type { PowerSummary } from '../power/summary';
import type { RunConfiguration } from '../contract/report';

export interface ReportDevice {
  device: string;
  /** Board profile and role from the plan, when the run had one. */
  profile: string | null;
  role: string | null;
  /** Means over the run's metrics. */
  fps: number | null;
  utilisation: number | null;
  computeMs: number | null;
  emulated: boolean;
  /** From a meter on this device alone (its rails, its own plug). */
  energy: MeterEnergy | null;
}

export interface PowerTrace {
  meter: string;
  emulated: boolean;
  /** Seconds since the run started (negative during idle), watts. */
  points: Array<[number, number]>;
}

export interface ReportRun {
  runId: string;
  kind: string;
  model: string;
  /** Model, farm, plan and meters: what makes runs repeats of one experiment. */
  configuration: RunConfiguration;
  /** Its place in a repeated set (`mchair run --repeat N`), if it was one. */
  repeat: RunRepeat | null;
  state: string;
  startedAt: string;
  endedAt: string | null;
  frames: number;
  completed: number;
  ips: number | null;
  /** The measured window, or null with `shortfall` saying why. */
  window: RunWindow | null;
  shortfall: string | null;
  energy: RunEnergy | null;
  devices: ReportDevice[];
  /** Seconds since the run started, inferences per second. */
  ipsSeries: Array<[number, number]>;
  power: PowerTrace[];
  plan: Plan | null;
  /** Faults the run met (boards lost, back, slowed; its link down) and the re-plan each brought. */
  faults: RunFault[];
  /** True when any figure in this run comes from emulation. */
  emulated: boolean;
}

export interface RunFolder {
  summary: RunSummary;
  metrics: RunMetrics[];
  plan: Plan | null;
  /** power.json: absent for a run without meters, or one that ended before writing it. */
  power: PowerSummary | null;
  /** power.csv, by meter label (written as the run goes, so a crashed run has it too). */
  samples: Map<string, PowerSample[]>;
}

/** At most `max` points: bucket means, so a long run's chart keeps its shape and stays small. */
export function decimate(points: Array<[number, number]>, max: number): Array<[number, number]> {
  if (points.length <= max) return points;
  const per = points.length / max;
  const out: Array<[number, number]> = [];
  for (let b = 0; b < max; b++) {
    const slice = points.slice(Math.floor(b * per), Math.floor((b + 1) * per));
    if (slice.length === 0) continue;
    out.push([
      slice.reduce((s, p) => s + p[0], 0) / slice.length,
      slice.reduce((s, p) => s + p[1], 0) / slice.length,
    ]);
  }
  return out;
}

/** The farm by board profile ("3x pi3 + 1x tx2-gpu"), from the plan; a count without one. */
function farmOf(plan: Plan | null, devices: readonly ReportDevice[]): string {
  if (!plan) return `${devices.length} device${devices.length === 1 ? '' : 's'}`;
  const counts = new Map<string, number>();
  for (const d of plan.devices) counts.set(d.profile, (counts.get(d.profile) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([profile, n]) => `${n}x ${profile}`)
    .join(' + ');
}

const mean = (xs: number[]): number | null =>
  xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;

export function reportRun(f: RunFolder, maxPoints = 600): ReportRun {
  const { summary, metrics, plan, power, samples } = f;
  // power.json without energy in run.json: a run that stopped between writing the two.
  const measured =
    summary.window && summary.ips ? { frames: summary.window.frames, ips: summary.ips } : null;
  const energy = summary.energy ?? (power ? runEnergy(power, measured, summary.completed) : null);
  const names = new Set<string>([
    ...(plan?.devices.map((d) => d.device) ?? []),
    ...metrics.flatMap((m) => m.devices.map((d) => d.device)),
  ]);
  const devices: ReportDevice[] = [...names].map((device) => {
    const seen = metrics.flatMap((m) => m.devices.filter((d) => d.device === device));
    const role = plan?.devices.find((d) => d.device === device);
    const own = energy?.meters.find(
      (m) =>
        m.scope.kind === 'devices' && m.scope.devices.length === 1 && m.scope.devices[0] === device,
    );
    return {
      device,
      profile: role?.profile ?? null,
      role: role ? (role.part ?? role.stage ?? 'idle') : null,
      fps: mean(seen.map((d) => d.fps)),
      utilisation: mean(seen.map((d) => d.utilisation)),
      computeMs: mean(seen.map((d) => d.computeMs)),
      emulated: seen.some((d) => d.emulated),
      energy: own ?? null,
    };
  });
  // Without power.json (a run that crashed) the timeline starts at the first sample.
  const start =
    power?.runStartMs ?? Math.min(...[...samples.values()].map((l) => l[0]?.t ?? Infinity));
  const traces: PowerTrace[] = [...samples].map(([meter, list]) => ({
    meter,
    emulated:
      power?.meters.find((m) => m.info.label === meter)?.info.emulated ??
      meter.startsWith('emulated@'),
    points: decimate(
      list.map((s): [number, number] => [(s.t - start) / 1000, s.w]),
      maxPoints,
    ),
  }));
  return {
    runId: summary.id,
    kind: summary.kind,
    model: summary.model,
    configuration: {
      model: summary.model,
      farm: farmOf(plan, devices),
      plan: plan?.origin ?? '',
      meters: (energy?.meters ?? []).map((m) => m.meter).join(' + '),
    },
    repeat: summary.repeat ?? null,
    state: summary.state,
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    frames: summary.frames,
    completed: summary.completed,
    ips: summary.ips,
    window: summary.window ?? null,
    shortfall: summary.shortfall ?? null,
    energy,
    devices,
    ipsSeries: decimate(
      metrics.map((m): [number, number] => [m.t, m.ips]),
      maxPoints,
    ),
    power: traces,
    plan,
    faults: summary.faults ?? [],
    emulated: Boolean(energy?.emulated) || devices.some((d) => d.emulated),
  };
}
