// The handlers that cut a model into stages and parts (`mchair partition`, `mchair verify`): where
// a model can be cut, the parts written as standalone ONNX files with their manifest, and the
// parts checked against the whole model in onnxruntime. The rules (which
// tensors cut the graph, a plan's stages checked against the model) live in model/.
import { readJsonAs } from '../files/kind';
import { listCuts, partitionModel, type OnnxModel, type PartitionSpec } from '../model/index';
import { openModel, specFromPlan } from '../model/source';
import type { EventBus } from '../shared/events';
import type { Handlers } from './dispatch';

interface CutRequest {
  model: string;
  seed: number;
  cuts: string[];
  splits: Array<{ stage: number; parts: number }>;
  plan?: string | undefined;
}

/** The model and the partition its request describes: cuts and splits, or a plan file's stages. */
function partitionOf(r: CutRequest): { model: OnnxModel; spec: PartitionSpec } {
  const model = openModel(r.model, { seed: r.seed });
  const spec = r.plan
    ? specFromPlan(model, readJsonAs('--plan', r.plan, 'plan'), r.plan)
    : { cuts: r.cuts, splits: r.splits };
  return { model, spec };
}

export function partitionHandlers(
  events: EventBus,
): Pick<Handlers, 'models/cuts' | 'models/partition' | 'models/verify'> {
  return {
    'models/cuts': async ({ model, seed }) => ({ cuts: listCuts(openModel(model, { seed })) }),
    'models/partition': async (r) => {
      const { model, spec } = partitionOf(r);
      return { dir: r.out, manifest: await partitionModel(model, spec, r.out) };
    },
    'models/verify': async (r) => {
      const { model, spec } = partitionOf(r);
      // Said once the model and its cuts or plan are known good: a bad plan is one line alone.
      events.emit('run/say', {
        runId: null,
        line: `running ${r.frames} frames through ${model.name} and its partitions...`,
      });
      // onnxruntime loads with the first verification, never for a plain partition.
      const { verifyPartition } = await import('../model/verify');
      return verifyPartition(model, spec, {
        frames: r.frames,
        tolerance: r.tolerance,
        outDir: r.out,
      });
    },
  };
}
