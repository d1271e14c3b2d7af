// `mchair profile (--emulate SPEC | --farm FILE | --devices NAMES)`: measures each board through
// its agent (runtime/profileBoards.ts: one small probe per layer family, its link, memory and
// power) and keeps each board's measured profile with it in the inventory, where `mchair plan`,
// `run --plan auto` and the app's views find it. `--out FILE` also writes a planner farm file
// with the profiles inline, for `mchair plan --farm FILE` elsewhere. Through the core
// (profile/start), each step from its profile/progress events.
import type { Command } from 'commander';
import { z } from 'zod';
import { farmFromFile, farmFromSpec } from '../../planner/index';
import { StoredProfile } from '../../planner/profileBook';
import { readFarmFile } from '../../farm/farmfile';
import { action, withCommonOptions, type ActionContext } from '../framework';
import { inventoryPath, openInventory, withInventoryOption, withTrustOption } from './boardFlags';

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
      const inventory = inventoryPath(ctx);
      const off = ctx.core.on('profile/progress', (p) => {
        // Each step as it starts; the last event only says that all is done.
        if (p.done < p.total) ctx.say(p.step);
      });
      const { devices } = await ctx.core
        .call('profile/start', {
          ...(await boardsOf(ctx, f)),
          frames: f.frames,
          inventory,
          ...(f.out ? { out: f.out } : {}),
        })
        .finally(off);
      // The measured profiles, as the core kept them with the boards.
      const kept = (await openInventory(ctx)).storedProfiles();
      return {
        devices: devices.map((d) => ({ device: d.device, ...StoredProfile.parse(kept[d.device]) })),
        inventory,
        out: f.out ?? null,
      };
    }, present),
  );
}

/** The boards the flags name, as profile/start takes them. */
async function boardsOf(ctx: ActionContext, f: z.output<typeof Flags>) {
  if (f.devices !== undefined) {
    const names = f.devices === 'all' ? [] : f.devices.split(',').filter(Boolean);
    const inv = await openInventory(ctx);
    return {
      farm: 'inventory' as const,
      devices: inv.select(names).map((d) => d.name),
      acceptNew: ctx.opts.acceptNew === true,
      probeQemu: true,
    };
  }
  // The planner's farm names the boards to be measured (pi3-1, pi3-2 for pi3:2).
  const planner = f.emulate
    ? farmFromSpec(f.emulate)
    : farmFromFile((await readFarmFile(f.farm!)).json, f.farm!);
  return {
    farm: 'virtual' as const,
    devices: planner.devices.map((d) => d.id),
    ...(f.emulate ? { emulate: f.emulate } : { farmFile: f.farm! }),
  };
}
