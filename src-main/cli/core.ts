// The CLI's way into the core: the same dispatcher as the app and serve (arguments validated
// against the contract, every call logged, failures as coded errors) and the same event bus,
// which commands that show progress subscribe to. One core per command, made on first use.
import {
  commands,
  fromWireError,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type EventName,
  type EventPayload,
} from '../contract/index';
import { createCore, type Core } from '../core/index';
import type { Logger } from '../log';

export interface CliCore {
  /** One contract command; its result checked against the contract as the renderer checks it. */
  call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>>;
  /** Listens to one of the core's events until the command ends. */
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): void;
  close(): Promise<void>;
}

export function cliCore(dataDir: string, log: Logger): CliCore {
  let core: Core | null = null;
  const open = (): Core => (core ??= createCore({ mode: 'cli', dataDir, log }));
  return {
    call: async (name, args) => {
      const envelope = await open().dispatch(name, args);
      if (!envelope.ok) throw fromWireError(envelope.error);
      const checked = commands[name].result.safeParse(envelope.result);
      // The core answering outside its own contract is a bug, not the user's to fix.
      if (!checked.success) throw new Error(`${name}: the core's result breaks the contract`);
      // The schema is the one `name` picks, so its output is this command's result; TypeScript
      // cannot correlate the two through a generic key (dispatch.ts says the same).
      return checked.data as CommandResult<typeof name>;
    },
    on: (name, listener) => {
      open().events.on(name, listener);
    },
    close: async () => {
      await core?.close();
    },
  };
}
