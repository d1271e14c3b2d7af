// Reports for pandas, R and scripts. JSON follows JsonReport (schema.ts, published as
// docs/report.schema.json). CSV is tidy (long): one row per run, scope and figure, with the
// run's configuration in columns and a unit column, so `df.pivot` or `tidyr::pivot_wider` gives
// any table and a group-by on the configuration compares repeated runs. A figure a run lacks
// (no window, no meter) has no row rather than an empty cell.
import { faultWhen } from '../contract/run';
import { PAPER_FIGURES, paperModelFor, type PaperFigure } from './paper';
import type { ReportRun } from './run';
import { groupRuns, repeatedFigures } from '../contract/spread';
import type { JsonReport } from '../contract/report';

function paperFor(runs: readonly ReportRun[]): PaperFigure[] {
  const models = new Set(runs.map((r) => paperModelFor(r.model)));
  return PAPER_FIGURES.filter((p) => models.has(p.model));
}

export function renderJson(runs: readonly ReportRun[]): JsonReport {
  return {
    runs: runs.map((r) => ({
      runId: r.runId,
      model: r.model,
      kind: r.kind,
      state: r.state,
      configuration: r.configuration,
      repeat: r.repeat,
      ips: r.ips,
      window: r.window,
      shortfall: r.shortfall,
      frames: r.frames,
      completed: r.completed,
      emulated: r.emulated,
      energy: r.energy,
      devices: r.devices,
      faults: r.faults,
    })),
    groups: groupRuns(runs.map((r) => ({ ...r, ...repeatedFigures(r) }))),
    paper: paperFor(runs),
  };
}

export const CSV_COLUMNS = [
  'runId',
  'model',
  'farm',
  'plan',
  'meters',
  /** The repeated set the run belongs to (`mchair run --repeat N`), else empty. */
  'set',
  'kind',
  'state',
  /** "farm", a device's name, or the paper's system. */
  'scope',
  /** measured, emulated, or paper (a published figure). */
  'source',
  'figure',
  'value',
  'unit',
] as const;
type Row = Record<(typeof CSV_COLUMNS)[number], string | number>;

/** Every figure a row can carry, with its unit: the CSV's vocabulary, listed in docs/REPORTS.md. */
export const CSV_FIGURES = {
  ips: 'inferences/s',
  frames: 'frames',
  completed: 'frames',
  windowS: 's',
  windowFrames: 'frames',
  idleW: 'W',
  avgW: 'W',
  staticJPerInference: 'J',
  dynamicJPerInference: 'J',
  totalJPerInference: 'J',
  inferencesPerJ: '1/J',
  wholeRunS: 's',
  wholeRunJ: 'J',
  fps: 'frames/s',
  utilisation: 'ratio',
  computeMs: 'ms',
  faultAtS: 's',
  detectionMs: 'ms',
  replanMs: 'ms',
  redeployMs: 'ms',
  resent: 'frames',
  recoveryS: 's',
} as const;
type Figure = keyof typeof CSV_FIGURES;
type Figures = Partial<Record<Figure, number | null | undefined>>;

function cell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(runs: readonly ReportRun[]): string {
  const rows: Row[] = [];
  const add = (base: Omit<Row, 'figure' | 'value' | 'unit'>, figures: Figures): void => {
    for (const [figure, value] of Object.entries(figures) as Array<[Figure, number | null]>) {
      if (value === null || value === undefined || !Number.isFinite(value)) continue;
      rows.push({ ...base, figure, value, unit: CSV_FIGURES[figure] });
    }
  };
  for (const r of runs) {
    const e = r.energy;
    const run = {
      runId: r.runId,
      model: r.model,
      farm: r.configuration.farm,
      plan: r.configuration.plan,
      meters: r.configuration.meters,
      set: r.repeat?.set ?? '',
      kind: r.kind,
      state: r.state,
    };
    add(
      { ...run, scope: 'farm', source: r.emulated ? 'emulated' : 'measured' },
      {
        ips: r.ips,
        frames: r.frames,
        completed: r.completed,
        windowS: r.window?.seconds,
        windowFrames: r.window?.frames,
        idleW: e?.idleW,
        avgW: e?.window?.avgW,
        staticJPerInference: e?.perInferenceJ?.static,
        dynamicJPerInference: e?.perInferenceJ?.dynamic,
        totalJPerInference: e?.perInferenceJ?.total,
        inferencesPerJ: e?.inferencesPerJ,
        wholeRunS: e?.wholeRun.seconds,
        wholeRunJ: e?.wholeRun.energyJ,
      },
    );
    for (const d of r.devices) {
      const m = d.energy;
      add(
        {
          ...run,
          scope: d.device,
          source: d.emulated || Boolean(m?.emulated) ? 'emulated' : 'measured',
        },
        {
          fps: d.fps,
          utilisation: d.utilisation,
          computeMs: d.computeMs,
          idleW: m?.idleW,
          avgW: m?.window?.avgW,
          staticJPerInference: m?.perInferenceJ?.static,
          dynamicJPerInference: m?.perInferenceJ?.dynamic,
          totalJPerInference: m?.perInferenceJ?.total,
          wholeRunS: m?.durationS,
          wholeRunJ: m?.energyJ,
        },
      );
    }
    // Each fault its own scope ("fault 1: pi3-2 lost while connecting"), with its times.
    r.faults.forEach((f, i) =>
      add(
        {
          ...run,
          scope: `fault ${i + 1}: ${f.kind === 'outage' ? "this machine's link down" : `${f.device} ${f.kind}`} ${faultWhen(f)}`,
          source: r.emulated ? 'emulated' : 'measured',
        },
        {
          faultAtS: f.at,
          detectionMs: f.detectionMs,
          replanMs: f.replanMs,
          redeployMs: f.redeployMs,
          resent: f.resent,
          recoveryS: f.recoveryS,
        },
      ),
    );
  }
  for (const p of paperFor(runs)) {
    add(
      {
        runId: 'paper',
        model: p.model,
        farm: p.system,
        plan: 'paper',
        meters: '',
        set: '',
        kind: 'paper',
        state: 'published',
        scope: p.system,
        source: 'paper',
      },
      {
        ips: p.ips,
        staticJPerInference: p.staticJ,
        dynamicJPerInference: p.dynamicJ,
        totalJPerInference: p.totalJ,
      },
    );
  }
  const lines = rows.map((row) => CSV_COLUMNS.map((c) => cell(row[c])).join(','));
  return `${[CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}
