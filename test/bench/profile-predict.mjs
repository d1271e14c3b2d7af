#!/usr/bin/env node
// Benchmark: do measured profiles predict the virtual farm? `mchair profile --emulate FARM`
// measures each emulated board (every layer family's probe, computed by its agent) and keeps
// the profiles in a fresh store; then, per model (alexnet-mc, vgg16, the trained fp16 SqueezeNet
// 1.1 where the fixtures or the shared folder have it, a full-size MobileNetV2), `mchair plan`
// and `mchair run --emulate FARM --plan auto` on that store, the run's measured IPS against the
// prediction its measured profiles made (and the built-in profiles' prediction beside it). Each
// run lasts ~SECONDS of emulated time. Exits 1 if a measured IPS is more than 10% off.
// Usage: node test/bench/profile-predict.mjs [FARM]   (default pi3:2,pi4:2)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCli,
  loadAverage,
  mchairIn,
  missed,
  planShape,
  runAuto,
  SQUEEZENET,
  verdict,
  writeNewOpModels,
} from './bench-models.mjs';

const FARM = process.argv[2] ?? 'pi3:2,pi4:2';
const TOLERANCE = 0.1;
const SECONDS = 40;

buildCli();
const work = mkdtempSync(join(tmpdir(), 'mchair-bench-profile-'));
try {
  const files = await writeNewOpModels(work);
  const measured = mchairIn(join(work, 'store'));
  const builtIn = mchairIn(join(work, 'plain'));
  console.log(`load average at start: ${loadAverage()}`);
  const t0 = performance.now();
  const profiled = measured('profile', '--emulate', FARM);
  console.log(
    `profiled ${FARM} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${profiled.devices
      .map(
        (d) => `${d.device} ${d.probes.map((p) => `${p.family} x${p.scale.toFixed(2)}`).join(' ')}`,
      )
      .join('; ')}`,
  );
  const models = [
    { name: 'alexnet-mc', ref: 'alexnet-mc' },
    { name: 'vgg16', ref: 'vgg16' },
    ...(SQUEEZENET ? [{ name: 'squeezenet1.1-fp16', ref: SQUEEZENET }] : []),
    { name: 'mobilenetv2', ref: files.mobilenetv2 },
  ];
  if (!SQUEEZENET) console.log('squeezenet1.1-fp16: no model file here, left out');
  console.log(
    'model               frames  built-in IPS  predicted IPS  measured IPS  measured/predicted  overruns  profiles  plan',
  );
  const failures = [];
  for (const m of models) {
    const plan = measured('plan', '--model', m.ref, '--devices', FARM);
    const plain = builtIn('plan', '--model', m.ref, '--devices', FARM);
    const { r, frames, ratio } = runAuto(measured, FARM, m.ref, plan, SECONDS);
    const sources = [...new Set(plan.devices.map((d) => d.profileSource))].join(', ');
    console.log(
      `${m.name.padEnd(19)} ${String(frames).padStart(6)}  ${plain.prediction.ips.toFixed(3).padStart(12)}  ${r.predictedIps.toFixed(3).padStart(13)}  ${r.ips.toFixed(3).padStart(12)}  ${ratio.toFixed(3).padStart(18)}  ${String(r.emulationOverruns).padStart(8)}  ${sources}  ${planShape(plan)}`,
    );
    if (!(Math.abs(ratio - 1) <= TOLERANCE)) failures.push(missed(m.name, r, ratio));
  }
  verdict(failures, TOLERANCE);
} finally {
  rmSync(work, { recursive: true, force: true });
}
