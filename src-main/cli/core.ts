// The CLI's way into the core: the same dispatcher as the app and serve (arguments validated
// against the contract, every call logged, failures as coded errors) and the same event bus,
// which commands that show progress subscribe to, through the contract's own client. One core
// per command, made on first use.
import { createClient, type ContractClient } from '../contract/client';
import { createCore, type Core } from '../core/index';
import type { TerminalAsk } from '../core/runs';
import type { Logger } from '../log';
import { TerminalPrompter, type Prompter } from '../ssh/prompter';

export interface CliCore extends ContractClient {
  close(): Promise<void>;
}

export function cliCore(dataDir: string, log: Logger, terminal: TerminalAsk): CliCore {
  let core: Core | null = null;
  const open = (): Core => (core ??= createCore({ mode: 'cli', dataDir, log, terminal }));
  const client = createClient({
    invoke: (name, args) => open().dispatch(name, args),
    on: (name, listener) => open().events.on(name, listener),
  });
  return {
    ...client,
    close: async () => {
      await core?.close();
    },
  };
}

/**
 * How the CLI asks for SSH passwords and passphrases: on the terminal when there is one, with the
 * time spent answering counted against the handshake time-out.
 */
export function terminalAsk(prompter: Prompter = TerminalPrompter.ifInteractive()): TerminalAsk {
  return { prompter, readyTimeoutMs: prompter instanceof TerminalPrompter ? 120_000 : 20_000 };
}
