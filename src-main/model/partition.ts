// Cutting a model into stages and splitting a stage into parts, each a standalone ONNX model, and
// the partition folder `mchair partition` writes (one file per part plus manifest.json). Where a
// model can be cut is model/cut.ts; how a stage is split along output channels is
// model/channelSplit.ts; this file assembles the parts from both.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Manifest, TensorDtype } from '../contract/manifest';
import { APP_VERSION } from '../version';
import { PartitionError } from './errors';
import { analyseModel, type GraphAnalysis, type Layer } from './graph';
import {
  type DType,
  type ModelProto,
  type NodeProto,
  type OnnxModel,
  saveModel,
  type TensorProto,
  toNumber,
  valueInfo,
} from './onnx';
import { ancestryOf, cutProblem, listCuts, describeChoices } from './cut';
import { splitShape, splitSizes, partNodesForSplit } from './channelSplit';

export interface PartitionSpec {
  /** Cut tensors in graph order; stage i runs from cut i-1 (or the input) to cut i (or the output). */
  readonly cuts: readonly string[];
  /**
   * Stages to split into `parts` parts along output channels: as even as they go, or the given
   * `channels` ranges [start, end) (one per part, in order, covering every channel).
   */
  readonly splits?: ReadonlyArray<{
    readonly stage: number;
    readonly parts: number;
    readonly channels?: ReadonlyArray<readonly [number, number]>;
  }>;
}

export interface PartModel {
  readonly file: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly proto: ModelProto;
}

export interface StagePartition {
  readonly id: string;
  readonly input: string;
  readonly output: string;
  readonly layers: readonly Layer[];
  readonly parts: PartModel[];
  readonly concat?: { output: string; axis: number };
}

export interface Partition {
  readonly analysis: GraphAnalysis;
  readonly stages: StagePartition[];
}

function partModel(
  a: GraphAnalysis,
  file: string,
  input: string,
  output: string,
  nodes: NodeProto[],
  extra: ReadonlyMap<string, TensorProto>,
  outputInfo: { dtype: DType; shape: readonly number[] },
): PartModel {
  const initializers = new Map(extra);
  for (const n of nodes) {
    for (const i of n.input ?? []) {
      if (i && !initializers.has(i) && a.constants.has(i)) initializers.set(i, a.constants.get(i)!);
    }
  }
  const src = a.model.proto;
  const inInfo = a.tensors.get(input)!;
  const proto: ModelProto = {
    // IR 4 lets initializers stay out of the graph inputs (Caffe2-era files are IR 3).
    irVersion: Math.max(4, toNumber(src.irVersion)),
    producerName: 'musical-chair-lab',
    producerVersion: APP_VERSION,
    opsetImport: src.opsetImport ?? [],
    graph: {
      name: file.replace(/\.onnx$/, ''),
      node: nodes,
      initializer: [...initializers].map(([name, t]) => ({ ...t, name })),
      input: [valueInfo(input, inInfo.dtype, inInfo.shape)],
      output: [valueInfo(output, outputInfo.dtype, outputInfo.shape)],
    },
  };
  return { file, inputs: [input], outputs: [output], proto };
}

