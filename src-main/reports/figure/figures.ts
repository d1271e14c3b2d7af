// The report's three paper-style figures, built from runs: inferences per second, total energy
// per inference, and energy split into static and dynamic. Runs group by model, then by
// configuration (farm, plan, meters): a repeated configuration is one column, its mean with
// error bars. The paper's published systems for each model stand beside ours, as the paper drew
// them.
import type { FigureId } from '../../contract/figure';
import { PAPER_FIGURES, paperModelFor, type PaperFigure } from '../paper';
import type { RunConfiguration } from '../../contract/report';
import { repeatedFigures, spreadOf, type RepeatedFigures } from '../../contract/spread';
import type { BarFigureSpec, ColumnValue, ErrorBars, FigureColumn, FigureGroup } from './spec';

export { FIGURES, type FigureId } from '../../contract/figure';

/** What a figure needs of a run (a ReportRun has it). */
export interface FigureRun {
  runId: string;
  configuration: RunConfiguration;
  emulated: boolean;
  ips: number | null;
  energy?: { perInferenceJ: { static: number; dynamic: number; total: number } | null } | null;
}

type Key = keyof RepeatedFigures;

const DEFINITIONS: Record<
  FigureId,
  { title: string; axisTitle: string; series: Array<{ key: Key; name: string; color: string }> }
> = {
  ips: {
    title: 'Throughput',
    axisTitle: 'inferences per second (IPS)',
    series: [{ key: 'ips', name: 'inferences per second', color: '#2f6db5' }],
  },
  energy: {
    title: 'Total energy per inference',
    axisTitle: 'joules per inference (J)',
    series: [{ key: 'totalJ', name: 'total (static + dynamic)', color: '#4a8c3a' }],
  },
  'energy-split': {
    title: 'Energy per inference: static and dynamic',
    axisTitle: 'joules per inference (J)',
    series: [
      { key: 'staticJ', name: 'static (idle W / IPS)', color: '#8c8c8c' },
      { key: 'dynamicJ', name: 'dynamic ((average W − idle W) / IPS)', color: '#e07b28' },
    ],
  },
};

const PAPER_KEYS: Record<Key, keyof PaperFigure> = {
  ips: 'ips',
  staticJ: 'staticJ',
  dynamicJ: 'dynamicJ',
  totalJ: 'totalJ',
};

/** A column's label: farm and plan, with how many runs when it stands for several. */
function columnLabel(c: RunConfiguration, runs: number): string {
  return [c.farm, c.plan, runs > 1 ? `(${runs}\u00a0runs)` : ''].filter(Boolean).join(' · ');
}

function ourColumns(runs: readonly FigureRun[], keys: readonly Key[]): FigureColumn[] {
  const configurations = new Map<string, FigureRun[]>();
  for (const r of runs) {
    const c = r.configuration;
    const key = JSON.stringify([c.farm, c.plan, c.meters]);
    configurations.set(key, [...(configurations.get(key) ?? []), r]);
  }
  const columns = [...configurations.values()].map((members): FigureColumn => {
    const figures = members.map(repeatedFigures);
    const values = Object.fromEntries(
      keys.map((k): [Key, ColumnValue | null] => {
        const s = spreadOf(figures.map((f) => f[k]));
        return [k, s ? { value: s.mean, spread: s.n > 1 ? s : null } : null];
      }),
    );
    return {
      label: columnLabel(members[0]!.configuration, members.length),
      source: members.some((m) => m.emulated) ? 'emulated' : 'measured',
      values,
    };
  });
  // Two configurations that differ only in their meters would share a label: name the meters.
  return columns.map((col, i, all) => {
    const twin = all.some((o, j) => j !== i && o.label === col.label);
    const meters = [...configurations.values()][i]![0]!.configuration.meters;
    return twin ? { ...col, label: `${col.label} · ${meters || 'unmetered'}` } : col;
  });
}

/** One figure's spec: our runs by model and configuration, the paper's systems beside them. */
export function figureSpec(
  id: FigureId,
  runs: readonly FigureRun[],
  errorBars: ErrorBars = 'range',
): BarFigureSpec {
  const def = DEFINITIONS[id];
  const keys = def.series.map((s) => s.key);
  const models = [...new Set(runs.map((r) => r.configuration.model))];
  const paperShown = new Set<string>();
  const groups: FigureGroup[] = models.flatMap((model) => {
    const columns = ourColumns(
      runs.filter((r) => r.configuration.model === model),
      keys,
    ).filter((c) => keys.some((k) => c.values[k]));
    // The paper's systems once, in the first group of a model it ran (alexnet and alexnet-mc).
    const paperModel = paperModelFor(model);
    if (paperModel && !paperShown.has(paperModel)) {
      paperShown.add(paperModel);
      for (const f of PAPER_FIGURES.filter((p) => p.model === paperModel))
        columns.push({
          label: f.system,
          source: 'paper',
          values: Object.fromEntries(
            keys.map((k) => [k, { value: f[PAPER_KEYS[k]] as number, spread: null }]),
          ),
        });
    }
    return columns.length ? [{ title: model, columns }] : [];
  });
  return { id, ...def, groups, errorBars };
}

/** Whether any of our runs has a value for the figure (an unmetered run has no energy). */
export function figureHasRuns(spec: BarFigureSpec): boolean {
  return spec.groups.some((g) => g.columns.some((c) => c.source !== 'paper'));
}
