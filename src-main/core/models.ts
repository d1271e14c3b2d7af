// The handlers behind the Models and Plan views: the zoo's and the library's CNNs with their
// per-layer costs, and plans of them on a farm. The rules (the ONNX reader, the cost model, the
// planner's search) live in model/ and planner/.
import type { PlanFarm } from '../contract/lab';
import { AppError } from '../contract/errors';
import type { Device } from '../inventory/device';
import { defaultInventoryPath, Inventory } from '../inventory/inventory';
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
