// Repeated runs: labs run each configuration several times and publish the mean with its
// spread. Runs group by configuration (model, farm, plan, meters); each figure gets its mean,
// sample standard deviation, minimum and maximum over the runs that have it.
import type { RunConfiguration, RunGroup, Spread } from './report';

export type { RunGroup, Spread };

export function spreadOf(values: readonly (number | null | undefined)[]): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd =
    xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
  return { n: xs.length, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

/** The figures a repeated configuration is compared on. */
export interface RepeatedFigures {
  ips: number | null;
  staticJ: number | null;
  dynamicJ: number | null;
  totalJ: number | null;
}
/** A run's figures as repeats compare them: IPS and J per inference over its window. */
export function repeatedFigures(r: {
  ips: number | null;
  energy?: { perInferenceJ: { static: number; dynamic: number; total: number } | null } | null;
}): RepeatedFigures {
  const j = r.energy?.perInferenceJ;
  return {
    ips: r.ips,
    staticJ: j?.static ?? null,
    dynamicJ: j?.dynamic ?? null,
    totalJ: j?.total ?? null,
  };
}

const REPEATED_FIGURES = ['ips', 'staticJ', 'dynamicJ', 'totalJ'] as const;

type GroupedRun = { runId: string; configuration: RunConfiguration } & RepeatedFigures;

export function spreadOfRuns(runs: readonly RepeatedFigures[]): RunGroup['spread'] {
  return Object.fromEntries(
    REPEATED_FIGURES.map((f) => [f, spreadOf(runs.map((r) => r[f]))]),
  ) as RunGroup['spread'];
}

/** Runs grouped by configuration, in the order each configuration first appears. */
export function groupRuns(runs: readonly GroupedRun[]): RunGroup[] {
  const groups = new Map<string, GroupedRun[]>();
  for (const r of runs) {
    const c = r.configuration;
    const key = JSON.stringify([c.model, c.farm, c.plan, c.meters]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((members) => ({
    configuration: members[0]!.configuration,
    runIds: members.map((m) => m.runId),
    spread: spreadOfRuns(members),
  }));
}
