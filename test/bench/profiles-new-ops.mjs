#!/usr/bin/env node
// Benchmark: do the board profiles predict the virtual farm for models with the new ops? For
// the trained float16 SqueezeNet 1.1 (fire modules, its file as it is), a full-size MobileNetV2
// (depthwise convs, Clip) and a full-size ResNet50 v1 (BatchNormalization, residual Adds), on
// pi3:4 and on pi3:2,pi4:2: `mchair run --emulate FARM --model M --plan auto` beside the
// planner's prediction. Each run lasts ~40 s of emulated time. Exits 1 if a measured IPS is more
// than 10% off its prediction. The farm is emulated (holds dominate), so note the load average.
// Usage: node test/bench/profiles-new-ops.mjs   (or: npm run bench profiles-new-ops)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, mchairIn, planShape, SQUEEZENET, writeNewOpModels } from './bench-models.mjs';

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
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    'model               farm          frames  predicted IPS  measured IPS  measured/predicted  overruns  plan',
  );
  for (const m of models) {
    for (const farm of farms) {
      const plan = mchair('plan', '--model', m.file, '--devices', farm);
      const frames = Math.max(60, Math.round(plan.prediction.ips * SECONDS));
      const r = mchair(
        'run',
        '--emulate',
        farm,
        '--model',
        m.file,
        '--plan',
        'auto',
        '--frames',
        String(frames),
      );
      const ratio = r.ips / r.predictedIps;
      const shape = planShape(plan);
      console.log(
        `${m.name.padEnd(19)} ${farm.padEnd(13)} ${String(frames).padStart(6)}  ${r.predictedIps.toFixed(3).padStart(13)}  ${r.ips.toFixed(3).padStart(12)}  ${ratio.toFixed(3).padStart(18)}  ${String(r.emulationOverruns).padStart(8)}  ${shape}`,
      );
      // Overruns: frames this machine computed slower than the emulated board (a loaded host),
      // which the profile cannot predict; named so a miss is not blamed on the profile.
      if (!(Math.abs(ratio - 1) <= TOLERANCE))
        failures.push(
          `${m.name} on ${farm}: measured ${r.ips.toFixed(3)} IPS, predicted ${r.predictedIps.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)}%)${r.emulationOverruns ? `; ${r.emulationOverruns} frames computed slower here than the emulated board` : ''}`,
        );
    }
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (failures.length) {
    console.log(`\nMISSED (more than ${TOLERANCE * 100}% off):\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log(`\nall within ${TOLERANCE * 100}% of the prediction`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
