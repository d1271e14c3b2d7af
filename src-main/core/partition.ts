// The handlers that cut a model into stages and parts (`mchair partition`): where a model can be
// cut, and the parts written as standalone ONNX files with their manifest. The rules (which
// tensors cut the graph, a plan's stages checked against the model) live in model/.
import { readJsonAs } from '../files/kind';
import { listCuts, partitionModel } from '../model/index';
import { openModel, specFromPlan } from '../model/source';
import type { Handlers } from './dispatch';

export function partitionHandlers(): Pick<Handlers, 'models/cuts' | 'models/partition'> {
  return {
    'models/cuts': async ({ model, seed }) => ({ cuts: listCuts(openModel(model, { seed })) }),
    'models/partition': async ({ model: ref, seed, cuts, splits, plan, out }) => {
      const model = openModel(ref, { seed });
      const spec = plan
        ? specFromPlan(model, readJsonAs('--plan', plan, 'plan'), plan)
        : { cuts, splits };
      return { dir: out, manifest: await partitionModel(model, spec, out) };
    },
  };
}
