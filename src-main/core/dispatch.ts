// The one entry every adapter (Electron IPC, WebSocket, tests) goes through: it checks that the
// command exists, validates the arguments against the contract, runs the handler and turns any
// failure into a WireError, so no adapter can forget a check.
import type { z } from 'zod';
import {
  commands,
  describeIssues,
  InputError,
  toWireError,
  type CommandName,
  type CommandResult,
  type Commands,
  type Envelope,
} from '../contract/index';
import type { Logger } from '../log';

export type Handlers = {
  [K in CommandName]: (args: z.output<Commands[K]['args']>) => Promise<CommandResult<K>>;
};

export type Dispatch = (name: string, rawArgs: unknown) => Promise<Envelope<unknown>>;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

export function createDispatcher(handlers: Handlers, log: Logger): Dispatch {
  return async (name, rawArgs) => {
    const started = performance.now();
    try {
      if (!isCommandName(name)) throw new InputError(`unknown command "${name}"`);
      const spec = commands[name];
      const parsed = spec.args.safeParse(rawArgs ?? {});
      if (!parsed.success) throw new InputError(describeIssues(name, parsed.error.issues));
      // The handler table is keyed by the same name, so its argument type matches `parsed.data`;
      // TypeScript cannot correlate the two through a union key, hence the cast.
      const handler = handlers[name] as (a: unknown) => Promise<unknown>;
      const result = await handler(parsed.data);
      log.debug({ command: name, ms: Math.round(performance.now() - started) }, 'command done');
      return { ok: true, result };
    } catch (err) {
      const error = toWireError(err);
      if (error.code === 'INTERNAL') log.error({ command: name, err }, 'command failed');
      else log.info({ command: name, code: error.code }, error.message);
      return { ok: false, error };
    }
  };
}
