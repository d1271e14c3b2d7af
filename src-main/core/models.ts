// The handlers behind the Models and Plan views: the zoo's and the library's CNNs with their
// per-layer costs, and plans of them on a farm. The rules (the ONNX reader, the cost model, the
// planner's search) live in model/ and planner/.
import type { PlanFarmOrFile, PresetOutcome } from '../contract/lab';
import { AppError, InputError } from '../contract/errors';
import { readJsonAs } from '../files/kind';
import { Inventory, inventoryPathOf } from '../inventory/inventory';
import {
  inspectModel,
  isZooName,
  ZOO_DESCRIPTIONS,
  ZOO_NAMES,
  type ModelInspection,
} from '../model/index';
import {
  comparePlans,
  farmFromFile,
  farmFromSpec,
  planModelAsync,
  plannerModelOf,
  SearchStopped,
  PRESET_DEVICES,
  PRESET_IDS,
  presetPlan,
  tensorBytesOf,
  type Farm as PlannerFarm,
  type PlannerModel,
  type PresetId,
} from '../planner/index';
import { withStoredProfiles } from '../planner/profileBook';
import { openModel } from '../model/source';
import type { Handlers } from './dispatch';
import { ModelLibrary } from '../model/library';
import type { EventBus } from '../shared/events';

type ModelCommands =
  'models/list' | 'models/inspect' | 'models/upload' | 'plan/make' | 'plan/cancel';

async function plannerFarm(farm: PlanFarmOrFile, inventory: Inventory): Promise<PlannerFarm> {
  if (farm.kind === 'virtual') return farmFromSpec(farm.spec);
  // A farm file lists its devices' profiles too, as the CLI's --farm FILE names it.
  if (farm.kind === 'file')
    return farmFromFile(readJsonAs('--farm', farm.path, 'planner-farm', ['farm']), farm.path);
  // The lab's boards: loaded here only, as it reaches provisioning (and ssh2) a plan never needs.
  return (await import('../runtime/boardFarm')).boardsPlannerFarm(inventory.list());
}

function presetId(id: string): PresetId {
  if ((PRESET_IDS as readonly string[]).includes(id)) return id as PresetId;
  throw new InputError(`no preset "${id}"; choose from ${PRESET_IDS.join(', ')}`);
}

/** The paper's hand-made distributions on the same farm, or why each cannot be drawn there. */
function presetsBeside(planner: PlannerModel, devices: PlannerFarm): PresetOutcome[] {
  return PRESET_IDS.map((id) => {
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
}

export function modelHandlers(dataDir: string, events: EventBus): Pick<Handlers, ModelCommands> {
  const library = new ModelLibrary(dataDir);
  /** The plan search under way: plan/cancel aborts it (one at a time, as the Plan view asks). */
  let planning: AbortController | null = null;
  // Costing reads a model's graph and shapes, never its weights (as `mchair plan` and `model
  // inspect` do), yet analysing a large graph still takes a while; a model's costs never change
  // under its name, so once is enough (an import replaces them).
  const inspected = new Map<string, ModelInspection>();
  const costsOf = async (ref: string): Promise<ModelInspection & { name: string }> => {
    // A path (the CLI's --model FILE) is read afresh each time, as it may change, and is named
    // after itself; one that is missing is said to be missing, not to be no model of the lab.
    const looksLikeFile = !isZooName(ref) && (/[\\/]/.test(ref) || ref.endsWith('.onnx'));
    const located = looksLikeFile ? ref : await library.locate(ref, { paths: true });
    if (located === ref && !isZooName(ref)) {
      const model = openModel(ref);
      return { name: model.name, ...inspectModel(model) };
    }
    let costs = inspected.get(ref);
    if (costs) return { name: ref, ...costs };
    costs = inspectModel(openModel(located, { name: ref }));
    inspected.set(ref, costs);
    return { name: ref, ...costs };
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
    'models/inspect': async ({ name, tensors }) => {
      const costs = await costsOf(name);
      return tensors ? costs : costsResult(costs.name, costs);
    },
    'models/upload': async (chunk) => {
      const { received, model } = await library.receive(chunk);
      if (!model) return { received, model: null };
      const costs = inspectModel(model);
      inspected.set(chunk.name, costs);
      return { received, model: costsResult(chunk.name, costs) };
    },
    'plan/make': async (req) => {
      const costs = await costsOf(req.model);
      const planner = plannerModelOf(costs.name, costs);
      const inventory = await Inventory.load(inventoryPathOf(dataDir, req.inventory));
      // Measured profiles where the lab has them; each plan device says where its figures come from.
      const believed = withStoredProfiles(
        await plannerFarm(req.farm, inventory),
        inventory.storedProfiles(),
      );
      const devices = believed.farm;
      if (planning)
        throw new AppError('PLAN_BUSY', 'a plan is being searched already: wait or cancel it');
      const ac = new AbortController();
      planning = ac;
      const started = performance.now();
      const cpu = process.cpuUsage();
      let best;
      try {
        best = req.preset
          ? {
              plans: [presetPlan(presetId(req.preset), planner, devices)],
              method: 'preset' as const,
            }
          : await planModelAsync(
              planner,
              devices,
              {
                objective: req.objective,
                top: req.top,
                ...(req.maxLatencyMs !== undefined ? { maxLatencyMs: req.maxLatencyMs } : {}),
              },
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
      const millis = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const [first, ...others] = best.plans;
      return {
        plans: [...best.plans],
        comparisons: others.map((p) => comparePlans(first!, p)),
        presets: req.presets ? presetsBeside(planner, devices) : [],
        method: best.method,
        millis,
        cpuMillis: (used.user + used.system) / 1000,
        notes: believed.notes,
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
