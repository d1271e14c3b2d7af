// The handlers behind the Farm view: the inventory's devices (list, add, remove, import, LAN
// scan, mDNS). Each one calls the owning area's module; the rules (field formats, import file
// formats, scan bounds) live there. The Models and Plan views' handlers are in models.ts.
import { resolve } from 'node:path';
import type { DeviceForm, DeviceRow } from '../contract/lab';
import type { BoardState } from '../contract/boards';
import { AppError } from '../contract/errors';
import { defaultBoardStatesPath, loadBoardStates, saveBoardStates } from '../inventory/boardStates';
import type { Auth, BoardRecord, BoardRecordInput } from '../inventory/boardRecord';
import { parseImport } from '../inventory/import';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
import { scanSubnet } from '../inventory/lan-scan';
import { discoverMdns } from '../inventory/mdns';
import type { Handlers } from './dispatch';
import type { EventBus } from '../shared/events';

function describeAuth(auth: Auth): string {
  return auth.type === 'key' ? `key ${auth.file}` : auth.type;
}

export function deviceRow(d: BoardRecord, state: BoardState | null = null): DeviceRow {
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
  };
}

function deviceInput(form: DeviceForm): BoardRecordInput {
  let auth: Auth;
  if (form.auth === 'key') {
    if (!form.keyFile)
      throw new AppError('BAD_INPUT', 'key authentication needs the private key file');
    auth = { type: 'key', file: form.keyFile };
  } else {
    auth = { type: form.auth };
  }
  return {
    name: form.name,
    host: form.host,
    port: form.port,
    user: form.user,
    auth,
    ...(form.agentPort ? { agentPort: form.agentPort } : {}),
    ...(form.profile ? { profile: form.profile } : {}),
  };
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
    'devices/list': async () => {
      const [inventory, states] = await Promise.all([
        Inventory.load(path),
        loadBoardStates(statesPath),
      ]);
      return { devices: inventory.list().map((d) => deviceRow(d, states.get(d.name) ?? null)) };
    },
    'devices/add': async ({ device }) => ({
      device: deviceRow(await edit((inv) => inv.add(deviceInput(device)))),
    }),
    'devices/remove': async ({ name, inventory }) => {
      if (inventory)
        return { removed: (await edit((inv) => inv.remove(name), resolve(inventory))).name };
      const removed = (await edit((inv) => inv.remove(name))).name;
      // A board added again under this name is another board until it is read (the states are
      // the data folder's, of its own inventory's boards).
      await saveBoardStates(statesPath, new Map([[removed, null]]));
      return { removed };
    },
    'devices/import': async ({ fileName, text, replace }) => {
      const inputs = parseImport(fileName, text);
      if (inputs.length === 0) throw new AppError('IMPORT_EMPTY', `${fileName} lists no boards`);
      const added = await edit((inv) => inputs.map((d) => inv.add(d, { replace }).name));
      return { added };
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
