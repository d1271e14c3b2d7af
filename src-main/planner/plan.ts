// Turns a layout and its evaluation into the public Plan document, with the explanation people
// read: what limits the IPS and why, and what would raise it.
import type {
  Bottleneck,
  Plan,
  PlanDeviceRole,
  PlanObjective,
  PlanRole,
  PlanStage,
} from '../contract/plan';
import { InputError } from '../contract/errors';
import type { CostModel, BoardLoad, Evaluation, Layout } from './cost';
import type { FarmBoard, Farm } from './farm';
import { canSplit } from './layers';
import { profileSource } from './profile';

const fmt = (x: number, digits = 2): string =>
  Number.isFinite(x) ? x.toFixed(digits) : 'unbounded';
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;

/** Refuses a layout that does not cover the model once, in order, at valid cuts and splits. */
export function checkLayout(cost: CostModel, layout: Layout, farm: Farm): void {
  const chain = cost.chain;
  const inFarm = new Set(farm.devices);
  let at = 0;
  layout.forEach((s, si) => {
    if (s.from !== at || s.to <= s.from || !chain.cuts[s.to]) {
      throw new InputError(
        `plan stage s${si} does not start where the previous one ends at a valid cut`,
      );
    }
    at = s.to;
    if (s.parts.length > 1 && !canSplit(chain, s.from, s.to)) {
      throw new InputError(
        `plan stage s${si} is split but its first layer cannot be split along output channels`,
      );
    }
    // A device may hold parts of several stages (they share its time and memory), but is one
    // replica of a part at most.
    s.parts.forEach((p, pi) => {
      const seen = new Set<FarmBoard>();
      for (const d of p.devices) {
        if (!inFarm.has(d)) throw new InputError(`plan device "${d.id}" is not in the farm`);
        if (seen.has(d))
          throw new InputError(`plan device "${d.id}" is named twice in part s${si}.p${pi}`);
        seen.add(d);
      }
    });
  });
  if (at !== cost.layerCount) throw new InputError('plan stages do not cover the whole model');
}

function stageName(cost: CostModel, layout: Layout, si: number): string {
  const layers = cost.chain.model.layers;
  const s = layout[si]!;
  const span =
    s.to - s.from === 1
      ? layers[s.from]!.name
      : `${layers[s.from]!.name}..${layers[s.to - 1]!.name}`;
  return `s${si} (${span}${s.parts.length > 1 ? `, split in ${s.parts.length}` : ''})`;
}

/** The bottleneck and why, in the lab's words. */
export function explainBottleneck(cost: CostModel, layout: Layout, ev: Evaluation): Bottleneck {
  const b = ev.bottleneck;
  if (b.kind === 'medium') {
    const m = ev.media[b.index]!;
    return {
      kind: 'medium',
      where: m.medium.id,
      ips: b.ips,
      why: `the shared ${m.medium.id} medium (${Number(m.medium.mbps.toPrecision(3))} Mbit/s, ${profileSource(m.medium)}) carries ${mb(m.bytesPerFrame)} per frame: frames, activations between stages and results all use the same air`,
    };
  }
  if (b.kind === 'device') {
    const u = ev.devices[b.index]!;
    const roles = u.loads
      .map((l) => `s${l.stage}.p${l.part} ${fmt(l.cost.computeSec + l.cost.ioSec, 3)} s`)
      .join(' + ');
    return {
      kind: 'device',
      where: u.device.id,
      ips: b.ips,
      why: `${u.device.id} (${u.device.profile.id}) holds ${u.loads.length} roles that share its time: ${roles} per frame`,
    };
  }
  if (b.kind === 'port') {
    return {
      kind: 'port',
      where: 'coordinator',
      ips: b.ips,
      why: "the coordinator's network port cannot send frames any faster",
    };
  }
  const si = b.index;
  const s = layout[si]!;
  const pi = ev.stageBottleneckPart[si]!;
  const loads = ev.loads.filter((l) => l.stage === si && l.part === pi);
  const slow = loads.reduce((a, l) => (l.cost.periodSec > a.cost.periodSec ? l : a));
  const c = slow.cost;
  const layers = cost.chain.model.layers.slice(s.from, s.to);
  const macs = layers.reduce((a, l) => a + l.macs, 0) * s.parts[pi]!.share;
  const bound =
    c.portSec > c.computeSec + c.ioSec
      ? `its ${slow.device.medium.id} port moves the frame's bytes in ${fmt(c.portSec, 3)} s`
      : c.ioSec > c.computeSec
        ? `messages (decode, TLS) take ${fmt(c.ioSec, 3)} s of its ${fmt(c.periodSec, 3)} s per frame`
        : `it computes ${fmt(macs / 1e9)} GMAC and reads ${mb(c.weightBytes)} of weights in ${fmt(c.computeSec, 3)} s per frame`;
  const replicas =
    loads.length > 1
      ? `${loads.length} replicas, slowest ${slow.device.id}`
      : `on ${slow.device.id} (${slow.device.profile.id})`;
  return {
    kind: 'stage',
    where: `s${si}`,
    ips: b.ips,
    why: `stage ${stageName(cost, layout, si)}${s.parts.length > 1 ? ` part p${pi}` : ''} ${replicas}: ${bound}`,
  };
}

