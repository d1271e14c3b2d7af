// `mchair model inspect`: every layer's output shape and cost, as JSON for the planner and as a
// table for people. The JSON shape is a public interface (issue 3).
import type { ModelCosts } from '../contract/lab';
import { analyseModel } from './graph';
import { type NodeProto, type OnnxModel, toNumber } from './onnx';

export interface TensorSummary {
  name: string;
  dtype: string;
  shape: number[];
}

export interface LayerCost {
  name: string;
  op: string;
  /** Tensor names the layer reads (activations and weights). */
  inputs: string[];
  outputs: string[];
  /** Shape of the first output. */
  outputShape: number[];
  /** Multiply-accumulates per inference. */
  macs: number;
  params: number;
  paramBytes: number;
  activationBytes: number;
  /** A grouped convolution's group count (absent when 1); equal to its input channels when depthwise. */
  group?: number;
  /** A convolution's kernel area (9 for 3x3): the cost model's conv size classes read it. */
  kernel?: number;
}

export interface ModelInspection {
  input: TensorSummary;
  output: TensorSummary;
  /** In graph order; constant-folded and unused nodes are not layers. */
  layers: LayerCost[];
  totals: { macs: number; params: number; paramBytes: number };
}

export function inspectModel(model: OnnxModel): ModelInspection {
  const a = analyseModel(model);
  const layers = a.layers.map((l) => ({
    name: l.name,
    op: l.op,
    inputs: l.inputs.filter(Boolean),
    outputs: l.outputs.filter(Boolean),
    outputShape: [...(a.tensors.get(l.outputs[0]!)?.shape ?? [])],
    macs: l.macs,
    params: l.params,
    paramBytes: l.paramBytes,
    activationBytes: l.activationBytes,
    ...groupOf(l.node),
    ...kernelOf(l.node, a.tensors),
  }));
  const sum = (k: 'macs' | 'params' | 'paramBytes'): number => layers.reduce((s, l) => s + l[k], 0);
  return {
    input: { name: a.input.name, dtype: a.input.dtype, shape: [...a.input.shape] },
    output: { name: a.output.name, dtype: a.output.dtype, shape: [...a.output.shape] },
    layers,
    totals: { macs: sum('macs'), params: sum('params'), paramBytes: sum('paramBytes') },
  };
}

/** Where a convolution's weight is among its inputs. */
const CONV_WEIGHT: Record<string, number> = { Conv: 1, ConvInteger: 1, QLinearConv: 3 };

function kernelOf(
  node: NodeProto,
  tensors: ReadonlyMap<string, { shape: readonly number[] }>,
): { kernel?: number } {
  const at = CONV_WEIGHT[node.opType ?? ''];
  const w = at === undefined ? undefined : tensors.get(node.input?.[at] ?? '');
  if (!w || w.shape.length < 3) return {};
  return { kernel: w.shape.slice(2).reduce((a, b) => a * b, 1) };
}

function groupOf(node: NodeProto): { group?: number } {
  const g = toNumber((node.attribute ?? []).find((a) => a.name === 'group')?.i ?? 1);
  return g > 1 ? { group: g } : {};
}

function si(n: number, unit = ''): string {
  if (n === 0) return '-';
  const steps: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, s] of steps)
    if (n >= v) return `${(n / v).toFixed(n / v >= 100 ? 0 : n / v >= 10 ? 1 : 2)} ${s}${unit}`;
  return `${n} ${unit}`.trim();
}
function bytes(n: number): string {
  if (n === 0) return '-';
  const steps: Array<[number, string]> = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [v, s] of steps) if (n >= v) return `${(n / v).toFixed(1)} ${s}`;
  return `${n} B`;
}

/** The inspection as a fixed-width table (of a model here, or of the core's models/inspect). */
export function formatInspection(name: string, r: Omit<ModelCosts, 'name'>): string {
  const head = ['layer', 'op', 'output', 'shape', 'MACs', 'params', 'weights', 'activation'];
  const rows = r.layers.map((l) => [
    l.name,
    l.op,
    l.outputs?.[0] ?? '',
    `[${l.outputShape.join(',')}]`,
    si(l.macs),
    si(l.params),
    bytes(l.paramBytes),
    bytes(l.activationBytes),
  ]);
  const total = [
    'total',
    '',
    '',
    '',
    si(r.totals.macs),
    si(r.totals.params),
    bytes(r.totals.paramBytes),
    '',
  ];
  const all = [head, ...rows, total];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const right = new Set([4, 5, 6, 7]);
  const line = (row: string[]): string =>
    row
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    `${name}: ${r.input.name} ${r.input.dtype} [${r.input.shape.join(',')}] -> ${r.output.name} ${r.output.dtype} [${r.output.shape.join(',')}]`,
    '',
    line(head),
    rule,
    ...rows.map(line),
    rule,
    line(total),
    `(${r.totals.macs.toLocaleString('en-US')} MACs, ${r.totals.params.toLocaleString('en-US')} parameters)`,
  ].join('\n');
}
