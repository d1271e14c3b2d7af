// The handlers behind the Farm, Models and Plan views: the inventory's devices (list, add,
// remove, import, LAN scan, mDNS), the zoo's CNNs with their per-layer costs, and plans of them on a
// farm. Each one calls the owning area's module; the rules (field formats, import file formats,
// scan bounds, the planner's search) live there.
import type { DeviceForm, DeviceRow, PlanFarm } from '../contract/lab';
import type { BoardState } from '../contract/boards';
import { AppError } from '../contract/errors';
import { defaultBoardStatesPath, loadBoardStates, saveBoardStates } from '../inventory/boardStates';
import type { Auth, Device, DeviceInput } from '../inventory/device';
import { parseImport } from '../inventory/import';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
import { scanSubnet } from '../inventory/lan-scan';
import { discoverMdns } from '../inventory/mdns';
import { inspectModel, ZOO_DESCRIPTIONS, ZOO_NAMES, type ModelInspection } from '../model/index';
import {
  comparePlans,
  farmFromSpec,
  planModelAsync,
  plannerModelOf,
  SearchStopped,
  PRESET_DEVICES,
  PRESET_IDS,
  presetPlan,
  tensorBytesOf,
  type Farm as PlannerFarm,
} from '../planner/index';
import { boardsPlannerFarm } from '../runtime/boardFarm';
import { withStoredProfiles } from '../planner/profileBook';
import { openModel } from '../model/source';
import type { Handlers } from './dispatch';
import { ModelLibrary } from '../model/library';
import type { EventBus } from '../shared/events';

function describeAuth(auth: Auth): string {
  return auth.type === 'key' ? `key ${auth.file}` : auth.type;
}

export function deviceRow(d: Device, state: BoardState | null = null): DeviceRow {
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

function deviceInput(form: DeviceForm): DeviceInput {
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
  const edit = <T>(change: (inv: Inventory) => T): Promise<T> => {
    // Inventory.edit also locks the file against other processes (a CLI command editing it).
    const next = editing.then(() => Inventory.edit(path, change));
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
    'devices/remove': async ({ name }) => {
      const removed = (await edit((inv) => inv.remove(name))).name;
      // A board added again under this name is another board until it is read.
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

type ModelCommands =
  'models/list' | 'models/inspect' | 'models/upload' | 'plan/make' | 'plan/cancel';

function plannerFarm(farm: PlanFarm, inventory: readonly Device[]): PlannerFarm {
  return farm.kind === 'virtual' ? farmFromSpec(farm.spec) : boardsPlannerFarm(inventory);
}

export function modelHandlers(dataDir: string, events: EventBus): Pick<Handlers, ModelCommands> {
  const library = new ModelLibrary(dataDir);
  /** The plan search under way: plan/cancel aborts it (one at a time, as the Plan view asks). */
  let planning: AbortController | null = null;
  // Costing reads a model's graph and shapes, never its weights (as `mchair plan` and `model
  // inspect` do), yet analysing a large graph still takes a while; a model's costs never change
  // under its name, so once is enough (an import replaces them).
  const inspected = new Map<string, ModelInspection>();
  const costsOf = async (name: string): Promise<ModelInspection> => {
    let costs = inspected.get(name);
    if (costs) return costs;
    costs = inspectModel(openModel(await library.locate(name), { name }));
    inspected.set(name, costs);
    return costs;
  };
  const costsResult = (name: string, costs: ModelInspection) => ({
    name,
    ...costs,
    layers: costs.layers.map(({ inputs: _i, outputs: _o, ...l }) => l),
  });

  return {
    'models/list': async () => ({
      zoo: await Promise.all(
        ZOO_NAMES.map(async (name) => ({
          name,
          description: ZOO_DESCRIPTIONS[name],
          card: await library.card(name),
        })),
      ),
      imported: (await library.list()).map(({ name, bytes, card }) => ({
        name,
        description: `${card?.title ?? 'imported ONNX'}, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
        card,
      })),
    }),
    'models/inspect': async ({ name }) => costsResult(name, await costsOf(name)),
    'models/upload': async (chunk) => {
      const { received, model } = await library.receive(chunk);
      if (!model) return { received, model: null };
      const costs = inspectModel(model);
      inspected.set(chunk.name, costs);
      return { received, model: costsResult(chunk.name, costs) };
    },
    'plan/make': async ({ model, farm, objective, top }) => {
      const costs = await costsOf(model);
      const planner = plannerModelOf(model, costs);
      const inventory = await Inventory.load(defaultInventoryPath(dataDir));
      // Measured profiles where the lab has them; each plan device says where its figures come from.
      const devices = withStoredProfiles(
        plannerFarm(farm, farm.kind === 'inventory' ? inventory.list() : []),
        inventory.storedProfiles(),
      ).farm;
      if (planning)
        throw new AppError('PLAN_BUSY', 'a plan is being searched already: wait or cancel it');
      const ac = new AbortController();
      planning = ac;
      let best;
      try {
        best = await planModelAsync(
          planner,
          devices,
          { objective, top },
          (p) => events.emit('plan/progress', p),
          ac.signal,
        );
      } catch (err) {
        if (err instanceof SearchStopped)
          throw new AppError(
            'PLAN_CANCELLED',
            'planning was cancelled; press Plan to search again',
          );
        throw err;
      } finally {
        planning = null;
      }
      const presets = PRESET_IDS.map((id) => {
        if (devices.devices.length < PRESET_DEVICES[id]) {
          return {
            id,
            plan: null,
            unavailable: `needs ${PRESET_DEVICES[id]} devices; this farm has ${devices.devices.length}`,
          };
        }
        try {
          return { id, plan: presetPlan(id, planner, devices), unavailable: null };
        } catch (err) {
          if (err instanceof AppError) return { id, plan: null, unavailable: err.message };
          throw err;
        }
      });
      const [first, ...others] = best.plans;
      return {
        plans: [...best.plans],
        comparisons: others.map((p) => comparePlans(first!, p)),
        presets,
        method: best.method,
        millis: best.millis,
        tensorBytes: tensorBytesOf(planner, costs.layers),
      };
    },
    'plan/cancel': async () => {
      const ac = planning;
      ac?.abort();
      return { cancelled: ac !== null };
    },
  };
}
