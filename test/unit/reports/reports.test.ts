// Report building blocks on plain objects: the run model (energy from power.json when run.json
// has none, devices from plan and metrics), chart axes, escaping, CSV for pandas.
import { describe, expect, it } from 'vitest';
import type { RunFault, RunMetrics, RunSummary } from '../../../src-main/contract/index';
import type { PowerSummary } from '../../../src-main/power/summary';
import { renderHtml } from '../../../src-main/reports/html';
import { JOINED } from '../joinedFault';
import { decimate, reportRun } from '../../../src-main/reports/run';
import { fmt, niceTicks, spanTicks } from '../../../src-main/reports/svg';
import { CSV_COLUMNS, renderCsv, renderJson } from '../../../src-main/reports/tables';

const summary: RunSummary = {
  id: '20261126-050000-abc123',
  kind: 'run',
  model: 'vgg16',
  state: 'done',
  startedAt: '2026-11-26T05:00:00.000Z',
  endedAt: '2026-11-26T05:01:40.000Z',
  frames: 100,
  completed: 100,
  ips: 1.0,
  window: { fromS: 10, toS: 100, seconds: 90, frames: 90 },
  maxAbsDiff: null,
  message: null,
};

const metrics: RunMetrics[] = [1, 2, 3].map((t) => ({
  runId: summary.id,
  t,
  sent: t,
  completed: t,
  dropped: 0,
  ips: t / 2,
  latencyP50Ms: 1,
  latencyP95Ms: 2,
  devices: [{ device: 'tx2', fps: t, utilisation: 0.2 * t, computeMs: 10 * t, emulated: false }],
}));

// A farm meter (12 W idle, 20 W over 100 s) and the TX2's own rails (5 W idle, 9 W).
const power: PowerSummary = {
  runStartMs: 1000,
  runEndMs: 101_000,
  window: { fromMs: 11_000, toMs: 101_000 },
  idleSeconds: 5,
  idleGivenW: null,
  meters: [
    {
      info: {
        uri: 'kasa://h',
        kind: 'kasa',
        label: 'kasa@h:9999',
        scope: { kind: 'farm' },
        emulated: false,
      },
      intervalMs: 1000,
      idleW: 12,
      run: { samples: 101, avgW: 20, minW: 19, maxW: 21, energyJ: 2000, durationS: 100 },
      window: { samples: 91, avgW: 20, minW: 19, maxW: 21, energyJ: 1800, durationS: 90 },
      gaps: [{ fromS: 10, toS: 14 }],
      garbage: 1,
      error: null,
    },
    {
      info: {
        uri: 'agent://tx2',
        kind: 'agent',
        label: 'agent@tx2',
        scope: { kind: 'devices', devices: ['tx2'] },
        emulated: false,
      },
      intervalMs: 200,
      idleW: 5,
      run: { samples: 501, avgW: 9, minW: 8, maxW: 10, energyJ: 900, durationS: 100 },
      window: { samples: 451, avgW: 9, minW: 8, maxW: 10, energyJ: 810, durationS: 90 },
      gaps: [],
      garbage: 0,
      error: null,
    },
  ],
};

describe('reportRun', () => {
  it('computes energy from power.json when run.json has none, and gives each device its own meter', () => {
    const samples = new Map([
      [
        'kasa@h:9999',
        [
          { t: 0, w: 12 },
          { t: 1000, w: 12 },
          { t: 2000, w: 20 },
        ],
      ],
    ]);
    const r = reportRun({ summary, metrics, plan: null, power, samples });
    expect(r.energy).toMatchObject({
      basis: 'farm-meter',
      idleW: 12,
      window: { seconds: 90, frames: 90, ips: 1, avgW: 20, energyJ: 1800 },
      wholeRun: { seconds: 100, inferences: 100, avgW: 20, energyJ: 2000 },
      perInferenceJ: { static: 12, dynamic: 8, total: 20 },
      inferencesPerJ: 0.05,
    });
    expect(r.devices).toEqual([
      {
        device: 'tx2',
        profile: null,
        role: null,
        fps: 2,
        utilisation: expect.closeTo(0.4, 12),
        computeMs: 20,
        emulated: false,
        energy: expect.objectContaining({
          meter: 'agent@tx2',
          perInferenceJ: { static: 5, dynamic: 4, total: 9 },
        }),
      },
    ]);
    expect(r.power[0]!.points).toEqual([
      [-1, 12],
      [0, 12],
      [1, 20],
    ]);
    expect(r.ipsSeries).toEqual([
      [1, 0.5],
      [2, 1],
      [3, 1.5],
    ]);
    expect(r.emulated).toBe(false);
  });

  it('prefers the energy stored in run.json and reports a run without meters as having none', () => {
    const stored = reportRun({
      summary: {
        ...summary,
        energy: {
          ...reportRun({
            summary,
            metrics,
            plan: null,
            power,
            samples: new Map(),
          }).energy!,
          idleW: 99,
        },
      },
      metrics,
      plan: null,
      power: null,
      samples: new Map(),
    });
    expect(stored.energy!.idleW).toBe(99);
    // A run that crashed before power.json still shows its power over time.
    const crashed = reportRun({
      summary,
      metrics,
      plan: null,
      power: null,
      samples: new Map([
        [
          'emulated@a',
          [
            { t: 500, w: 1 },
            { t: 1500, w: 2 },
          ],
        ],
      ]),
    });
    expect(crashed.energy).toBeNull();
    expect(crashed.power).toEqual([
      {
        meter: 'emulated@a',
        emulated: true,
        points: [
          [0, 1],
          [1, 2],
        ],
      },
    ]);
    expect(
      reportRun({ summary, metrics: [], plan: null, power: null, samples: new Map() }),
    ).toMatchObject({
      energy: null,
      devices: [],
      power: [],
      emulated: false,
    });
  });

  it('keeps long traces to a bounded number of points with their mean', () => {
    const pts = Array.from({ length: 10_000 }, (_, i): [number, number] => [i, i % 2 ? 10 : 20]);
    const d = decimate(pts, 500);
    expect(d).toHaveLength(500);
    expect(d.every(([, w]) => w === 15)).toBe(true);
    expect(decimate(pts.slice(0, 3), 500)).toHaveLength(3);
  });
});

