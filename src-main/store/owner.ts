// Which process owns a record in the data folder. Several programs share one folder (the app or
// `mchair serve` beside a `mchair run`, two serves), so a run or the virtual farm carries its
// owner: the others show it by name, refuse to stop or delete what is not theirs, and know a
// record whose owner died for what it is instead of waiting on it forever.
import { hostname } from 'node:os';
import type { RunOwner } from '../contract/index';

let program = 'mchair';

/** Names this process in what it records ("mchair run", "the desktop app"); set at its entry. */
export function nameThisProgram(name: string): void {
  program = name;
}

export function thisOwner(): RunOwner {
  return { pid: process.pid, program, host: hostname() };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the owner is known to have ended. Only a process of this machine can be asked: a folder
 * shared with another host keeps that host's records as they say.
 */
export function ownerGone(owner: RunOwner): boolean {
  return owner.host === hostname() && !processAlive(owner.pid);
}

/** Whether the owner is another process that is still running. */
export function ownedElsewhere(owner: RunOwner | undefined): owner is RunOwner {
  return owner !== undefined && !ownerGone(owner) && !isThisProcess(owner);
}

function isThisProcess(owner: RunOwner): boolean {
  return owner.pid === process.pid && owner.host === hostname();
}