/** What would raise the IPS, most effective first. */
export function suggest(cost: CostModel, layout: Layout, ev: Evaluation): string[] {
  const out: Array<{ gain: number; text: string }> = [];
  const b = ev.bottleneck;
  const others = (skip: (kind: string, i: number) => boolean) =>
    Math.min(
      ...ev.stageIps.filter((_, i) => !skip('stage', i)),
      ...ev.media.filter((_, i) => !skip('medium', i)).map((m) => m.capacityIps),
      b.kind === 'port' ? Infinity : ev.coordinatorPortIps,
    );
  let idleUseful = false;
  if (b.kind === 'stage') {
    const si = b.index;
    const s = layout[si]!;
    const pi = ev.stageBottleneckPart[si]!;
    const part = s.parts[pi]!;
    // An idle device that can hold the part, else another board like the part's own.
    const costOn = (d: FarmBoard) => cost.partCost(d, s.from, s.to, part.share);
    const fitsOn = (d: FarmBoard, c = costOn(d)) => c.peakBytes <= d.profile.memory.budgetBytes;
    const spare = ev.idle.find((d) => fitsOn(d));
    const model = spare ?? part.devices[0]!;
    const extra = costOn(model);
    const fits = fitsOn(model, extra);
    const rest = others((k, i) => k === 'stage' && i === si);
    if (fits) {
      const partIps = (p: number) =>
        ev.loads
          .filter((l) => l.stage === si && l.part === p)
          .reduce((a, l) => a + 1 / l.cost.periodSec, 0);
      const stageAfter = Math.min(
        partIps(pi) + 1 / extra.periodSec,
        ...s.parts.map((_, p) => (p === pi ? Infinity : partIps(p))),
      );
      const next = Math.min(stageAfter, rest);
      out.push({
        gain: next - b.ips,
        text: `${spare ? `${spare.id} (idle)` : `another ${model.profile.id}`} as a replica of s${si}${s.parts.length > 1 ? ` part p${pi}` : ''} would raise the IPS to ${fmt(next)}`,
      });
      if (spare) idleUseful = true;
    }
    if (s.parts.length === 1 && canSplit(cost.chain, s.from, s.to)) {
      out.push({
        gain: 0,
        text: `split s${si} (${cost.chain.model.layers[s.from]!.name}) along output channels over more boards: each part then holds and streams a fraction of its weights`,
      });
    } else if (!fits && s.to - s.from > 1) {
      out.push({
        gain: 0,
        text: `cut s${si} into two pipeline stages on more boards: one ${model.profile.id} cannot hold another copy of it`,
      });
    }
  } else if (b.kind === 'medium') {
    const m = ev.media[b.index]!;
    const next = Math.min(
      2 * m.capacityIps,
      others((k, i) => k === 'medium' && i === b.index),
    );
    out.push({
      gain: next - b.ips,
      text: `twice the bandwidth on ${m.medium.id} (e.g. Ethernet or 5 GHz Wi-Fi) would raise the IPS to ${fmt(next)}`,
    });
    out.push({
      gain: 0,
      text: 'fewer stages or splits: every hop and every split part sends its bytes over the same air',
    });
  }
  if (ev.idle.length > 0 && !idleUseful) {
    out.push({
      gain: -1,
      text: `${ev.idle.length} device(s) left idle (${ev.idle
        .slice(0, 4)
        .map((d) => d.id)
        .join(', ')}${ev.idle.length > 4 ? ', ...' : ''}): no role for them raises the IPS`,
    });
  }
  return out.sort((a, b2) => b2.gain - a.gain).map((x) => x.text);
}

