// The board's memory as the agent sees it: its own resident bytes, read so that they are right on
// every architecture, and the budget a deployment must fit before any part is loaded. A 1 GB Pi 3
// given a part too big for it refuses the deployment with one line, instead of being OOM-killed
// by the kernel in the middle of a run.
import { readFile } from 'node:fs/promises';

/** `Name:   1234 kB` from /proc/self/status or /proc/meminfo, in bytes; null when absent. */
export function procKbField(text: string, name: string): number | null {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

async function procField(path: string, name: string): Promise<number | null> {
  try {
    return procKbField(await readFile(path, 'utf8'), name);
  } catch {
    return null;
  }
}

/**
 * This process's resident bytes. Under qemu-user (an emulated arm board)
 * `process.memoryUsage.rss()` answers 0, so Linux's own count comes first: VmRSS, in kB whatever
 * the page size (a Pi 5's kernel uses 16 KiB pages, so statm's page count times 4096 would be
 * wrong there). Where there is no /proc (macOS, Windows) Node's figure is right.
 */
export async function residentBytes(): Promise<number> {
  return (await procField('/proc/self/status', 'VmRSS')) ?? process.memoryUsage.rss();
}

/** What the kernel could still give without swapping; null where there is no /proc. */
export function availableBytes(): Promise<number | null> {
  return procField('/proc/meminfo', 'MemAvailable');
}

/**
 * What loading a part file of `fileBytes` adds at its peak, measured with onnxruntime-node 1.x on
 * x86 (alexnet-mc whole, 190 MB: +1.86x the file while the session initialises, +1.32x once
 * loaded; a 1.4 MB tiny-cnn: +27 MB, the session's own arenas and threads): the file's bytes as
 * read, twice their size while ORT builds its tensors, and a fixed 32 MiB per session.
 */
export function partLoadBytes(fileBytes: number): number {
  return 3 * fileBytes + 32 * 2 ** 20;
}

export interface MemoryVerdict {
  /** Bytes the part needs on top of what the agent holds now. */
  needBytes: number;
  /** Resident bytes of the agent now. */
  heldBytes: number;
  /** The board's budget for the agent: configured, else what the kernel could give now. */
  budgetBytes: number | null;
  fits: boolean;
}

/**
 * Whether a part file of `fileBytes` can be loaded now. The budget is the one provisioning wrote
 * (the board's profile capped by the memory its probe found); an agent started without one (a
 * box managed by hand) takes what the kernel says is available, so it still refuses before the
 * OOM killer would act.
 */
export async function checkPartMemory(
  fileBytes: number,
  configuredBudget: number | null,
): Promise<MemoryVerdict> {
  const heldBytes = await residentBytes();
  const needBytes = partLoadBytes(fileBytes);
  const available = configuredBudget === null ? await availableBytes() : null;
  const budgetBytes = configuredBudget ?? (available === null ? null : heldBytes + available);
  return {
    needBytes,
    heldBytes,
    budgetBytes,
    fits: budgetBytes === null || heldBytes + needBytes <= budgetBytes,
  };
}
