#!/usr/bin/env node
// Benchmark: do the board profiles predict the virtual farm for models with the new ops? For
// the trained float16 SqueezeNet 1.1 (fire modules, its file as it is), a full-size MobileNetV2
// (depthwise convs, Clip) and a full-size ResNet50 v1 (BatchNormalization, residual Adds), on
// pi3:4 and on pi3:2,pi4:2: `mchair run --emulate FARM --model M --plan auto` beside the
// planner's prediction. Each run lasts ~40 s of emulated time. Exits 1 if a measured IPS is more
// than 10% off its prediction. The farm is emulated (holds dominate), so note the load average.
// Usage: node test/bench/profiles-new-ops.mjs   (or: npm run bench profiles-new-ops)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../..', import.meta.url).pathname;
// The trained file: the repository's fixture copy, else the lab's shared folder.
const SQUEEZENET = [
  process.env.MCHAIR_SQUEEZENET_FP16,
  new URL('../fixtures/squeezenet1.1-fp16/model.onnx', import.meta.url).pathname,
  '/work/shared/models/squeezenet1.1-fp16/model.onnx',
].find((p) => p && existsSync(p));
if (!SQUEEZENET) throw new Error('no squeezenet1.1-fp16/model.onnx: set MCHAIR_SQUEEZENET_FP16');
const TOLERANCE = 0.1;
const SECONDS = 40;

execFileSync(process.execPath, [`${root}scripts/build-node.mjs`, 'cli'], {
  cwd: root,
  stdio: 'inherit',
});
const work = mkdtempSync(join(tmpdir(), 'mchair-bench-newops-'));
try {
  // The full-size models come from the test exporters (TypeScript): bundle and run them once,
  // from out/ so the bundle's packages resolve from the repository's node_modules.
  const writer = `${root}out/bench/new-op-models.mjs`;
  await build({
    entryPoints: [`${root}test/bench/new-op-models.ts`],
    outfile: writer,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    absWorkingDir: root,
    logLevel: 'error',
  });
  execFileSync(process.execPath, [writer, work], { cwd: root, stdio: 'inherit' });

  const mchair = (...args) =>
    JSON.parse(
      execFileSync(process.execPath, [`${root}bin/mchair.js`, ...args, '--json'], {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        env: { ...process.env, MCHAIR_HOME: join(work, 'store') },
      }),
    );
  const models = [
    { name: 'squeezenet1.1-fp16', file: SQUEEZENET },
    { name: 'mobilenetv2', file: join(work, 'mobilenetv2.onnx') },
    { name: 'resnet50-v1', file: join(work, 'resnet50-v1.onnx') },
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
      const shape = plan.stages
        .map(
          (s) =>
            `${s.firstLayer}..${s.lastLayer} x${s.parts.map((p) => p.devices.length).join('+')}`,
        )
        .join(' -> ');
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
