#!/usr/bin/env node
// Benchmark: do the board profiles predict the virtual farm for models with the new ops? For
// the trained float16 SqueezeNet 1.1 (fire modules, its file as it is), a full-size MobileNetV2
// (depthwise convs, Clip) and a full-size ResNet50 v1 (BatchNormalization, residual Adds), on
// pi3:4 and on pi3:2,pi4:2: `mchair run --emulate FARM --model M --plan auto` beside the
// planner's prediction. Each run lasts ~40 s of emulated time. Exits 1 if a measured IPS is more
// than 10% off its prediction. The farm is emulated (holds dominate), so note the load average.
// Usage: node test/bench/profiles-new-ops.mjs   (or: npm run bench profiles-new-ops)
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

if (!SQUEEZENET) throw new Error('no squeezenet1.1-fp16/model.onnx: set MCHAIR_SQUEEZENET_FP16');
const TOLERANCE = 0.1;
const SECONDS = 40;

buildCli();
const work = mkdtempSync(join(tmpdir(), 'mchair-bench-newops-'));
try {
  const files = await writeNewOpModels(work);
  const mchair = mchairIn(join(work, 'store'));
  const models = [
    { name: 'squeezenet1.1-fp16', file: SQUEEZENET },
    { name: 'mobilenetv2', file: files.mobilenetv2 },
    { name: 'resnet50-v1', file: files.resnet50 },
  ];
  const farms = ['pi3:4', 'pi3:2,pi4:2'];
  const failures = [];
  console.log(`load average at start: ${loadAverage()}`);
  console.log(
    'model               farm          frames  predicted IPS  measured IPS  measured/predicted  overruns  plan',
  );
  for (const m of models) {
    for (const farm of farms) {
      const plan = mchair('plan', '--model', m.file, '--devices', farm);
      const { r, frames, ratio } = runAuto(mchair, farm, m.file, plan, SECONDS);
      const shape = planShape(plan);
      console.log(
        `${m.name.padEnd(19)} ${farm.padEnd(13)} ${String(frames).padStart(6)}  ${r.predictedIps.toFixed(3).padStart(13)}  ${r.ips.toFixed(3).padStart(12)}  ${ratio.toFixed(3).padStart(18)}  ${String(r.emulationOverruns).padStart(8)}  ${shape}`,
      );
      if (!(Math.abs(ratio - 1) <= TOLERANCE))
        failures.push(missed(`${m.name} on ${farm}`, r, ratio));
    }
  }
  verdict(failures, TOLERANCE);
} finally {
  rmSync(work, { recursive: true, force: true });
}
