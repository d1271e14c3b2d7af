// Data-plane figures on this machine (issue 4): frames/s and latency of the walking skeleton on
// two local agents; every paper preset on an emulated Pi 3 farm with --check (target: lost =
// duplicated = mismatched = 0 over 200 frames); and a 20,000-frame no-op run whose coordinator
// and agent stay within 10% of their resident size after warm-up. FRAMES overrides 200.
import { cli, mb } from './cli.mjs';

const FRAMES = process.env.FRAMES ?? '200';
const ms = (v) => v.toFixed(1).padStart(8);
let failed = false;

const demo = cli('demo', '--skeleton', '--frames', '2000');
console.log(
  `local farm (tiny-cnn, 2 agents, 2 stages): ${demo.fps.toFixed(0)} frames/s, latency ms p50 ${ms(demo.latencyMs.p50)} p95 ${ms(demo.latencyMs.p95)} p99 ${ms(demo.latencyMs.p99)}, largest difference ${demo.maxAbsDiff}`,
);

console.log(
  `\npaper presets on emulated Pi 3 farms, ${FRAMES} frames each, --check (figures emulated):`,
);
for (const [model, plan, farm, paper] of [
  ['alexnet-mc', 'paper-5', 'pi3:6', 4.3],
  ['alexnet-mc', 'paper-6', 'pi3:6', 5.7],
  ['vgg16', 'paper-9', 'pi3:11', 0.48],
  ['vgg16', 'paper-11', 'pi3:11', 1.11],
]) {
  const r = cli(
    'run',
    '--model',
    model,
    '--emulate',
    farm,
    '--plan',
    plan,
    '--frames',
    FRAMES,
    '--check',
  );
  const f = r.frames;
  const ok =
    f.lost === 0 && f.duplicated === 0 && f.mismatched === 0 && f.completed === Number(FRAMES);
  failed ||= !ok;
  console.log(
    `${plan.padEnd(9)} ${model.padEnd(11)} on ${farm.padEnd(7)} IPS ${r.ips.toFixed(2).padStart(5)} (predicted ${r.predictedIps.toFixed(2)}, paper ${paper})  latency p50 ${ms(r.latencyMs.p50)} ms  lost ${f.lost} duplicated ${f.duplicated} mismatched ${f.mismatched}  ${ok ? 'ok' : 'FAILED'}`,
  );
}

const t = cli('bench', 'transport', '--frames', '20000');
const grow = (r) => (100 * (r.end - r.warm)) / r.warm;
const rss = t.rssBytes;
const rssOk = grow(rss.coordinator) <= 10 && grow(rss.agent) <= 10;
failed ||= !rssOk;
console.log(
  `\n20,000-frame no-op run: ${t.fps.toFixed(0)} frames/s; RSS after warm-up -> end: coordinator ${mb(rss.coordinator.warm)} -> ${mb(rss.coordinator.end)} MB (${grow(rss.coordinator).toFixed(1)}%), agent ${mb(rss.agent.warm)} -> ${mb(rss.agent.end)} MB (${grow(rss.agent).toFixed(1)}%)  ${rssOk ? 'ok' : 'FAILED (> 10%)'}`,
);
if (failed) process.exitCode = 1;
