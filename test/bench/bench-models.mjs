// What the profile benches share: the built CLI as a JSON-speaking function on a store of its
// own, and the models beyond the zoo's (the trained fp16 SqueezeNet 1.1 from the fixtures or the
// lab's shared folder; full-size MobileNetV2 and ResNet50 v1 from the test exporters).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

export const root = new URL('../..', import.meta.url).pathname;

/** The trained file: the repository's fixture copy, else the lab's shared folder (or undefined). */
export const SQUEEZENET = [
  process.env.MCHAIR_SQUEEZENET_FP16,
  new URL('../fixtures/squeezenet1.1-fp16/model.onnx', import.meta.url).pathname,
  '/work/shared/models/squeezenet1.1-fp16/model.onnx',
].find((p) => p && existsSync(p));

export function buildCli() {
  execFileSync(process.execPath, [`${root}scripts/build-node.mjs`, 'cli'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/**
 * Bundles test/bench/NAME.ts to out/bench/NAME.mjs and returns its path: benches written in
 * TypeScript run from out/ so the bundle's packages resolve from the repository's node_modules.
 */
export async function bundleBench(name) {
  const out = `${root}out/bench/${name}.mjs`;
  await build({
    entryPoints: [`${root}test/bench/${name}.ts`],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    absWorkingDir: root,
    logLevel: 'error',
  });
  return out;
}

/** Writes mobilenetv2.onnx and resnet50-v1.onnx (seeded weights) into `dir`. */
export async function writeNewOpModels(dir) {
  const writer = await bundleBench('new-op-models');
  execFileSync(process.execPath, [writer, dir], { cwd: root, stdio: 'inherit' });
  return { mobilenetv2: join(dir, 'mobilenetv2.onnx'), resnet50: join(dir, 'resnet50-v1.onnx') };
}

/** `mchair ARGS --json` on the store `home`, its JSON answer. */
export function mchairIn(home) {
  return (...args) =>
    JSON.parse(
      execFileSync(process.execPath, [`${root}bin/mchair.js`, ...args, '--json'], {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
        env: { ...process.env, MCHAIR_HOME: home },
      }),
    );
}

/** A plan's shape in one line: each stage's layers and its parts' replica counts. */
export const planShape = (plan) =>
  plan.stages
    .map(
      (s) => `${s.firstLayer}..${s.lastLayer} x${s.parts.map((p) => p.devices.length).join('+')}`,
    )
    .join(' -> ');

/**
 * `mchair run --emulate FARM --model REF --plan auto` for about `seconds` at the plan's predicted
 * IPS (60 frames at least): the run's report, its frames and its measured/predicted IPS.
 */
export function runAuto(mchair, farm, ref, plan, seconds) {
  const frames = Math.max(60, Math.round(plan.prediction.ips * seconds));
  const r = mchair(
    'run',
    '--emulate',
    farm,
    '--model',
    ref,
    '--plan',
    'auto',
    '--frames',
    String(frames),
  );
  return { r, frames, ratio: r.ips / r.predictedIps };
}

/**
 * A run more than the tolerance off its prediction, in one line. Overruns (frames this machine
 * computed slower than the emulated board: a loaded host) are named, so a miss is not blamed on
 * the profile.
 */
export const missed = (label, r, ratio) =>
  `${label}: measured ${r.ips.toFixed(3)} IPS, predicted ${r.predictedIps.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)}%)${r.emulationOverruns ? `; ${r.emulationOverruns} frames computed slower here than the emulated board` : ''}`;

export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The closing lines: the load average, and what missed (exit code 1) or that none did. */
export function verdict(failures, tolerance) {
  console.log(`load average at end: ${loadAverage()}`);
  if (failures.length) {
    console.log(`\nMISSED (more than ${tolerance * 100}% off):\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log(`\nall within ${tolerance * 100}% of the prediction`);
}
