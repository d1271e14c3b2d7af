// The handlers behind the Farm view: the inventory's devices (list, add, remove, import, LAN
// scan, mDNS). Each one calls the owning area's module; the rules (field formats, import file
// formats, scan bounds) live there. The Models and Plan views' handlers are in models.ts.
import type { DeviceForm, DeviceRow } from '../contract/lab';
import type { BoardState } from '../contract/boards';
import { AppError } from '../contract/errors';
import { defaultBoardStatesPath, loadBoardStates, saveBoardStates } from '../inventory/boardStates';
import type { Auth, BoardRecord, BoardRecordInput } from '../inventory/boardRecord';
import { parseImport, parseJump } from '../inventory/import';
import { defaultInventoryPath, Inventory, inventoryPathOf } from '../inventory/inventory';
import { scanSubnet } from '../inventory/lan-scan';
import { discoverMdns } from '../inventory/mdns';
import type { Handlers } from './dispatch';
import type { EventBus } from '../shared/events';

function describeAuth(auth: Auth): string {
  return auth.type === 'key' ? `key ${auth.file}` : auth.type;
}

export function deviceRow(
  d: BoardRecord,
  state: BoardState | null = null,
  full = false,
): DeviceRow {
  return {
    name: d.name,
    host: d.host,
    port: d.port,
    user: d.user,
    auth: describeAuth(d.auth),
    via: d.jump ? `${d.jump.user}@${d.jump.host}:${d.jump.port}` : null,
    agentPort: d.agentPort,
    profile: d.profile ?? null,
    state,
    ...(full ? { record: d } : {}),
  };
}

function deviceAuth(form: DeviceForm): Auth {
  if (form.auth === 'key') {
    if (!form.keyFile)
      throw new AppError('BAD_INPUT', 'key authentication needs the private key file');
    return { type: 'key', file: form.keyFile };
  }
  if (form.agentSocket !== undefined) {
    if (form.auth !== 'agent')
      throw new AppError('BAD_INPUT', `an agent socket is for agent logins, not ${form.auth}`);
    return { type: 'agent', socket: form.agentSocket };
  }
  return { type: form.auth };
}

function deviceInput(form: DeviceForm): BoardRecordInput {
  if (form.jumpKey !== undefined && form.jump === undefined)
    throw new AppError('BAD_INPUT', 'a jump key needs a jump host');
  const jump = form.jump === undefined ? undefined : parseJump(form.jump, 'device.jump');
  return {
    name: form.name,
    host: form.host,
    port: form.port,
    user: form.user,
    auth: deviceAuth(form),
    ...(jump
      ? { jump: form.jumpKey ? { ...jump, auth: { type: 'key', file: form.jumpKey } } : jump }
      : {}),
    ...(form.agentPort ? { agentPort: form.agentPort } : {}),
    ...(form.profile ? { profile: form.profile } : {}),
    ...(form.remoteDir ? { remoteDir: form.remoteDir } : {}),
  };
}

/** Adds every board of an import, or none: a bad entry is named, as "FILE: device "pi-3": ...". */
function addAll(
  inv: Inventory,
  file: string,
  inputs: readonly BoardRecordInput[],
  replace: boolean,
) {
  return inputs.map((d) => {
    try {
      return inv.add(d, { replace }).name;
    } catch (err) {
      // "device.host: ..." alone does not say which of 40 rows.
      if (err instanceof AppError)
        throw new AppError(
          err.code,
          `${file}: device ${JSON.stringify(d.name)}: ${err.message.replace(/^device\./, '')}`,
        );
      throw err;
    }
  });
}

type DeviceCommands =
  | 'devices/list'
  | 'devices/add'
  | 'devices/remove'
  | 'devices/import'
  | 'devices/scan'
  | 'devices/discover'
  | 'devices/stop-scan';

/** A sweep answers host after host; the page needs a few progress redraws a second. */
const SCAN_PROGRESS_EVERY_MS = 150;

export function deviceHandlers(dataDir: string, events: EventBus): Pick<Handlers, DeviceCommands> {
  let scanning: AbortController | null = null;
  const path = defaultInventoryPath(dataDir);
  const statesPath = defaultBoardStatesPath(dataDir);
  // Edits are load-change-save; one at a time, so two quick adds from the UI cannot lose one.
  let editing: Promise<unknown> = Promise.resolve();
  const edit = <T>(change: (inv: Inventory) => T, file = path): Promise<T> => {
    // Inventory.edit also locks the file against other processes (a CLI command editing it).
    const next = editing.then(() => Inventory.edit(file, change));
    editing = next.catch(() => undefined);
    return next;
  };

  return {
    'devices/list': async ({ inventory, full }) => {
      const [inv, states] = await Promise.all([
        Inventory.load(inventoryPathOf(dataDir, inventory)),
        loadBoardStates(statesPath),
      ]);
      return {
        devices: inv.list().map((d) => deviceRow(d, states.get(d.name) ?? null, full)),
      };
    },
    'devices/add': async ({ device, replace, inventory }) => ({
      device: deviceRow(
        await edit(
          (inv) => inv.add(deviceInput(device), { replace }),
          inventoryPathOf(dataDir, inventory),
        ),
        null,
        true,
      ),
    }),
    'devices/remove': async ({ name, inventory }) => {
      if (inventory)
        return {
          removed: (await edit((inv) => inv.remove(name), inventoryPathOf(dataDir, inventory)))
            .name,
        };
      const removed = (await edit((inv) => inv.remove(name))).name;
      // A board added again under this name is another board until it is read (the states are
      // the data folder's, of its own inventory's boards).
      await saveBoardStates(statesPath, new Map([[removed, null]]));
      return { removed };
    },
    'devices/import': async ({ fileName, text, replace, allowEmpty, inventory }) => {
      const inputs = parseImport(fileName, text);
      if (inputs.length === 0 && !allowEmpty)
        throw new AppError('IMPORT_EMPTY', `${fileName} lists no boards`);
      // Every row is checked before any is saved, so a bad line leaves the inventory untouched.
      return {
        added: await edit(
          (inv) => addAll(inv, fileName, inputs, replace),
          inventoryPathOf(dataDir, inventory),
        ),
      };
    },
    'devices/scan': async ({ subnet, port, timeoutMs }) => {
      if (scanning)
        throw new AppError('SCAN_BUSY', 'a scan is running already: wait for it or stop it');
      const abort = new AbortController();
      scanning = abort;
      let last = 0;
      try {
        const found = await scanSubnet({
          subnet,
          port,
          timeoutMs,
          signal: abort.signal,
          onProgress: (done, total) => {
            if (done < total && Date.now() - last < SCAN_PROGRESS_EVERY_MS) return;
            last = Date.now();
            events.emit('scan/progress', { done, total });
          },
        });
        return { found, stopped: abort.signal.aborted };
      } finally {
        scanning = null;
      }
    },
    'devices/discover': async ({ interfaceAddress, timeoutMs }) => ({
      found: await discoverMdns({ timeoutMs, ...(interfaceAddress ? { interfaceAddress } : {}) }),
    }),
    'devices/stop-scan': async () => {
      scanning?.abort();
      return { stopped: scanning !== null };
    },
  };
}