export interface PlanOptions {
  readonly origin: string;
  readonly objective: PlanObjective;
}

/** The public plan document for a layout. */
export function toPlan(cost: CostModel, layout: Layout, farm: Farm, opts: PlanOptions): Plan {
  checkLayout(cost, layout, farm);
  const ev = cost.evaluate(layout, farm);
  const chain = cost.chain;
  const layers = chain.model.layers;
  const stages: PlanStage[] = layout.map((s, si) => ({
    id: `s${si}`,
    firstLayer: layers[s.from]!.name,
    lastLayer: layers[s.to - 1]!.name,
    input: chain.cutTensor[s.from]!,
    output: chain.cutTensor[s.to]!,
    parts: s.parts.map((p, pi) => ({
      id: `s${si}.p${pi}`,
      ...(s.parts.length > 1 && p.channels
        ? { channels: [p.channels[0], p.channels[1]] as [number, number] }
        : {}),
      devices: p.devices.map((d) => d.id),
    })),
  }));
  const uses = new Map(ev.devices.map((u) => [u.device, u]));
  const role = (l: BoardLoad): PlanRole => ({
    stage: `s${l.stage}`,
    part: `s${l.stage}.p${l.part}`,
    ips: l.ips,
    frameSeconds: l.cost.computeSec + l.cost.ioSec,
  });
  const devices = farm.devices.map((d): PlanDeviceRole => {
    const u = uses.get(d);
    const roles = u ? u.loads.map(role) : [];
    const first = roles[0];
    return {
      device: d.id,
      profile: d.profile.id,
      profileSource: profileSource(d.profile),
      link: {
        medium: d.medium.id,
        mbps: d.medium.mbps,
        latencyMs: d.medium.latencyMs,
        source: profileSource(d.medium),
      },
      stage: first?.stage ?? null,
      part: first?.part ?? null,
      memoryBytes: Math.round(u ? u.peakBytes : d.profile.memory.runtimeBytes),
      memoryBudgetBytes: Math.round(d.profile.memory.budgetBytes),
      utilisation: u ? u.utilisation : 0,
      ips: first?.ips ?? 0,
      frameSeconds: first?.frameSeconds ?? 0,
      ...(roles.length > 1 ? { roles } : {}),
    };
  });
  const bases = new Set(farm.devices.map((d) => d.profile.basis));
  return {
    version: 1,
    model: chain.model.name,
    origin: opts.origin,
    objective: opts.objective,
    stages,
    devices,
    prediction: {
      ips: ev.ips,
      latencyMs: ev.latencySec * 1000,
      computeBoundIps: ev.computeBoundIps,
      staticJ: ev.staticJ,
      dynamicJ: ev.dynamicJ,
      media: ev.media.map((m) => ({
        medium: m.medium.id,
        bytesPerFrame: m.bytesPerFrame,
        utilisation: ev.ips / m.capacityIps,
      })),
      bottleneck: explainBottleneck(cost, layout, ev),
      suggestions: suggest(cost, layout, ev),
      basis: bases.size > 1 ? 'mixed' : bases.has('measured') ? 'measured' : 'emulated',
    },
  };
}
