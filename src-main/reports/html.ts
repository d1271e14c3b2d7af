// The HTML report: one self-contained file (inline CSS and SVG, no scripts, no fetches) that
// opens offline and prints to PDF as it shows. One run: summary, energy by meter, per-device
// table, power and IPS over time, the plan's diagram. Several runs, or a model the paper ran:
// side-by-side bars like the paper's figures (figure/), with its published systems next to ours. Any
// figure built on emulation carries the "emulated" label. Repeated runs of one configuration:
// their mean, standard deviation, minimum and maximum.
import { partOfRun, type Covered } from '../contract/energy';
import type { Plan } from '../contract/plan';
import { describeChange, faultWhen, type RunFault } from '../contract/run';
import { APP_VERSION } from '../version';
import { PAPER_FIGURES, paperModelFor } from './paper';
import type { ReportRun } from './run';
import type { Spread } from '../contract/report';
import { groupRuns, repeatedFigures } from '../contract/spread';
import { barFigure } from './figure/bars';
import { FIGURES, figureSpec } from './figure/figures';
import { esc, fmt, lineChart } from './svg';

const COLORS = {
  ips: '#2f6db5',
  static: '#8c8c8c',
  dynamic: '#e07b28',
  total: '#4a8c3a',
  power: ['#c0392b', '#8e44ad', '#16a085', '#d35400', '#2c3e50'],
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:980px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;white-space:nowrap;margin:6px 0 12px;font-variant-numeric:tabular-nums}th,td{border-bottom:1px solid #e4e4e4;padding:3px 10px 3px 0;text-align:left}td.n{text-align:right}
.badge{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#fde7c8;color:#8a4b00;margin-left:6px;vertical-align:1px}
.banner{background:#fff4e0;border:1px solid #f0c27a;padding:8px 12px;border-radius:6px}
.muted{color:#777}.warn{color:#a33}
svg.chart{display:block;margin:8px 0;max-width:100%;height:auto}svg.figure{margin:16px 0}
svg:not(.figure) text{font-size:11px;fill:#333}svg:not(.figure) .title{font-size:13px;font-weight:600}
svg:not(.figure) .grid{stroke:#eee}svg:not(.figure) .axisline{stroke:#999}
svg.plan rect.stage{fill:#f4f7fb;stroke:#9bb3d1}svg.plan rect.part{fill:#fff;stroke:#c8d4e3}
section.run{page-break-before:always}@media print{body{margin:0}h2{page-break-after:avoid}svg.chart{page-break-inside:avoid}}
`;

const badge = (on: boolean): string => (on ? '<span class="badge">emulated</span>' : '');
const num = (x: number | null | undefined, d = 3): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : fmt(x, d);

function table(head: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

/** mean ± sd (min–max, n): a repeated figure as a paper would print it. */
function spreadCell(x: Spread | null): string {
  if (!x) return '–';
  return `${fmt(x.mean, 3)} ± ${fmt(x.sd, 3)} <span class="muted">(${fmt(x.min, 3)}–${fmt(x.max, 3)}, n=${x.n})</span>`;
}

/** Runs of one configuration (model, farm, plan, meters), when any was repeated. */
function repeats(runs: readonly ReportRun[]): string {
  const groups = groupRuns(runs.map((r) => ({ ...r, ...repeatedFigures(r) }))).filter(
    (g) => g.runIds.length > 1,
  );
  if (groups.length === 0) return '';
  return `<section id="repeats"><h2>Repeated runs: mean ± standard deviation (min–max, runs)</h2>
${table(
  [
    'model',
    'farm',
    'plan',
    'meters',
    'runs',
    'IPS',
    'static J/inf',
    'dynamic J/inf',
    'total J/inf',
  ],
  groups.map((g) => [
    esc(g.configuration.model),
    esc(g.configuration.farm),
    esc(g.configuration.plan || '–'),
    esc(g.configuration.meters || 'none'),
    String(g.runIds.length),
    spreadCell(g.spread.ips),
    spreadCell(g.spread.staticJ),
    spreadCell(g.spread.dynamicJ),
    spreadCell(g.spread.totalJ),
  ]),
  [false, false, false, false, true, true, true, true, true],
)}</section>`;
}

function comparison(runs: readonly ReportRun[]): string {
  const models = [
    ...new Set(runs.map((r) => paperModelFor(r.model)).filter((m) => m !== undefined)),
  ];
  const paper = PAPER_FIGURES.filter((p) => models.includes(p.model));
  if (runs.length < 2 && paper.length === 0) return '';
  return `<section id="compare"><h2>Runs compared${models.length ? ` with the paper's ${models.join(' and ')} figures` : ''}</h2>
${table(
  ['run', 'model', 'state', 'IPS', 'static J/inf', 'dynamic J/inf', 'total J/inf'],
  runs.map((r) => [
    `<a href="#run-${esc(r.runId)}">${esc(r.runId)}</a>${badge(r.emulated)}`,
    esc(r.model),
    esc(r.state),
    num(r.ips),
    num(r.energy?.perInferenceJ?.static),
    num(r.energy?.perInferenceJ?.dynamic),
    num(r.energy?.perInferenceJ?.total),
  ]),
  [false, false, false, true, true, true, true],
)}
${paper.length ? '<p class="muted">Paper figures: Musical Chair (ReQuEST\'18), read off its bar charts, ±2%. Its runs vary 10–20% from run to run.</p>' : ''}
${FIGURES.map((f) => figureSpec(f, runs))
  .filter((spec) => spec.groups.length > 0)
  .map(barFigure)
  .join('\n')}
</section>`;
}

function planDiagram(plan: Plan): string {
  const colW = 150;
  const gap = 30;
  const partH = (devices: number): number => 22 + devices * 15;
  const heights = plan.stages.map(
    (s) => 28 + s.parts.reduce((h, p) => h + partH(p.devices.length) + 6, 0),
  );
  const H = Math.max(...heights) + 10;
  const W = plan.stages.length * (colW + gap);
  const parts: string[] = [];
  plan.stages.forEach((s, i) => {
    const x = i * (colW + gap);
    parts.push(
      `<rect class="stage" x="${x}" y="2" width="${colW}" height="${(heights[i] as number) - 4}" rx="6"/>`,
    );
    parts.push(
      `<text x="${x + 8}" y="18" font-weight="600">${esc(s.id)}</text><text x="${x + 30}" y="18" class="muted">${esc(`${s.firstLayer}…${s.lastLayer}`.slice(0, 22))}</text>`,
    );
    let y = 28;
    for (const p of s.parts) {
      const h = partH(p.devices.length);
      parts.push(
        `<rect class="part" x="${x + 6}" y="${y}" width="${colW - 12}" height="${h}" rx="4"/><text x="${x + 12}" y="${y + 15}">${esc(p.id)}${p.channels ? esc(` ch ${p.channels[0]}–${p.channels[1]}`) : ''}</text>`,
      );
      p.devices.forEach((d, k) =>
        parts.push(`<text x="${x + 18}" y="${y + 30 + k * 15}" class="device">${esc(d)}</text>`),
      );
      y += h + 6;
    }
    if (i > 0)
      parts.push(
        `<path d="M${x - gap + 4},${H / 2} L${x - 4},${H / 2}" stroke="#777" marker-end="url(#arrow)"/>`,
      );
  });
  return `<svg class="plan" data-chart="plan" viewBox="0 0 ${W} ${H}" width="${Math.min(W, 940)}" role="img" aria-label="plan"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#777"/></marker></defs>${parts.join('')}</svg>`;
}

/** What the run met and what it did: each fault with its moment, times and the plan it went on with. */
function faultTable(faults: readonly RunFault[]): string {
  return `<h3>Faults and re-plans</h3>${table(
    [
      'what',
      'when',
      'detected ms',
      're-plan ms',
      'redeploy ms',
      'frames sent again',
      'went on with',
      'back to 90% after s',
      'why',
    ],
    faults.map((f) => [
      esc(describeChange(f)),
      esc(faultWhen(f)),
      num(f.detectionMs, 0),
      num(f.replanMs, 0),
      num(f.redeployMs, 0),
      String(f.resent),
      f.plan
        ? esc(
            `${f.plan.origin} on ${f.plan.devices.join(', ')}, ${fmt(f.plan.predictedIps)} IPS predicted`,
          )
        : '–',
      num(f.recoveryS, 1),
      esc(f.why),
    ]),
    [false, false, true, true, true, true, false, true, false],
  )}`;
}

/** The run's one-row summary: frames, IPS and its window, and the energy per inference. */
function runSummary(r: ReportRun): string {
  const e = r.energy;
  const per = e?.perInferenceJ;
  return table(
    [
      'model',
      'kind',
      'state',
      'frames',
      'IPS',
      'window s',
      'window frames',
      'idle W',
      'avg W',
      'static J/inf',
      'dynamic J/inf',
      'total J/inf',
      'inf/J',
      'whole run s',
      'whole run J',
    ],
    [
      [
        esc(r.model),
        esc(r.kind),
        esc(r.state),
        `${r.completed}/${r.frames}`,
        num(r.ips),
        num(r.window?.seconds),
        r.window ? String(r.window.frames) : '–',
        num(e?.idleW),
        num(e?.window?.avgW),
        num(per?.static),
        num(per?.dynamic),
        num(per?.total),
        num(e?.inferencesPerJ),
        num(e?.wholeRun.seconds),
        num(e?.wholeRun.energyJ),
      ],
    ],
    [false, false, false, true, true, true, true, true, true, true, true, true, true, true, true],
  );
}

/**
 * When a meter measured only part of the run (a board that joined mid-run, a meter that stopped
 * early), the stretch it did: before or after it, it has no joules in the run's.
 */
function coveredNote(covered: Covered | undefined, runS: number): string {
  const c = partOfRun(covered, runS);
  return c ? `<div class="muted">${fmt(c.fromS)}–${fmt(c.toS)} s of the run only</div>` : '';
}

/** Where the farm's energy came from, each meter's record and the gaps in it. */
function energySection(r: ReportRun, e: NonNullable<ReportRun['energy']>): string[] {
  const out: string[] = [
    `<p class="muted">Farm energy from ${e.basis === 'farm-meter' ? 'a meter on the whole farm' : 'the sum of per-device meters'}${badge(e.emulated)}. IPS and energy per inference are measured over the run's window (after warm-up and the pipeline's fill${r.window ? `: ${num(r.window.fromS)}–${num(r.window.toS)} s, ${r.window.frames} frames` : ''}): static = idle W / IPS, dynamic = (average W − idle W) / IPS. The whole run (deploy, warm-up and fill included) is shown apart.</p>`,
    '<h3>Meters</h3>',
    table(
      [
        'meter',
        'covers',
        'interval s',
        'idle W',
        'window avg W',
        'min W',
        'max W',
        'whole run J',
        'samples',
        'refused',
        'gaps',
      ],
      e.meters.map((m) => [
        `${esc(m.meter)}${badge(m.emulated)}${m.error ? `<div class="warn">${esc(m.error)}</div>` : ''}`,
        `${esc(m.scope.kind === 'farm' ? 'whole farm' : m.scope.devices.join(', '))}${coveredNote(m.covered, e.wholeRun.seconds)}`,
        num(m.intervalMs / 1000),
        num(m.idleW),
        num(m.window?.avgW),
        num(m.minW),
        num(m.maxW),
        num(m.energyJ),
        String(m.samples),
        String(m.garbage),
        String(m.gaps.length),
      ]),
      [false, false, true, true, true, true, true, true, true, true, true],
    ),
  ];
  const gaps = e.meters.flatMap((m) =>
    m.gaps.map(
      (g) =>
        `<li class="gap">${esc(m.meter)}: no samples from ${fmt(g.fromS)} s to ${fmt(g.toS)} s (more than twice its interval)</li>`,
    ),
  );
  if (gaps.length)
    out.push(`<p class="warn">Gaps in the power record:</p><ul>${gaps.join('')}</ul>`);
  return out;
}

/** Each device's share of the run: its rate, its utilisation and its energy. */
function deviceTable(devices: ReportRun['devices']): string {
  return table(
    [
      'device',
      'profile',
      'role',
      'frames/s',
      'utilisation %',
      'compute ms',
      'window avg W',
      'whole run J',
      'total J/inf',
    ],
    devices.map((d) => [
      `${esc(d.device)}${badge(d.emulated || Boolean(d.energy?.emulated))}`,
      esc(d.profile ?? '–'),
      esc(d.role ?? '–'),
      num(d.fps),
      num(d.utilisation === null ? null : d.utilisation * 100),
      num(d.computeMs),
      num(d.energy?.window?.avgW),
      num(d.energy?.energyJ),
      num(d.energy?.perInferenceJ?.total),
    ]),
    [false, false, false, true, true, true, true, true, true],
  );
}

/** The meters' watts and the run's IPS on one time axis. */
function timeline(r: ReportRun): string {
  return lineChart({
    id: 'timeline',
    title: 'Power and inferences per second over the run',
    xLabel: 'seconds since the run started (idle before 0)',
    yLabels: ['watts', r.ipsSeries.length ? 'inferences/s' : undefined],
    series: [
      ...r.power.map((p, i) => ({
        name: `${p.meter}${p.emulated ? ' (emulated)' : ''}`,
        color: COLORS.power[i % COLORS.power.length] as string,
        points: p.points,
      })),
      ...(r.ipsSeries.length
        ? [{ name: 'IPS', color: COLORS.ips, points: r.ipsSeries, axis: 1 as const }]
        : []),
    ],
  });
}

/** The plan the run used, drawn, and what it predicted. */
function planSection(plan: NonNullable<ReportRun['plan']>): string {
  const p = plan.prediction;
  return [
    `<h3>Plan (${esc(plan.origin)}, objective ${esc(plan.objective)})</h3>${planDiagram(plan)}`,
    `<p class="muted">Predicted ${fmt(p.ips)} IPS, ${fmt(p.staticJ)} J static and ${fmt(p.dynamicJ)} J dynamic per inference (${esc(p.basis)}); bottleneck ${esc(p.bottleneck.kind)} ${esc(p.bottleneck.where)}.</p>`,
  ].join('\n');
}

/** One run: its summary, energy, devices, timeline, faults and plan, each where it has any. */
function runSection(r: ReportRun): string {
  const out: string[] = [
    `<section class="run" id="run-${esc(r.runId)}"><h2>Run ${esc(r.runId)}${badge(r.emulated)}</h2>`,
    runSummary(r),
  ];
  if (!r.window && r.shortfall)
    out.push(`<p class="warn">No IPS and no energy per inference: ${esc(r.shortfall)}.</p>`);
  if (!r.energy)
    out.push('<p class="muted">No meter was read during this run: no energy figures.</p>');
  else out.push(...energySection(r, r.energy));
  if (r.devices.length) out.push('<h3>Devices</h3>', deviceTable(r.devices));
  if (r.power.length || r.ipsSeries.length) out.push(timeline(r));
  if (r.faults.length) out.push(faultTable(r.faults));
  if (r.plan) out.push(planSection(r.plan));
  out.push('</section>');
  return out.join('\n');
}

export function renderHtml(runs: readonly ReportRun[], generatedAt = new Date()): string {
  const title = runs.length === 1 ? `Run ${runs[0]?.runId}` : `${runs.length} runs compared`;
  const anyEmulated = runs.some((r) => r.emulated);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Musical Chair Lab</title><style>${CSS}</style></head>
<body>
<header><h1>${esc(title)}</h1><p class="muted">Musical Chair Lab ${esc(APP_VERSION)} · generated ${esc(generatedAt.toISOString())} · ${runs.map((r) => esc(r.runId)).join(', ')}</p>
${anyEmulated ? '<p class="banner" id="emulated-banner">Figures marked <span class="badge">emulated</span> come from device profiles on an emulated farm, not from instruments.</p>' : ''}</header>
${comparison(runs)}
${repeats(runs)}
${runs.map(runSection).join('\n')}
</body></html>
`;
}
