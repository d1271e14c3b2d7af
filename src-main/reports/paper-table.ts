// The demo's table, laid out like the paper's figures: each run on the emulated Pi 3 farm (IPS
// measured and predicted, energy per inference split static/dynamic/total) beside the figure
// the paper published for the same distribution, then the paper's other systems (the TX2's CPU
// and GPU) for the same model. Published numbers come from PAPER_FIGURES only.
import type { PerInferenceJ } from '../contract/energy';
import { PRESET_DEVICES, PRESET_IDS, type PresetId } from '../planner/index';
import { PAPER_FIGURES, paperModelFor, type PaperFigure } from './paper';
import type { RunGroup, Spread } from '../contract/report';
import { spreadOfRuns } from '../contract/spread';

/** One run as the table needs it (scenarios/paper-demo.ts makes these from its runs). */
export interface PaperTableRun {
  model: string;
  boards: number;
  /** 'auto' or a preset id (paper-5, ...). */
  plan: string;
  frames: number;
  runId: string | null;
  state: string;
  ips: number | null;
  predictedIps: number | null;
  /** The run's energy per inference as its record has it (run.json), over its measured window. */
  energy: PerInferenceJ | null;
  emulationOverruns: number;
  /** Boards lost, back or slowed during the run (each re-plans it: its figures are disturbed). */
  faults: number;
}

export interface PaperTableRow {
  model: string;
  /** "6 pi3" for our runs, the paper's system name ("TX2 GPU") for its rows. */
  farm: string;
  plan: string;
  source: 'run' | 'paper';
  run: PaperTableRun | null;
  /** The paper's figure for this run's distribution (or the paper's row itself). */
  paper: PaperFigure | null;
  /** The planner's plan against the paper's largest plan on the same farm, both measured. */
  vsPaperPlan: number | null;
  /** Joules per inference over the run's measured window, as its record has it. */
  energy: PerInferenceJ | null;
  /** Runs of this case (`mchair demo --repeat N`); the figures above are then their means. */
  runs: number;
  /** Over a repeated case's runs: mean, sd, min and max of IPS and each energy figure. */
  spread: RunGroup['spread'] | null;
}

type CaseRuns = PaperTableRun & Pick<PaperTableRow, 'runs' | 'spread'>;

/**
 * Runs of one case (model, farm, plan) as one: a repeated case's IPS and energy are its runs'
 * means, with their spread; it counts as done only when every run was.
 */
function byCase(runs: readonly PaperTableRun[]): CaseRuns[] {
  const cases = new Map<string, PaperTableRun[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.model, r.boards, r.plan]);
    cases.set(key, [...(cases.get(key) ?? []), r]);
  }
  return [...cases.values()].map((members): CaseRuns => {
    const first = members[0]!;
    if (members.length === 1) return { ...first, runs: 1, spread: null };
    const spread = spreadOfRuns(
      members.map((m) => ({
        ips: m.ips,
        staticJ: m.energy?.static ?? null,
        dynamicJ: m.energy?.dynamic ?? null,
        totalJ: m.energy?.total ?? null,
      })),
    );
    const { staticJ, dynamicJ, totalJ } = spread;
    return {
      ...first,
      state: members.find((m) => m.state !== 'done')?.state ?? 'done',
      ips: spread.ips?.mean ?? null,
      energy:
        staticJ && dynamicJ && totalJ
          ? { static: staticJ.mean, dynamic: dynamicJ.mean, total: totalJ.mean }
          : null,
      emulationOverruns: members.reduce((n, m) => n + m.emulationOverruns, 0),
      faults: members.reduce((n, m) => n + m.faults, 0),
      runs: members.length,
      spread,
    };
  });
}

const isPreset = (plan: string): plan is PresetId =>
  (PRESET_IDS as readonly string[]).includes(plan);

/** The published figure of the paper's distribution a run used (paper-6 -> AlexNet, "6 Pis"). */
export function paperFigureFor(model: string, plan: string): PaperFigure | null {
  const paperModel = paperModelFor(model);
  if (!paperModel || !isPreset(plan)) return null;
  const system = `${PRESET_DEVICES[plan]} Pis`;
  return PAPER_FIGURES.find((f) => f.model === paperModel && f.system === system) ?? null;
}

/**
 * Our runs with their published counterparts, each model followed by the paper's other systems;
 * the runs of a repeated case are one row, with their spread.
 */
