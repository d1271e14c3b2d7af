// `mchair profile (--emulate SPEC | --farm FILE | --devices NAMES)`: measures each board through
// its agent (runtime/profileBoards.ts: one small probe per layer family, its link, memory and
// power) and keeps each board's measured profile with it in the inventory, where `mchair plan`,
// `run --plan auto` and the app's views find it. `--out FILE` also writes a planner farm file
// with the profiles inline, for `mchair plan --farm FILE` elsewhere.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { farmFromFile, farmFromSpec, type Farm } from '../../planner/index';
import type { StoredProfile } from '../../planner/profileBook';
import { readFarmFile } from '../../farm/farmfile';
import { probeDevice } from '../../provision/probe';
import { boardsPlannerFarm, type RunBoards } from '../../runtime/boardFarm';
import { profileBoards, type ProfileTarget } from '../../runtime/profileBoards';
import { action, withCommonOptions } from '../framework';
import {
  boardsFor,
  editInventory,
  inventoryPath,
  withInventoryOption,
  withTrustOption,
} from './boardFlags';

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

interface ProfileResult {
  devices: Array<{ device: string } & StoredProfile>;
  /** The inventory the profiles were kept in. */
  inventory: string;
  out: string | null;
}

function present(r: ProfileResult): string {
  const x = (k: number) => `x${k.toFixed(2)}`;
  return [
    ...r.devices.map((d) =>
      [
        `${d.device} (${d.base}, ${d.profile.source ?? `measured ${d.measuredAt.slice(0, 10)}`}${d.profile.basis === 'emulated' ? ', emulated' : ''})`,
        `  speed against built-in: ${d.probes.map((p) => `${p.family} ${x(p.scale)}`).join(', ')}`,
        `  link to laptop: ${d.link.latencyMs.toFixed(2)} ms, ${d.link.mbps === null ? 'speed not measured' : `${d.link.mbps.toFixed(1)} Mbit/s`}${Object.entries(
          d.peers,
        )
          .map(([to, mbps]) => `; to ${to} ${mbps.toFixed(1)} Mbit/s`)
          .join(
            '',
          )}${d.profile.basis === 'emulated' ? " (emulated: plans keep the farm's links)" : ''}; runtime ${(d.profile.memory.runtimeBytes / 2 ** 20).toFixed(0)} MiB, parts may use ${(d.profile.memory.budgetBytes / 2 ** 20).toFixed(0)} MiB; power ${d.power.idleWatts === null ? 'no meter or rails' : `${d.power.idleWatts.toFixed(2)} W idle, ${d.power.busyWatts?.toFixed(2) ?? '?'} W busy`}`,
      ].join('\n'),
    ),
    `kept in ${r.inventory}: mchair plan and run --plan auto use them`,
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
            "measure each board's speed per layer family, link, memory and power through its agent, and keep it with the board",
          )
          .option('--emulate <spec>', 'start an emulated farm, e.g. pi3:2,pi4:1')
          .option('--farm <file>', 'farm file (e.g. from "mchair farm up")')
          .option(
            '--devices <names>',
            "the lab's provisioned boards (comma-separated names, or all), over SSH",
          )
          .option('--frames <n>', 'frames each board computes per probe', '8')
          .option('--out <file>', 'also write a planner farm file with the measured profiles'),
      ),
    ),
  ).action(
    action(async (ctx): Promise<ProfileResult> => {
      const f = ctx.options(Flags);
      let target: ProfileTarget;
      if (f.devices !== undefined) {
        const boards = await boardsFor(ctx, f.devices);
        const farm = boardsPlannerFarm(boards.devices);
        target = { kind: 'boards', farm, boards, qemu: await underEmulation(boards) };
      } else if (f.emulate !== undefined) {
        target = { kind: 'emulate', farm: farmFromSpec(f.emulate) };
      } else {
        const farm: Farm = farmFromFile((await readFarmFile(f.farm!)).json, f.farm!);
        target = { kind: 'farmFile', farm, file: f.farm! };
      }
      const measured = await profileBoards({
        target,
        frames: f.frames,
        labDir: ctx.dataDir,
        log: ctx.log,
        say: (line) => ctx.say(line),
      });
      await editInventory(ctx, (inv) => {
        for (const m of measured) inv.setProfile(m.device, m.stored);
      });
      if (f.out) {
        const farm = target.farm;
        const file = {
          devices: farm.devices.map((d, i) => ({
            id: d.id,
            profile: measured[i]!.stored.profile,
            medium: d.medium.id,
          })),
          media: [...new Set([...farm.devices.map((d) => d.medium), farm.coordinator])],
          coordinator: { medium: farm.coordinator.id },
        };
        writeFileSync(f.out, `${JSON.stringify(file, null, 2)}\n`);
      }
      return {
        devices: measured.map((m) => ({ device: m.device, ...m.stored })),
        inventory: inventoryPath(ctx),
        out: f.out ?? null,
      };
    }, present),
  );
}
