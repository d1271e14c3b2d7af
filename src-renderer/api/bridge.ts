// The transport inside the Electron app: the preload's contract bridge, window.mchair
// (src-main/electron/bridge.ts builds it from the contract; this is its shape as the page sees it).
import type { CommandName, Envelope, EventName } from '../../src-main/contract/index';
import type { Transport } from './transport';

export interface ContractBridge {
  readonly commands: Readonly<Record<CommandName, (args?: unknown) => Promise<Envelope<unknown>>>>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

export function bridgeTransport(bridge: ContractBridge): Transport {
  return {
    invoke: (name, args) => bridge.commands[name](args),
    on: (name, listener) => bridge.on(name, listener),
  };
}
