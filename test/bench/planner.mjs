#!/usr/bin/env node
// Benchmark: the planner as a user runs it (`mchair plan` in its own process). Prints, for the
// paper's four farms, the predicted IPS of the paper's preset next to the planner's best plan and
// the paper's published figure; then the search time on large mixed farms against the 1 s
// target (the planner's own time, `search.millis`, without building the model's weights).
// Exits 1 if a target of issue 5 is missed.
// Usage: node test/bench/planner.mjs   (or: npm run bench planner)
import { execFileSync } from 'node:child_process';

const root = new URL('../..', import.meta.url).pathname;
// Never measure a stale bundle.
execFileSync(process.execPath, [`${root}scripts/build-node.mjs`, 'cli'], { cwd: root, stdio: 'inherit' });
const plan = (...args) =>
  JSON.parse(execFileSync(process.execPath, [`${root}bin/mchair.js`, 'plan', '--json', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }));

const farms = [
  { model: 'alexnet-mc', devices: 'pi3:5', preset: 'paper-5', paper: 4.3 },
  { model: 'alexnet-mc', devices: 'pi3:6', preset: 'paper-6', paper: 5.7, target: 1.8, boundShare: 0.9 },
  { model: 'vgg16', devices: 'pi3:9', preset: 'paper-9', paper: 0.48 },
  { model: 'vgg16', devices: 'pi3:11', preset: 'paper-11', paper: 1.11, target: 1.15 },
];
const failures = [];
console.log('model       farm    preset    paper IPS  preset pred.  auto pred.  auto/preset  auto/bound  search ms  auto plan');
for (const f of farms) {
  const preset = plan('--model', f.model, '--devices', f.devices, '--preset', f.preset);
  const auto = plan('--model', f.model, '--devices', f.devices);
  const ratio = auto.prediction.ips / preset.prediction.ips;
  const bound = auto.prediction.ips / auto.prediction.computeBoundIps;
  const shape = auto.stages.map((s) => `${s.firstLayer}..${s.lastLayer} x${s.parts.map((p) => p.devices.length).join('+')}`).join(' -> ');
  console.log(
    `${f.model.padEnd(11)} ${f.devices.padEnd(7)} ${f.preset.padEnd(9)} ${f.paper.toFixed(2).padStart(9)}  ${preset.prediction.ips.toFixed(2).padStart(12)}  ${auto.prediction.ips.toFixed(2).padStart(10)}  ${ratio.toFixed(3).padStart(11)}  ${bound.toFixed(3).padStart(10)}  ${auto.search.millis.toFixed(0).padStart(9)}  ${shape}`,
  );
  if (f.target && ratio < f.target) failures.push(`${f.model} on ${f.devices}: auto is ${ratio.toFixed(3)}x ${f.preset}, target ${f.target}x`);
  if (f.boundShare && bound < f.boundShare) failures.push(`${f.model} on ${f.devices}: auto is ${(bound * 100).toFixed(1)}% of the compute bound, target ${f.boundShare * 100}%`);
  if (auto.devices.some((d) => d.memoryBytes > d.memoryBudgetBytes)) failures.push(`${f.model} on ${f.devices}: a device is over its memory budget`);
}

console.log('\nlarge farms (VGG16)                                       method     wall ms  CPU ms  predicted IPS  bottleneck');
for (const devices of ['pi3:40,pi4:30,pi5:20,tx2:10', 'pi3:100', 'pi3:30,pi4:30,pi5:20,tx2-cpu:10,tx2-gpu:5,x86-laptop:5']) {
  const p = plan('--model', 'vgg16', '--devices', devices);
  console.log(`${devices.padEnd(57)} ${p.search.method.padEnd(10)} ${p.search.millis.toFixed(0).padStart(7)} ${p.search.cpuMillis.toFixed(0).padStart(7)}  ${p.prediction.ips.toFixed(2).padStart(13)}  ${p.prediction.bottleneck.kind} ${p.prediction.bottleneck.where}`);
  // CPU time: on the shared 2-core machine the wall clock mostly measures the neighbours.
  if (devices.startsWith('pi3:40') && p.search.cpuMillis > 1000) failures.push(`100 mixed devices: search took ${p.search.cpuMillis.toFixed(0)} ms of CPU, target 1000 ms`);
}

if (failures.length) {
  console.log(`\nMISSED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('\nall planner targets met');
