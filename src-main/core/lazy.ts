// A room's handlers, loaded on the first command addressed to it: a process that serves one
// command (`mchair plan`) loads the planner and never ssh2, onnxruntime or the reports. The names
// are listed where the room is assembled (core/index.ts); the type checker holds them to the
// module's own table, and the dispatcher's full table to the contract.
import type { CommandName } from '../contract/index';
import type { Handlers } from './dispatch';

export function lazyRoom<K extends CommandName>(
  names: readonly K[],
  load: () => Promise<Pick<Handlers, K>>,
): Pick<Handlers, K> {
  // One load per core, so a room's state (the scan or search under way) is shared by its commands.
  let room: Promise<Pick<Handlers, K>> | null = null;
  const handlers = {} as Pick<Handlers, K>;
  for (const name of names) {
    handlers[name] = (async (args: unknown) => {
      room ??= load();
      const handler = (await room)[name] as (a: unknown) => Promise<unknown>;
      return handler(args);
    }) as Handlers[K];
  }
  return handlers;
}
