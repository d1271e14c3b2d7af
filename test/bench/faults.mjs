// Board-failure figures (issue 9, point 1): `mchair run --chaos` on an emulated Pi 3 farm with
// --check, one fault kind per run: an agent killed, a board cut off (run as root with ip,
// nsenter and unshare: its network namespace's link set down; otherwise a SIGSTOP'd agent, and
// the run says which), a board slowed 5x, and a killed agent that comes back. For each fault: detection ms
// (target < 2000), re-plan ms (< 1000), redeploy ms, frames sent again, seconds from detection
// until throughput reached 90% of the new plan's prediction (< 5), and frames lost / duplicated /
// mismatched (0). FRAMES overrides 160 frames per run; MODEL and FARM the workload.
import { cli } from './cli.mjs';

const FRAMES = process.env.FRAMES ?? '160';
const MODEL = process.env.MODEL ?? 'alexnet-mc';
const FARM = process.env.FARM ?? 'pi3:6';
const fmt = (v, d = 0) => (v === null || v === undefined ? '     -' : v.toFixed(d).padStart(6));
let failed = false;

console.log(
  `${MODEL} on --emulate ${FARM}, plan auto, ${FRAMES} frames per run, --check (figures emulated)`,
);
console.log(
  'chaos                          fault            detect ms  replan ms  redeploy ms  resent  90% after s  predicted IPS  | run IPS  lost dup mism',
);
for (const chaos of [
  'kill:pi3-2@3',
  'cut:pi3-3@3',
  'slow:pi3-4@3:5',
  'kill:pi3-2@3,back:pi3-2@10',
]) {
  const r = cli(
    'run',
    '--model',
    MODEL,
    '--emulate',
    FARM,
    '--plan',
    'auto',
    '--frames',
    FRAMES,
    '--check',
    '--chaos',
    chaos,
  );
  const f = r.frames;
  const clean =
    f.lost === 0 && f.duplicated === 0 && f.mismatched === 0 && f.completed === Number(FRAMES);
  failed ||= !clean || r.faults.length === 0;
  r.faults.forEach((x, i) => {
    const ok =
      x.detectionMs < 2000 && (x.replanMs ?? 0) < 1000 && x.recoveryS !== null && x.recoveryS < 5;
    failed ||= !ok;
    console.log(
      `${(i === 0 ? chaos : '').padEnd(31)}${`${x.kind} ${x.device}`.padEnd(17)}${fmt(x.detectionMs)}     ${fmt(x.replanMs)}       ${fmt(x.redeployMs)}  ${fmt(x.resent)}       ${fmt(x.recoveryS, 1)}         ${fmt(x.plan?.predictedIps, 2)}  | ${i === 0 ? `${fmt(r.ips, 2)}  ${f.lost} ${f.duplicated} ${f.mismatched}` : ''}${ok ? '' : '  <- over target'}`,
    );
  });
  if (r.faults.length === 0) console.log(`${chaos.padEnd(31)}no fault seen`);
}
console.log(
  `\nrun IPS is over the whole run (before, during and after the fault); predicted before any fault: see the first plan.`,
);
if (failed) {
  console.log('\nFAILED: a target above was missed');
  process.exit(1);
}
