// Where a command's frames go: --emulate SPEC (boards started for it), --farm FILE (a farm that
// is up) or --devices NAMES (the inventory's provisioned boards, parts pushed over SSH). Shared by
// `mchair run`, which needs one, and `mchair classify`, which runs in-process without any.
import { UsageError } from '../framework';
import type { Command } from 'commander';
import { z } from 'zod';
import type { ActionContext } from '../framework';
import { resolve } from 'node:path';
import type { RunFarm } from '../../contract/index';
import { inventoryPath, openInventory, withInventoryOption, withTrustOption } from './boardFlags';

export const FarmFlags = z.object({
  emulate: z.string().min(1).optional(),
  farm: z.string().min(1).optional(),
  /** Inventory boards, comma-separated; "all" for every one. */
  devices: z
    .string()
    .regex(/^[A-Za-z0-9._,-]+$/, 'is not a comma-separated list of device names')
    .optional(),
});

/** The three flags (and the inventory's), `what` saying what goes there ("run", "classify"). */
export function withFarmOptions(cmd: Command, what: string): Command {
  return withTrustOption(
    withInventoryOption(
      cmd
        .option('--emulate <spec>', `${what} on emulated boards started for it, e.g. pi3:6,pi4:2`)
        .option('--farm <file>', `${what} on a farm file's farm (e.g. from "mchair farm up")`)
        .option(
          '--devices <names>',
          `${what} on these provisioned boards of the inventory (comma-separated, or all); parts go to them over SSH`,
        ),
    ),
  );
}

/** The flags, at most one of the three (exactly one when `required`). */
function farmFlags(ctx: ActionContext, required: boolean): z.output<typeof FarmFlags> {
  const o = ctx.options(FarmFlags);
  const given = [o.emulate, o.farm, o.devices].filter((f) => f !== undefined).length;
  if (given > 1 || (required && given === 0))
    throw new UsageError(
      `give ${required ? 'exactly' : 'at most'} one of --emulate SPEC, --farm FILE and --devices NAMES`,
    );
  return o;
}

/**
 * The farm the flags name as run/start takes it: the core opens it (and asks on this terminal
 * for the boards' secrets). `--devices all` is every board of the inventory.
 */
export async function runFarmFromFlags(ctx: ActionContext, required: true): Promise<RunFarm>;
export async function runFarmFromFlags(
  ctx: ActionContext,
  required: false,
): Promise<RunFarm | null>;
export async function runFarmFromFlags(
  ctx: ActionContext,
  required: boolean,
): Promise<RunFarm | null> {
  const o = farmFlags(ctx, required);
  if (o.emulate !== undefined) return { kind: 'emulate', spec: o.emulate };
  if (o.farm !== undefined) return { kind: 'file', file: resolve(o.farm) };
  if (o.devices === undefined) return null;
  const names = o.devices === 'all' ? [] : o.devices.split(',').filter(Boolean);
  return {
    kind: 'inventory',
    devices: names.length ? names : (await openInventory(ctx)).list().map((d) => d.name),
    confirmed: [],
    acceptedOnce: [],
    inventory: inventoryPath(ctx),
    acceptNew: ctx.opts.acceptNew === true,
  };
}
