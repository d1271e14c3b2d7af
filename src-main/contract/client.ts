// The contract's client: `call(name, args)` and `on(event, cb)`, typed from the contract and
// checked against it, over whatever carries it: the Electron bridge when the page runs in the
// app, `mchair serve`'s WebSocket in a browser, and the core's own dispatcher in the CLI. A failed
// command throws a real AppError carrying the core's code and sentence, so a view or the terminal
// shows "run "x" is not running", never a stack trace.
import {
  commands,
  events,
  fromWireError,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type Envelope,
  type EventName,
  type EventPayload,
} from './index';

/** What the client needs from whatever carries it: one call, and one event stream. */
export interface Transport {
  invoke(name: CommandName, args: unknown): Promise<Envelope<unknown>>;
  /** Subscribes to one event; returns the function that unsubscribes. */
  on(name: EventName, listener: (payload: unknown) => void): () => void;
}

export interface ContractClient {
  call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>>;
  /** Subscribes to one event; returns the function that unsubscribes. */
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
}

export function createClient(transport: Transport): ContractClient {
  return {
    async call(name, args) {
      const envelope = await transport.invoke(name, args);
      if (!envelope.ok) throw fromWireError(envelope.error);
      // The core produced it from the same contract; parsing catches a renderer and a core from
      // different builds before a view renders half a result.
      return commands[name].result.parse(envelope.result) as CommandResult<typeof name>;
    },
    on(name, listener) {
      return transport.on(name, (raw) => {
        const payload = events[name].safeParse(raw);
        if (payload.success) listener(payload.data as EventPayload<typeof name>);
        else console.error(`event ${name} does not match the contract`, payload.error.issues);
      });
    },
  };
}