/** Plans the stages and parts (in memory; nothing written). */
export function buildPartition(model: OnnxModel, spec: PartitionSpec): Partition {
  const a = analyseModel(model);
  const anc = ancestryOf(a);
  const cuts = [...spec.cuts];
  const valid = (): string => describeChoices(listCuts(model));
  const seen = new Set<string>();
  cuts.forEach((c, i) => {
    if (seen.has(c)) throw new PartitionError(`cut "${c}" is given twice`);
    seen.add(c);
    const why = cutProblem(a, c);
    if (why) throw new PartitionError(`cannot cut at "${c}": ${why}. Valid cuts: ${valid()}`);
    if (i > 0) {
      const prev = a.producer.get(cuts[i - 1]!)!;
      if (!anc.has(a.producer.get(c)!.index, prev.index)) {
        throw new PartitionError(
          `cut "${c}" comes before cut "${cuts[i - 1]}"; list cuts in graph order (valid cuts: ${valid()})`,
        );
      }
    }
  });

  const bounds = [a.input.name, ...cuts, a.output.name];
  const stageLayers: Layer[][] = bounds.slice(1).map(() => []);
  for (const l of a.layers) {
    // A layer belongs to the first stage whose end tensor needs it.
    let s = cuts.findIndex((c) => anc.has(a.producer.get(c)!.index, l.index));
    if (s < 0) s = cuts.length;
    stageLayers[s]!.push(l);
  }

  const splits = new Map<number, number>();
  const ranges = new Map<number, ReadonlyArray<readonly [number, number]>>();
  for (const sp of spec.splits ?? []) {
    if (sp.channels && sp.channels.length !== sp.parts) {
      throw new PartitionError(
        `split ${sp.stage}:${sp.parts}: ${sp.channels.length} channel ranges for ${sp.parts} parts`,
      );
    }
    if (sp.channels) ranges.set(sp.stage, sp.channels);
    if (!Number.isInteger(sp.stage) || sp.stage < 0 || sp.stage > cuts.length) {
      throw new PartitionError(
        `split ${sp.stage}:${sp.parts}: there is no stage ${sp.stage} (stages 0..${cuts.length})`,
      );
    }
    if (!Number.isInteger(sp.parts) || sp.parts < 1)
      throw new PartitionError(
        `split ${sp.stage}:${sp.parts}: parts must be a whole number of 1 or more`,
      );
    if (splits.has(sp.stage)) throw new PartitionError(`stage ${sp.stage} is split twice`);
    splits.set(sp.stage, sp.parts);
  }

  const splittable = (): string => {
    const ok = stageLayers
      .map((ls, i) => (typeof splitShape(a, ls, bounds[i + 1]!) === 'string' ? null : i))
      .filter((i) => i !== null);
    return ok.length
      ? `stages that can be split with these cuts: ${ok.join(', ')}`
      : 'no stage can be split with these cuts; put a cut right before and right after the Conv/Gemm/MatMul (and its activation) to split';
  };

  const stages = stageLayers.map((layers, s): StagePartition => {
    const input = bounds[s]!;
    const output = bounds[s + 1]!;
    const id = `s${s}`;
    const k = splits.get(s) ?? 1;
    const outInfo = a.tensors.get(output)!;
    if (k === 1) {
      const file = `${id}.p0.onnx`;
      return {
        id,
        input,
        output,
        layers,
        parts: [
          partModel(
            a,
            file,
            input,
            output,
            layers.map((l) => l.node),
            new Map(),
            outInfo,
          ),
        ],
      };
    }
    const shape = splitShape(a, layers, output);
    if (typeof shape === 'string')
      throw new PartitionError(
        `cannot split stage ${s} (${input} -> ${output}): ${shape}; ${splittable()}`,
      );
    const g = shape.geometry.get(output)!;
    if (k > g.channels)
      throw new PartitionError(
        `cannot split stage ${s} into ${k} parts: "${shape.mixing.name}" has only ${g.channels} output channels`,
      );
    const given = ranges.get(s);
    if (given) checkRanges(s, given, g.channels);
    let c0 = 0;
    const parts = (given?.map(([x, y]) => y - x) ?? splitSizes(g.channels, k)).map((size, j) => {
      const c1 = c0 + size;
      const partOutput = `${output}.p${j}`;
      const built = partNodesForSplit(a, shape, j, c0, c1, output, partOutput);
      const partShape = outInfo.shape.map((d, i) => (i === g.axis ? size * g.block : d));
      c0 = c1;
      return partModel(a, `${id}.p${j}.onnx`, input, partOutput, built.nodes, built.initializers, {
        dtype: outInfo.dtype,
        shape: partShape,
      });
    });
    return { id, input, output, layers, parts, concat: { output, axis: g.axis } };
  });
  return { analysis: a, stages };
}

function checkRanges(
  stage: number,
  ranges: ReadonlyArray<readonly [number, number]>,
  channels: number,
): void {
  let at = 0;
  for (const [start, end] of ranges) {
    if (start !== at || end <= start || end > channels) {
      throw new PartitionError(
        `stage ${stage}: channel ranges ${ranges.map(([x, y]) => `[${x},${y})`).join(' ')} must follow each other from 0 to ${channels} without gaps`,
      );
    }
    at = end;
  }
  if (at !== channels)
    throw new PartitionError(
      `stage ${stage}: channel ranges end at ${at}, the layer has ${channels} output channels`,
    );
}

/** The manifest's model input, checked against what the manifest can describe. */
function manifestInput(a: GraphAnalysis): Manifest['input'] {
  const dtype = TensorDtype.safeParse(a.input.dtype);
  if (!dtype.success)
    throw new PartitionError(
      `the model input is ${a.input.dtype}; partitions need one of ${TensorDtype.options.join(', ')}`,
    );
  return { name: a.input.name, dtype: dtype.data, shape: [...a.input.shape] };
}

/**
 * Writes one standalone ONNX file per part and `manifest.json` (DESIGN.md's format) into
 * `outDir`, streaming the weights; returns the manifest.
 */
export async function partitionModel(
  model: OnnxModel,
  spec: PartitionSpec,
  outDir: string,
): Promise<Manifest> {
  const p = buildPartition(model, spec);
  const input = manifestInput(p.analysis);
  mkdirSync(outDir, { recursive: true });
  const stages = p.stages.map((s) => ({
    id: s.id,
    parts: s.parts.map((part) => {
      const saved = saveModel(part.proto, join(outDir, part.file));
      return { file: part.file, sha256: saved.sha256, inputs: part.inputs, outputs: part.outputs };
    }),
    ...(s.concat ? { concat: s.concat } : {}),
  }));
  const manifest = Manifest.parse({
    model: model.name,
    input,
    output: p.analysis.output.name,
    stages,
  });
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
