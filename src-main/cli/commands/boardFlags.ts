// What the `mchair` commands that work on the inventory's boards share: --inventory FILE,
// --accept-new, `--devices NAMES|all`, the headless SSH connector, and the ending of a command
// that worked on several boards.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AppError, type WireError } from '../../contract/index';
import { defaultInventoryPath, Inventory } from '../../inventory/inventory';
import { MemorySecretStore } from '../../inventory/secrets';
import type { RunBoards } from '../../provision/runParts';
import { Connector } from '../../ssh/connector';
import { TerminalPrompter, type Prompter } from '../../ssh/prompter';
import type { ActionContext } from '../framework';
import { terminalAsk } from '../core';

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
  return file ? resolve(file) : defaultInventoryPath(ctx.dataDir);
}

export async function openInventory(ctx: ActionContext): Promise<Inventory> {
  return Inventory.load(inventoryPath(ctx));
}

/** Load, change, save under the inventory's lock (another command may be editing it too). */
export function editInventory<T>(ctx: ActionContext, change: (inv: Inventory) => T): Promise<T> {
  return Inventory.edit(inventoryPath(ctx), change);
}

/** `--devices NAMES|all`: those boards of the inventory, and the SSH connector that reaches them. */
export async function boardsFor(ctx: ActionContext, spec: string): Promise<RunBoards> {
  const names = spec === 'all' ? [] : spec.split(',').filter(Boolean);
  return { devices: (await openInventory(ctx)).select(names), connector: await connectorFor(ctx) };
}

/** Headless: secrets are asked on the terminal and forgotten when the command ends. */
export function connectorFor(
  ctx: ActionContext,
  prompter: Prompter = TerminalPrompter.ifInteractive(),
): Promise<Connector> {
  return Connector.create({
    dataDir: ctx.dataDir,
    acceptNew: ctx.opts.acceptNew === true,
    ...terminalAsk(prompter),
    secrets: new MemorySecretStore(),
  });
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
