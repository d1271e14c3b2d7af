#!/usr/bin/env node
// Benchmark: a power session reading three simulated meters on real sockets at the rates a lab
// would pick (WT300 and HMC8015 at 10 Hz, a Kasa plug at 2 Hz) through 2 s of idle and a 10 s
// run whose power ramps by 4 W/s, so the exact energy is known. Reports each meter's achieved
// rate, interval jitter and energy error; fails when a rate falls below 95% of the one asked or
// an energy error exceeds 1%.
// Usage: node test/bench/power-session.mjs [--seconds N]
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('../..', import.meta.url).pathname;
const secondsArg = process.argv.indexOf('--seconds');
const RUN_S = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 10;
const work = mkdtempSync(join(tmpdir(), 'mchair-bench-power-'));
// The bundle sits inside the tree so its packages (zod) resolve from node_modules.
const bundle = join(root, '.cache', `bench-power-${process.pid}.mjs`);

// The sims and the session are TypeScript; bundle them once for this plain-node script.
const entry = join(work, 'entry.ts');
writeFileSync(
  entry,
  [
    `export { startPowerSession, sessionMeters, runEnergy } from ${JSON.stringify(join(root, 'src-main/power/session.ts'))};`,
    `export { startScpiTcpSim } from ${JSON.stringify(join(root, 'test/sim/scpi-sim.ts'))};`,
    `export { startKasaSim } from ${JSON.stringify(join(root, 'test/sim/kasa-sim.ts'))};`,
  ].join('\n'),
);
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  packages: 'external',
  absWorkingDir: root,
  logLevel: 'warning',
});
const { startPowerSession, sessionMeters, runEnergy, startScpiTcpSim, startKasaSim } = await import(
  pathToFileURL(bundle).href
);
rmSync(bundle);

const origin = performance.now();
const clock = { now: () => performance.now() - origin, originEpochMs: Date.now() };
let rampFrom = Infinity;
// Watts a simulator reports: `base` until the run starts, then rising 4 W/s.
function rampTrace(base) {
  const t = {
    base,
    startMs: 0,
    watts: (tS) => {
      const perf = t.startMs + tS * 1000;
      return perf < rampFrom ? base : base + (4 * (perf - rampFrom)) / 1000;
    },
  };
  return t;
}
const traces = [rampTrace(50), rampTrace(20), rampTrace(5)];
const wt = await startScpiTcpSim('wt300', traces[0]);
const hmc = await startScpiTcpSim('hmc8015', traces[1]);
const kasa = await startKasaSim(1, traces[2]);
[wt, hmc, kasa].forEach((sim, i) => (traces[i].startMs = sim.clock.startMs));

const asked = { wt300: 100, hmc8015: 100, kasa: 500 };
const session = await startPowerSession({
  meters: sessionMeters([
    `scpi+wt300://127.0.0.1:${wt.port}?interval=0.1`,
    `scpi+hmc8015://127.0.0.1:${hmc.port}?interval=0.1&device=tx2`,
    `kasa://127.0.0.1:${kasa.port}?interval=0.5&device=pi-1`,
  ]),
  idleSeconds: 2,
  runDir: work,
  clock,
});
rampFrom = origin + session.runStartMs;
await new Promise((r) => setTimeout(r, RUN_S * 1000));
const summary = await session.stop();
const D = (summary.runEndMs - summary.runStartMs) / 1000;
const energy = runEnergy(summary, Math.round(5 * D));

let failed = false;
console.log(`run ${D.toFixed(3)} s after ${summary.idleSeconds} s idle`);
console.log(
  'meter                          asked Hz  got Hz  jitter p50/p95/max ms  energy J  exact J  error',
);
summary.meters.forEach((m, i) => {
  const base = traces[i].base;
  const exact = base * D + 2 * D * D;
  const samples = session.samples
    .get(m.info.label)
    .filter((s) => s.t >= summary.runStartMs && s.t <= summary.runEndMs);
  const steps = samples.slice(1).map((s, k) => s.t - samples[k].t);
  const dev = steps.map((d) => Math.abs(d - m.intervalMs)).sort((a, b) => a - b);
  const pct = (p) =>
    dev.length ? dev[Math.min(dev.length - 1, Math.floor((p / 100) * dev.length))] : NaN;
  const askedHz = 1000 / asked[m.info.kind === 'kasa' ? 'kasa' : m.info.label.split('@')[0]];
  const gotHz = steps.length / ((samples.at(-1).t - samples[0].t) / 1000);
  const err = (m.run.energyJ - exact) / exact;
  const bad = gotHz < 0.95 * askedHz || Math.abs(err) > 0.01;
  failed ||= bad;
  console.log(
    `${m.info.label.padEnd(30)} ${askedHz.toFixed(1).padStart(8)} ${gotHz.toFixed(2).padStart(7)}  ${pct(50).toFixed(1).padStart(6)}/${pct(95).toFixed(1)}/${dev.at(-1).toFixed(1)}`.padEnd(
      72,
    ) +
      `${m.run.energyJ.toFixed(2).padStart(8)} ${exact.toFixed(2).padStart(8)} ${(err * 100).toFixed(3).padStart(6)}%${bad ? '  FAIL' : ''}`,
  );
});
console.log(
  `farm (${energy.basis}): idle ${energy.idleW.toFixed(2)} W, static ${energy.perInferenceJ.static.toFixed(3)} J/inf, dynamic ${energy.perInferenceJ.dynamic.toFixed(3)} J/inf at 5 IPS`,
);
await Promise.all([wt.close(), hmc.close(), kasa.close()]);
rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
