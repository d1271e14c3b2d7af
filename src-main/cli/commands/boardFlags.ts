// What the `mchair` commands that work on the inventory's boards share: --inventory FILE,
// --accept-new, and the ending of a command that worked on several boards. They reach the boards
// through the core, whose terminal asks for SSH secrets and unknown host keys.
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, type WireError } from '../../contract/index';
import { Inventory, inventoryPathOf } from '../../inventory/inventory';
import type { ActionContext } from '../framework';

/** --inventory FILE, on every command that reads or edits devices. */
export function withInventoryOption(cmd: Command): Command {
  return cmd.option('--inventory <file>', "use this inventory file instead of the data folder's");
}

/** --accept-new, on every command that connects. */
export function withTrustOption(cmd: Command): Command {
  return cmd.option(
    '--accept-new',
    'trust and remember host keys never seen before (changed keys are still refused)',
  );
}

export function inventoryPath(ctx: ActionContext): string {
  const file = z.string().min(1).optional().parse(ctx.opts.inventory);
  return inventoryPathOf(ctx.dataDir, file);
}

export async function openInventory(ctx: ActionContext): Promise<Inventory> {
  return Inventory.load(inventoryPath(ctx));
}

export function failureLine(name: string, e: WireError): string {
  return `${name}: FAILED ${e.code}: ${e.message}`;
}

/**
 * Ends a command that worked on several devices: with every device fine, returns the document for
 * `action()` to print; otherwise prints it itself (stdout keeps its one document) and exits 1
 * through an error naming the failed devices.
 */
export function finishEach<D extends { devices: ReadonlyArray<object> }>(
  ctx: ActionContext,
  doc: D,
  present: (doc: D) => string,
): D {
  const failed = doc.devices.flatMap((d) => {
    const e = failureOf(d);
    return e
      ? [`${'name' in d ? String(d.name) : 'device' in d ? String(d.device) : '?'} (${e})`]
      : [];
  });
  if (failed.length === 0) return doc;
  process.stdout.write(ctx.json ? `${JSON.stringify(doc)}\n` : `${present(doc)}\n`);
  throw new AppError(
    'DEVICES_FAILED',
    `${failed.length} of ${doc.devices.length} device(s) failed: ${failed.join(', ')}`,
  );
}

function failureOf(d: object): string | null {
  if ('error' in d && d.error && typeof d.error === 'object' && 'code' in d.error)
    return String(d.error.code);
  if ('status' in d && d.status === 'failed' && 'code' in d) return String(d.code);
  return null;
}
