// The handlers behind the Farm view's Provision action and logs drawer: provision the chosen
// boards in parallel (provision/provisionFarm), stream each device's step and progress as
// 'provision/progress' events, stop between two chunks when the user cancels, and keep boards'
// passwords and passphrases; the rest of the board commands (logs, refresh, reboot, probe, ...)
// share its connector (boards.ts). Host keys the user
// confirmed in the app's modal (after a HOST_KEY_UNKNOWN result) come back as `confirmed`
// fingerprints (remembered) or `acceptedOnce` ones (trusted for this provisioning's connections
// only); the CLI's --accept-new comes as `acceptNew`, and its terminal asks for the rest.
import { AppError } from '../contract/errors';
import type { ProvisionProgress } from '../contract/provision';
import { agentBundlePath } from '../farm/local';
import { defaultBoardStatesPath } from '../inventory/boardStates';
import { Inventory, inventoryPathOf } from '../inventory/inventory';
import { passphraseSecretKey, passwordSecretKey } from '../inventory/boardRecord';
import type { SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import { provisionFarm } from '../provision/provision';
import { APP_TRUST_HOW, Connector } from '../ssh/connector';
import { checkPassphrase } from '../ssh/credentials';
import { nobodyToAsk } from '../ssh/prompter';
import type { Handlers } from './dispatch';
import { boardHandlers, type BoardCommands } from './boards';
import type { TerminalAsk } from './runs';
import { resolve } from 'node:path';
import type { EventBus } from '../shared/events';

/** Progress changes with every uploaded chunk; the page needs a few redraws a second. */
const PROGRESS_EVERY_MS = 150;

export function provisionHandlers(
  dataDir: string,
  events: EventBus,
  log: Logger,
  secrets: SecretStore,
  /** The CLI's terminal, which asks for secrets and unknown keys; absent in the app. */
  terminal?: TerminalAsk,
): Pick<
  Handlers,
  | 'provision/start'
  | 'provision/cancel'
  | 'devices/save-password'
  | 'devices/save-passphrase'
  | BoardCommands
> {
  let running: AbortController | null = null;
  const statesPath = defaultBoardStatesPath(dataDir);
  /** The data folder's inventory, or the file the CLI's --inventory names. */
  const inventory = (file?: string): Promise<Inventory> =>
    Inventory.load(inventoryPathOf(dataDir, file));
  const connector = (
    confirmed: readonly string[] = [],
    acceptedOnce: readonly string[] = [],
    acceptNew = false,
  ): Promise<Connector> =>
    Connector.create({
      dataDir,
      acceptNew,
      confirmed,
      acceptedOnce,
      // No terminal to ask in the app: an unknown key comes back as HOST_KEY_UNKNOWN and the
      // page asks; secrets the session has no store for fail with a sentence that says so. The
      // CLI asks its user on the terminal.
      ...(terminal ?? { prompter: nobodyToAsk, trustHow: APP_TRUST_HOW }),
      secrets,
    });

  return {
    'provision/start': async (args) => {
      if (running)
        throw new AppError(
          'PROVISION_BUSY',
          'boards are being provisioned already: wait for it to finish or cancel it',
        );
      const abort = new AbortController();
      running = abort;
      let lastSent = 0;
      let pending: ProvisionProgress | null = null;
      // Every step a board enters is sent (the CLI prints a line per step without a terminal).
      const steps = new Map<string, string>();
      const send = (snapshot: ProvisionProgress): void => {
        pending = null;
        lastSent = Date.now();
        events.emit('provision/progress', snapshot);
      };
      try {
        const chosen = (await inventory(args.inventory)).select(args.devices);
        const results = await provisionFarm(chosen, {
          connector: await connector(args.confirmed, args.acceptedOnce, args.acceptNew),
          dataDir,
          // The app's keychain store seals the lab CA key too; serve's memory store would lose it.
          ...(secrets.persistent ? { caKeyStore: secrets } : {}),
          agentBundle: args.agentBundle ? resolve(args.agentBundle) : agentBundlePath(),
          ...(args.partitions ? { partitions: resolve(args.partitions) } : {}),
          nodeTarballs: args.nodeTarballs.map((t) => resolve(t)),
          systemService: args.systemService,
          concurrency: args.concurrency,
          log,
          signal: abort.signal,
          onProgress: (snapshot, changed) => {
            const newStep = steps.get(changed.device) !== changed.step;
            steps.set(changed.device, changed.step);
            if (newStep || Date.now() - lastSent >= PROGRESS_EVERY_MS) send(snapshot);
            else pending = snapshot;
          },
        });
        if (pending) send(pending);
        return { devices: results };
      } finally {
        running = null;
      }
    },
    'provision/cancel': async () => {
      running?.abort();
      return { cancelled: running !== null };
    },
    'devices/save-password': async ({ name, password }) => {
      const [device] = (await inventory()).select([name]);
      if (!device) throw new AppError('DEVICE_NOT_FOUND', `no device "${name}" in the inventory`);
      await secrets.set(passwordSecretKey(device), password);
      return { saved: true, persistent: secrets.persistent };
    },
    'devices/save-passphrase': async ({ name, passphrase }) => {
      const device = (await inventory()).get(name);
      if (device.auth.type !== 'key')
        throw new AppError(
          'NOT_A_KEY_LOGIN',
          `${name} logs in with ${device.auth.type}, not a key file: there is no passphrase to keep`,
        );
      await checkPassphrase(device.auth.file, passphrase);
      await secrets.set(passphraseSecretKey(device.auth.file), passphrase);
      return { saved: true, persistent: secrets.persistent };
    },
    ...boardHandlers({ inventory, connector, statesPath }),
  };
}