describe('charts', () => {
  it('picks round axis ticks', () => {
    expect(niceTicks(7.1)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(40)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(spanTicks(-0.4, 1.7)).toEqual([0, 0.5, 1, 1.5]);
    expect(spanTicks(-5, 60)).toEqual([0, 10, 20, 30, 40, 50, 60]);
  });

  it('prints rounding dust as zero', () => {
    expect(fmt(-4.44e-16)).toBe('0');
    expect(fmt(0.7432)).toBe('0.743');
    expect(fmt(7.1)).toBe('7.1');
    expect(fmt(1234.5)).toBe('1235');
    expect(fmt(26.31)).toBe('26.3');
  });
});

describe('renderers', () => {
  const hostile = { ...summary, model: 'vgg16,"<script>alert(1)</script>"' };
  const run = reportRun({
    summary: hostile,
    metrics,
    plan: null,
    power,
    samples: new Map(),
  });

  it('escapes what runs name themselves in HTML and lists gaps', () => {
    const html = renderHtml([run]);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('kasa@h:9999: no samples from 10 s to 14 s');
    // VGG16 runs are compared with the paper's VGG16 systems.
    expect(html.match(/<rect class="bar"[^>]*data-series="ips"/g)).toHaveLength(5);
  });

  it('lists the board changes of a run, a joined board with its predicted gain', () => {
    expect(renderHtml([run])).not.toContain('Faults and re-plans');
    const joined = reportRun({
      summary: {
        ...summary,
        faults: [{ ...JOINED, recoveryS: 4 }],
      },
      metrics,
      plan: null,
      power,
      samples: new Map(),
    });
    const html = renderHtml([joined]);
    expect(html).toContain('<h3>Faults and re-plans</h3>');
    expect(html).toContain('board joined: pi4-1, +118% predicted');
    expect(html).toContain('on pi3-1, pi3-2, pi4-1, 7.93 IPS predicted');
  });

  it('writes a tidy CSV: quoted cells, one row per figure with its unit, none for absent figures', () => {
    const lines = renderCsv([run]).trim().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    const config = `${summary.id},"vgg16,""<script>alert(1)</script>""",1 device,,kasa@h:9999 + agent@tx2,,run,done`;
    const farm = lines.filter((l) => l.startsWith(config) && l.includes(',farm,measured,'));
    expect(farm.map((l) => l.slice(config.length))).toEqual([
      ',farm,measured,ips,1,inferences/s',
      ',farm,measured,frames,100,frames',
      ',farm,measured,completed,100,frames',
      ',farm,measured,windowS,90,s',
      ',farm,measured,windowFrames,90,frames',
      ',farm,measured,idleW,12,W',
      ',farm,measured,avgW,20,W',
      ',farm,measured,staticJPerInference,12,J',
      ',farm,measured,dynamicJPerInference,8,J',
      ',farm,measured,totalJPerInference,20,J',
      ',farm,measured,inferencesPerJ,0.05,1/J',
      ',farm,measured,wholeRunS,100,s',
      ',farm,measured,wholeRunJ,2000,J',
    ]);
    const tx2 = lines
      .filter((l) => l.includes(',tx2,measured,'))
      .map((l) => l.split(',').slice(-3));
    expect(tx2.map(([figure]) => figure)).toEqual([
      'fps',
      'utilisation',
      'computeMs',
      'idleW',
      'avgW',
      'staticJPerInference',
      'dynamicJPerInference',
      'totalJPerInference',
      'wholeRunS',
      'wholeRunJ',
    ]);
    expect(tx2.find(([f]) => f === 'dynamicJPerInference')).toEqual([
      'dynamicJPerInference',
      '4',
      'J',
    ]);
    // The paper's VGG16 systems, four figures each.
    const paper = lines.filter((l) => l.startsWith('paper,'));
    expect(paper).toHaveLength(16);
    expect(paper[0]).toBe(
      'paper,VGG16,TX2 GPU,paper,,,paper,published,TX2 GPU,paper,ips,1.29,inferences/s',
    );
  });

  it('leaves out the figures a run does not have, rather than writing empty cells', () => {
    const unmetered = reportRun({
      summary: { ...summary, model: 'squeezenet', ips: null, window: null, shortfall: 'too short' },
      metrics: [],
      plan: null,
      power: null,
      samples: new Map(),
    });
    const lines = renderCsv([unmetered]).trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(',').slice(-3))).toEqual([
      ['frames', '100', 'frames'],
      ['completed', '100', 'frames'],
    ]);
  });

  it('tables repeated runs of one configuration with their spread, and no such table without', () => {
    const again = reportRun({
      summary: { ...hostile, id: '20261126-060000-def456', ips: 3 },
      metrics,
      plan: null,
      power,
      samples: new Map(),
    });
    const html = renderHtml([run, again]);
    const section = html.slice(html.indexOf('<section id="repeats">'));
    // IPS 1 and 3: mean 2, sample sd sqrt(2).
    expect(section).toContain('<td class="n">2</td><td class="n">2 ± 1.41 ');
    expect(section).toContain('(1–3, n=2)');
    expect(section).toContain('&#60;script&#62;');
    expect(renderHtml([run])).not.toContain('id="repeats"');
  });

  it('gives JSON with runs and the paper figures they compare with', () => {
    const j = renderJson([run]);
    expect(j.runs[0]).toMatchObject({
      runId: summary.id,
      ips: 1,
      energy: { perInferenceJ: { static: 12, dynamic: 8, total: 20 } },
    });
    expect(j.paper.map((p) => p.system)).toEqual(['TX2 GPU', 'TX2 CPU', '9 Pis', '11 Pis']);
  });
});