export function paperTableRows(all: readonly PaperTableRun[]): PaperTableRow[] {
  const rows: PaperTableRow[] = [];
  const runs = byCase(all);
  const models = [...new Set(runs.map((r) => r.model))];
  for (const model of models) {
    const mine = runs.filter((r) => r.model === model);
    const shown = new Set<PaperFigure>();
    for (const r of mine) {
      const paper = paperFigureFor(r.model, r.plan);
      if (paper) shown.add(paper);
      // The paper's plan with the most boards that ran on the same farm is the one to beat.
      const rival = mine
        .filter((o) => o.boards === r.boards && isPreset(o.plan) && o.state === 'done')
        .sort((a, b) => PRESET_DEVICES[b.plan as PresetId] - PRESET_DEVICES[a.plan as PresetId])[0];
      rows.push({
        model,
        farm: `${r.boards} Pi 3`,
        plan: r.plan,
        source: 'run',
        run: r,
        paper,
        // Only between runs that finished whole: a failed run's IPS says little about its plan.
        vsPaperPlan:
          r.plan === 'auto' && r.state === 'done' && rival?.ips && r.ips !== null
            ? r.ips / rival.ips
            : null,
        energy: r.energy,
        runs: r.runs,
        spread: r.spread,
      });
    }
    const paperModel = paperModelFor(model);
    for (const f of PAPER_FIGURES)
      if (f.model === paperModel && !shown.has(f))
        rows.push({
          model,
          farm: f.system,
          plan: 'paper',
          source: 'paper',
          run: null,
          paper: f,
          vsPaperPlan: null,
          energy: null,
          runs: 0,
          spread: null,
        });
  }
  return rows;
}

const num = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);

/** A repeated figure as "mean ± sd (min-max)"; a single run's as its number. */
const spreadNum = (
  x: number | null | undefined,
  s: Spread | null | undefined,
  digits = 2,
): string =>
  s && s.n > 1
    ? `${num(s.mean, digits)} ± ${num(s.sd, digits)} (${num(s.min, digits)}-${num(s.max, digits)})`
    : num(x, digits);

/** `repeated`: the runs column, shown only when some case ran more than once. */
const COLUMNS: Array<{
  head: string;
  left?: boolean;
  repeated?: boolean;
  cell(r: PaperTableRow): string;
}> = [
  { head: 'model', left: true, cell: (r) => r.model },
  { head: 'farm', left: true, cell: (r) => r.farm },
  { head: 'plan', left: true, cell: (r) => r.plan },
  { head: 'frames', cell: (r) => (r.run ? String(r.run.frames) : '') },
  { head: 'runs', repeated: true, cell: (r) => (r.run ? String(r.runs) : '') },
  {
    head: 'IPS',
    // A run that did not finish whole says so beside whatever IPS it got to.
    cell: (r) =>
      !r.run
        ? ''
        : r.run.state === 'done'
          ? spreadNum(r.run.ips, r.spread?.ips)
          : `${r.run.ips === null ? '' : `${spreadNum(r.run.ips, r.spread?.ips)} `}${r.run.state}`,
  },
  { head: 'predicted', cell: (r) => num(r.run?.predictedIps) },
  { head: 'paper IPS', cell: (r) => num(r.paper?.ips) },
  { head: 'vs paper plan', cell: (r) => (r.vsPaperPlan === null ? '' : `${num(r.vsPaperPlan)}x`) },
  {
    head: 'static J',
    cell: (r) => (r.run ? spreadNum(r.energy?.static, r.spread?.staticJ, 3) : ''),
  },
  {
    head: 'dynamic J',
    cell: (r) => (r.run ? spreadNum(r.energy?.dynamic, r.spread?.dynamicJ, 3) : ''),
  },
  {
    head: 'total J',
    cell: (r) => (r.run ? spreadNum(r.energy?.total, r.spread?.totalJ, 3) : ''),
  },
  { head: 'paper static', cell: (r) => num(r.paper?.staticJ) },
  { head: 'paper dynamic', cell: (r) => num(r.paper?.dynamicJ) },
  { head: 'paper total', cell: (r) => num(r.paper?.totalJ) },
  { head: 'overruns', cell: (r) => (r.run ? String(r.run.emulationOverruns) : '') },
  { head: 'faults', cell: (r) => (r.run ? String(r.run.faults) : '') },
];

/** The table as fixed-width text, with a line saying what is emulated and what is published. */
export function paperTableText(rows: readonly PaperTableRow[]): string {
  const repeated = rows.some((r) => r.runs > 1);
  const columns = COLUMNS.filter((c) => repeated || !c.repeated);
  const cells = [columns.map((c) => c.head), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const width = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const lines = cells.map((line) =>
    line
      .map((text, i) => (columns[i]!.left ? text.padEnd(width[i]!) : text.padStart(width[i]!)))
      .join('  ')
      .trimEnd(),
  );
  return [
    lines[0],
    ...lines.slice(1),
    '',
    'IPS, predicted and J per inference (static, dynamic, total) are emulated Pi 3 figures from',
    "this machine, each run's record (run.json), over its measured window (after warm-up and the",
    "pipeline's fill): J = the farm's idle and average watts / the measured IPS (the paper's",
    "method). Paper columns: the published ReQuEST'18 figures (+-2%). overruns: frames",
    'this machine computed slower than the board would have (the IPS is then pessimistic);',
    'faults: boards lost, back or slowed during the run, each a re-plan that disturbs its figures.',
    ...(repeated
      ? [
          'A case run several times (runs > 1) shows mean ± sample standard deviation (min-max)',
          'over its runs; its overruns and faults are summed.',
        ]
      : []),
  ].join('\n');
}
