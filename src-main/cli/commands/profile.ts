// `mchair profile (--farm FILE | --emulate SPEC | --devices NAMES)`: measures each device through
// its agent (a conv-heavy and a weight-heavy zoo model, each run whole on the device alone) and
// fits the device's profile to the figures. `--out FILE` writes a planner farm file with the measured
// profiles inline, for `mchair plan --farm FILE`; the built-in profiles stay the defaults.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, InputError } from '../../contract/errors';
import type { DeviceProfile } from '../../planner/profile';
import { fitProfile } from '../../planner/calibrate';
import { CostModel } from '../../planner/cost';
import { analyseChain } from '../../planner/layers';
import { toPlan } from '../../planner/plan';
import {
  farmFromFile,
  farmFromSpec,
  loadPlannerModel,
  type Farm,
  type PlannerModel,
} from '../../planner/index';
import { readFarmFile } from '../../farm/farmfile';
import { startEmulatedFarm, type RunningFarm } from '../../farm/virtual';
import { probeDevice } from '../../provision/probe';
import { boardsPlannerFarm, type RunBoards } from '../../runtime/boardFarm';
import { runModel } from '../../runtime/run';
import { action, withCommonOptions } from '../framework';
import { boardsFor, withInventoryOption, withTrustOption } from './boardFlags';

/** Conv-heavy and weight-heavy: together they tell a board's two kinds of speed apart. */
const MODELS = ['tiny-cnn', 'alexnet-mc'] as const;

const Flags = z
  .object({
    emulate: z.string().min(1).optional(),
    farm: z.string().min(1).optional(),
    devices: z.string().min(1).optional(),
    frames: z.coerce.number().int().min(2).max(1000).default(8),
    out: z.string().min(1).optional(),
  })
  .refine((f) => [f.emulate, f.farm, f.devices].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of --emulate SPEC (e.g. pi3:2), --farm FILE and --devices NAMES',
    path: ['emulate'],
  });

interface DeviceResult {
  device: string;
  base: string;
  measured: Array<{ model: string; seconds: number; fittedSeconds: number }>;
  scale: { spatial: number; gemm: number };
  profile: DeviceProfile;
}

interface ProfileResult {
  emulated: boolean;
  devices: DeviceResult[];
  out: string | null;
}

function present(r: ProfileResult): string {
  const tag = r.emulated ? ' (emulated)' : '';
  return [
    ...r.devices.map(
      (d) =>
        `${d.device.padEnd(12)} ${d.base.padEnd(11)} conv x${d.scale.spatial.toFixed(2)}  fc x${d.scale.gemm.toFixed(2)}  ${d.measured.map((m) => `${m.model} ${(m.seconds * 1000).toFixed(0)} ms`).join(', ')}${tag}`,
    ),
    ...(r.out ? [`wrote ${r.out}: plan with it as mchair plan --farm ${r.out}`] : []),
  ].join('\n');
}

/** The boards that are qemu-user on an x86 machine (the probe tells), whose timings are not a board's. */
async function underEmulation(boards: RunBoards): Promise<Set<string>> {
  const probed = await boards.connector.each(boards.devices, (s, d) => probeDevice(s, d));
  return new Set(probed.flatMap((r) => (r.ok && r.value.probe.emulated ? [r.device] : [])));
}