describe('faults and re-plans in every report format', () => {
  const lost: RunFault = {
    kind: 'lost',
    device: 'pi3-2',
    cause: 'kill',
    phase: 'deploy',
    at: 0,
    detectedAt: 0,
    detectionMs: 120,
    slowdown: null,
    replanMs: 30,
    redeployMs: 900,
    resent: 0,
    plan: { origin: 'auto', predictedIps: 5.46, devices: ['pi3-1', 'pi3-3'] },
    why: 'pi3-2 left: a part of the current plan has no device left',
    recoveryS: 3.1,
  };
  const outage: RunFault = {
    ...lost,
    kind: 'outage',
    device: 'link',
    cause: null,
    phase: 'run',
    at: 4,
    detectedAt: 5.2,
    plan: null,
    why: 'every board silent at once',
    recoveryS: 2.9,
  };
  const run = reportRun({
    summary: { ...summary, faults: [lost, outage] },
    metrics,
    plan: null,
    power: null,
    samples: new Map(),
  });

  it('lists them in the HTML (and so the PDF printed from it) with their moment', () => {
    const html = renderHtml([run]);
    expect(html).toContain('<h3>Faults and re-plans</h3>');
    expect(html).toContain('pi3-2 lost (kill)');
    expect(html).toContain('while the boards loaded their parts');
    expect(html).toContain('auto on pi3-1, pi3-3, 5.46 IPS predicted');
    expect(html).toContain('this machine&#39;s link down');
  });

  it('keeps them whole in the JSON and as rows of the CSV', () => {
    expect(renderJson([run]).runs[0]!.faults).toEqual([lost, outage]);
    const rows = renderCsv([run])
      .split('\n')
      .filter((l) => l.includes('fault '));
    expect(
      rows.some(
        (l) =>
          l.includes('fault 1: pi3-2 lost while the boards loaded their parts') &&
          l.includes(',redeployMs,900,ms'),
      ),
    ).toBe(true);
    expect(
      rows.some(
        (l) =>
          l.includes("fault 2: this machine's link down at 4.0 s") &&
          l.includes(',recoveryS,2.9,s'),
      ),
    ).toBe(true);
  });
});
