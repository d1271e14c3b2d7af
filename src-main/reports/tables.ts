// Reports for pandas and scripts: JSON ({"runs": [...], "paper": [...]}) and a long-format CSV
// with one row per run ("farm") and per device, and the paper's figures as rows of kind "paper".
import { PAPER_FIGURES, paperModelFor, type PaperFigure } from './paper';
import type { ReportRun } from './run';

export interface JsonReport {
  runs: Array<
    Pick<
      ReportRun,
      | 'runId'
      | 'model'
      | 'kind'
      | 'state'
      | 'ips'
      | 'window'
      | 'shortfall'
      | 'frames'
      | 'completed'
      | 'emulated'
      | 'energy'
      | 'devices'
    >
  >;
  paper: PaperFigure[];
}

function paperFor(runs: readonly ReportRun[]): PaperFigure[] {
  const models = new Set(runs.map((r) => paperModelFor(r.model)));
  return PAPER_FIGURES.filter((p) => models.has(p.model));
}

export function renderJson(runs: readonly ReportRun[]): JsonReport {
  return {
    runs: runs.map(
      ({
        runId,
        model,
        kind,
        state,
        ips,
        window,
        shortfall,
        frames,
        completed,
        emulated,
        energy,
        devices,
      }) => ({
        runId,
        model,
        kind,
        state,
        ips,
        window,
        shortfall,
        frames,
        completed,
        emulated,
        energy,
        devices,
      }),
    ),
    paper: paperFor(runs),
  };
}

export const CSV_COLUMNS = [
  'runId',
  'model',
  'kind',
  'state',
  'scope',
  'emulated',
  'frames',
  'completed',
  'ips',
  'fps',
  'utilisation',
  'windowS',
  'windowFrames',
  'idleW',
  'avgW',
  'staticJPerInference',
  'dynamicJPerInference',
  'totalJPerInference',
  'inferencesPerJ',
  'wholeRunS',
  'wholeRunJ',
] as const;

type Row = Partial<
  Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null | undefined>
>;

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(runs: readonly ReportRun[]): string {
  const rows: Row[] = [];
  for (const r of runs) {
    const e = r.energy;
    const common = {
      runId: r.runId,
      model: r.model,
      kind: r.kind,
      state: r.state,
      frames: r.frames,
      completed: r.completed,
    };
    rows.push({
      ...common,
      scope: 'farm',
      emulated: r.emulated,
      ips: r.ips,
      windowS: r.window?.seconds,
      windowFrames: r.window?.frames,
      idleW: e?.idleW,
      avgW: e?.window?.avgW,
      wholeRunS: e?.wholeRun.seconds,
      wholeRunJ: e?.wholeRun.energyJ,
      staticJPerInference: e?.perInferenceJ?.static,
      dynamicJPerInference: e?.perInferenceJ?.dynamic,
      totalJPerInference: e?.perInferenceJ?.total,
      inferencesPerJ: e?.inferencesPerJ,
    });
    for (const d of r.devices) {
      const m = d.energy;
      rows.push({
        ...common,
        scope: d.device,
        emulated: d.emulated || Boolean(m?.emulated),
        fps: d.fps,
        utilisation: d.utilisation,
        idleW: m?.idleW,
        avgW: m?.window?.avgW,
        wholeRunS: m?.durationS,
        wholeRunJ: m?.energyJ,
        staticJPerInference: m?.perInferenceJ?.static,
        dynamicJPerInference: m?.perInferenceJ?.dynamic,
        totalJPerInference: m?.perInferenceJ?.total,
      });
    }
  }
  for (const p of paperFor(runs)) {
    rows.push({
      runId: 'paper',
      model: p.model,
      kind: 'paper',
      scope: p.system,
      emulated: false,
      ips: p.ips,
      staticJPerInference: p.staticJ,
      dynamicJPerInference: p.dynamicJ,
      totalJPerInference: p.totalJ,
    });
  }
  return `${[CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((c) => cell(row[c])).join(','))].join('\n')}\n`;
}