export function registerProfile(program: Command): void {
  withTrustOption(
    withInventoryOption(
      withCommonOptions(
        program
          .command('profile')
          .description(
            'measure each device through its agent and fit its profile (conv and fully connected speed)',
          )
          .option('--emulate <spec>', 'start an emulated farm, e.g. pi3:2,pi4:1')
          .option('--farm <file>', 'farm file (e.g. from "mchair farm up")')
          .option(
            '--devices <names>',
            "the lab's provisioned boards (comma-separated names, or all), over SSH",
          )
          .option('--frames <n>', 'frames per measurement', '8')
          .option('--out <file>', 'write a planner farm file with the measured profiles'),
      ),
    ),
  ).action(
    action(async (ctx): Promise<ProfileResult> => {
      const f = ctx.options(Flags);
      // The lab's boards: each measured through its own agent, the parts pushed to it over SSH
      // (a board is profiled by the profile it was added with, which the fit then corrects).
      const boards = f.devices === undefined ? null : await boardsFor(ctx, f.devices);
      const qemu = boards ? await underEmulation(boards) : new Set<string>();
      const farm: Farm = boards
        ? boardsPlannerFarm(boards.devices)
        : f.emulate !== undefined
          ? farmFromSpec(f.emulate)
          : farmFromFile((await readFarmFile(f.farm!)).json, f.farm!);
      const models: PlannerModel[] = MODELS.map((m) => loadPlannerModel(m));
      // The runs are measurements, not the user's runs: they go to a scratch store.
      const scratch = mkdtempSync(join(tmpdir(), 'mchair-profile-'));
      const devices: DeviceResult[] = [];
      let emulated = false;
      let started: RunningFarm | null = null;
      try {
        // An emulated farm starts once for all the measurements, not once for each run.
        const farmFile = f.emulate !== undefined ? join(scratch, 'farm.json') : f.farm;
        if (f.emulate !== undefined)
          started = await startEmulatedFarm(farm, join(scratch, 'farm'), farmFile!, false);
        for (const d of farm.devices) {
          const measured: Array<{ model: PlannerModel; seconds: number }> = [];
          for (const m of models) {
            const cost = new CostModel(analyseChain(m));
            const layout = [{ from: 0, to: cost.layerCount, parts: [{ share: 1, devices: [d] }] }];
            const plan = toPlan(cost, layout, farm, { origin: 'profile', objective: 'latency' });
            if (plan.devices.some((x) => x.memoryBytes > x.memoryBudgetBytes)) continue;
            ctx.say(`profile ${d.id}: ${m.name}, ${f.frames} frames`);
            const r = await runModel({
              model: m.name,
              plan,
              farm: boards ? { kind: 'boards', boards } : { kind: 'file', file: farmFile! },
              frames: f.frames,
              check: false,
              window: 2,
              dataDir: scratch,
              labDir: ctx.dataDir,
              log: ctx.log,
            });
            const own = r.devices.find((x) => x.id === d.id);
            if (!own || own.computeMs <= 0)
              throw new AppError(
                'PROFILE_FAILED',
                `${d.id} reported no compute time for ${m.name}; is its agent running?`,
              );
            emulated = r.emulated;
            measured.push({ model: m, seconds: own.computeMs / 1000 });
          }
          if (measured.length === 0)
            throw new InputError(`${d.id}: no profiling model fits its memory budget`);
          const inQemu = qemu.has(d.id);
          const note = `measured ${new Date().toISOString().slice(0, 10)} through its agent (${measured.map((x) => `${x.model.name} ${(x.seconds * 1000).toFixed(1)} ms`).join(', ')}), fitted to ${d.profile.id}${emulated ? ' (emulated board)' : ''}${inQemu ? ' under qemu-user CPU emulation on an x86 machine: not the speed of a real board' : ''}`;
          // An emulated board's time includes its messages (the hold); a real agent's compute time does not.
          const fit = fitProfile(d, measured, {
            withMessages: emulated,
            // qemu's timings are the laptop's, slowed by translation: never a board's speed.
            basis: emulated || inQemu ? 'emulated' : 'measured',
            note,
          });
          if (inQemu) fit.profile.name = `${fit.profile.name} under qemu (not its speed)`;
          devices.push({
            device: d.id,
            base: d.profile.id,
            measured: measured.map((x, i) => ({
              model: x.model.name,
              seconds: x.seconds,
              fittedSeconds: fit.predicted[i]!,
            })),
            scale: fit.scale,
            profile: fit.profile,
          });
        }
      } finally {
        await started?.stop();
        rmSync(scratch, { recursive: true, force: true });
      }
      if (f.out) {
        const media = [...new Set([...farm.devices.map((d) => d.medium), farm.coordinator])];
        const file = {
          devices: farm.devices.map((d, i) => ({
            id: d.id,
            profile: devices[i]!.profile,
            medium: d.medium.id,
          })),
          media,
          coordinator: { medium: farm.coordinator.id },
        };
        writeFileSync(f.out, `${JSON.stringify(file, null, 2)}\n`);
      }
      return { emulated, devices, out: f.out ?? null };
    }, present),
  );
}
