// IPC channel names, derived from the contract's command names so the preload bridge and the
// main-process handler can never disagree.
import type { CommandName } from '../contract/commands';

export const EVENT_CHANNEL = 'mchair:event';

export function channelFor(name: CommandName): string {
  return `mchair:cmd:${name}`;
}
