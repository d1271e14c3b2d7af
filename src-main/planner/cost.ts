// The cost model: what a layer costs on a device, what a part of a stage costs the device that
// runs it (compute, messages, memory), and what a whole layout delivers (IPS, latency, per
// device load, media load, energy, the bottleneck). The search and the presets are judged by
// the same numbers, and `mchair run` shows them as the prediction. A device may hold several
// roles (parts): they share its one CPU, its port and its memory.
import type { Chain } from './layers';
import { opClass } from './layers';
import type { FarmBoard, Farm } from './farm';
import { type BoardProfile, type Medium, layerSpeed, mapOpSpeeds, type OpSpeed } from './profile';

export interface PartLayout {
  /** Fraction of the stage's output channels this part computes (1 when the stage is whole). */
  readonly share: number;
  /** [start, end) output channels of the stage's first layer, for split stages. */
  readonly channels?: readonly [number, number];
  /** Replicas: each frame goes to one, in proportion to its speed. */
  readonly devices: readonly FarmBoard[];
}

export interface StageLayout {
  /** Layers [from, to) of the chain. */
  readonly from: number;
  readonly to: number;
  readonly parts: readonly PartLayout[];
}

export type Layout = readonly StageLayout[];

/** What running one part costs one device per frame it handles. */
export interface PartCost {
  readonly computeSec: number;
  /** CPU time spent receiving and sending the part's messages. */
  readonly ioSec: number;
  /** Time the device's own switched port needs for the frame's bytes (0 on a shared medium). */
  readonly portSec: number;
  /** Seconds between frames the device can sustain: compute and I/O, or its port if slower. */
  readonly periodSec: number;
  readonly weightBytes: number;
  readonly steadyBytes: number;
  /** Peak while the session loads: the model bytes and the initialised weights both held. */
  readonly peakBytes: number;
}

export interface BoardLoad {
  readonly device: FarmBoard;
  readonly stage: number;
  readonly part: number;
  readonly cost: PartCost;
  /** Frames per second this device handles at the plan's IPS. */
  readonly ips: number;
  /** This role's share of the device's wall time. */
  readonly utilisation: number;
}

/** A device with a role, all its roles together. */
export interface BoardUse {
  readonly device: FarmBoard;
  /** Its roles, in stage and part order. */
  readonly loads: readonly BoardLoad[];
  /** The most plan frames per second it can serve: its roles' times per plan frame add up. */
  readonly capacityIps: number;
  /** Runtime once, every role's weights and activations, and the largest load peak. */
  readonly peakBytes: number;
  /** Share of wall time it computes or moves messages, its roles' shares summed. */
  readonly utilisation: number;
  readonly fits: boolean;
}

export interface MediumLoad {
  readonly medium: Medium;
  readonly bytesPerFrame: number;
  /** Frames per second the medium can carry. */
  readonly capacityIps: number;
}

/** `device`: one board's roles together (their parts are fast enough, the board is not). */
export type BottleneckKind = 'stage' | 'medium' | 'port' | 'device';

export interface Evaluation {
  readonly ips: number;
  readonly latencySec: number;
  readonly stageIps: readonly number[];
  /** For each stage, its slowest part. */
  readonly stageBottleneckPart: readonly number[];
  readonly loads: readonly BoardLoad[];
  /** Devices with a role; a `device` bottleneck's index points here. */
  readonly devices: readonly BoardUse[];
  readonly idle: readonly FarmBoard[];
  readonly media: readonly MediumLoad[];
  readonly coordinatorPortIps: number;
  readonly bottleneck: { kind: BottleneckKind; index: number; ips: number };
  readonly staticJ: number;
  readonly dynamicJ: number;
  readonly computeBoundIps: number;
  /** Every device within its memory budget. */
  readonly fits: boolean;
}

export const bytesPerSecOf = (m: Medium): number => (m.mbps * 1e6) / 8;

/** A part's cost before its messages: what the search caches per (device kind, stage, share). */
export interface PartBase {
  readonly computeSec: number;
  readonly inBytes: number;
  /** Output bytes sent to each consumer. */
  readonly outBytes: number;
  readonly weightBytes: number;
  readonly steadyBytes: number;
  readonly peakBytes: number;
}

/** Adds the messages: one in from each producer part, one copy out to each consumer part. */
export function withLinks(
  d: FarmBoard,
  b: PartBase,
  producers: number,
  consumers: number,
): PartCost {
  const io = d.profile.io;
  const out = b.outBytes * consumers;
  const ioSec = (producers + consumers) * io.messageSec + (b.inBytes + out) / io.bytesPerSec;
  const portSec =
    d.medium.kind === 'switched' ? Math.max(b.inBytes, out) / bytesPerSecOf(d.medium) : 0;
  return {
    computeSec: b.computeSec,
    ioSec,
    portSec,
    periodSec: Math.max(b.computeSec + ioSec, portSec),
    weightBytes: b.weightBytes,
    steadyBytes: b.steadyBytes,
    peakBytes: b.peakBytes,
  };
}

/**
 * Peak memory of a device holding these parts: one runtime (one agent process), every part's
 * weights and activations, and the load peak of one part at a time (the agent loads its parts
 * one after another, so at most one holds its model bytes twice; the largest bounds it).
 */
export function devicePeakBytes(p: BoardProfile, parts: readonly PartCost[]): number {
  const runtime = p.memory.runtimeBytes;
  let held = runtime;
  let loading = 0;
  for (const c of parts) {
    held += c.steadyBytes - runtime;
    loading = Math.max(loading, c.peakBytes - c.steadyBytes);
  }
  return held + loading;
}

/** Time to move `bytes` at a class's speed, the part beyond the spill point at the slow rate. */
function byteSeconds(speed: OpSpeed, bytes: number): number {
  const spill = speed.spillBytes;
  if (spill === undefined || speed.spillBytesPerSec === undefined || bytes <= spill)
    return bytes / speed.bytesPerSec;
  return spill / speed.bytesPerSec + (bytes - spill) / speed.spillBytesPerSec;
}

export class CostModel {
  private readonly prefix = new Map<BoardProfile, Float64Array>();
  private readonly noSpill = new Map<BoardProfile, BoardProfile>();

  constructor(readonly chain: Chain) {}

  get layerCount(): number {
    return this.chain.model.layers.length;
  }

  /**
   * One layer on one device. Conv also pays for its im2col buffer (out pixels x kernel x input
   * channels, i.e. 4 x MACs / output channels bytes): that is why early, wide convs are slower
   * per MAC than deep ones on a Pi. A split part computes `share` of the output channels from the
   * whole input.
   */
  layerSeconds(p: BoardProfile, i: number, share = 1): number {
    const l = this.chain.model.layers[i]!;
    const cls = opClass(l);
    if (cls === 'free') return 0;
    const speed = layerSpeed(p, cls, l);
    let bytes = this.chain.inputBytes[i]! + (l.activationBytes + l.paramBytes) * share;
    const cout = l.outputShape[1] ?? 1;
    if (cls === 'conv') bytes += (4 * l.macs) / Math.max(1, cout);
    return p.layerSec + (l.macs * share) / speed.macsPerSec + byteSeconds(speed, bytes);
  }

  /** Compute seconds of layers [from, to); whole stages come from prefix sums. */
  computeSeconds(p: BoardProfile, from: number, to: number, share = 1): number {
    if (share === 1) {
      const pre = this.prefixOf(p);
      return pre[to]! - pre[from]!;
    }
    let s = 0;
    for (let i = from; i < to; i++) s += this.layerSeconds(p, i, share);
    return s;
  }

  private prefixOf(p: BoardProfile): Float64Array {
    let pre = this.prefix.get(p);
    if (!pre) {
      const n = this.layerCount;
      pre = new Float64Array(n + 1);
      for (let i = 0; i < n; i++) pre[i + 1] = pre[i]! + this.layerSeconds(p, i);
      this.prefix.set(p, pre);
    }
    return pre;
  }

  /**
   * What device `d` pays per frame to run layers [from, to) at `share` of the channels. It
   * receives one message from each of the `producers` parts of the stage before (the
   * coordinator counts as one) and sends its output to each of the `consumers` parts after.
   */
  partCost(
    d: FarmBoard,
    from: number,
    to: number,
    share = 1,
    producers = 1,
    consumers = 1,
  ): PartCost {
    return withLinks(d, this.partBase(d, from, to, share), producers, consumers);
  }

  /** The part's compute, bytes and memory, before its messages are counted. */
  partBase(d: FarmBoard, from: number, to: number, share = 1): PartBase {
    const p = d.profile;
    const layers = this.chain.model.layers;
    let weightBytes = 0;
    let arena = 0;
    for (let i = from; i < to; i++) {
      const l = layers[i]!;
      weightBytes += l.paramBytes * share;
      // onnxruntime reuses buffers: the largest layer's input and output are live at once.
      arena = Math.max(arena, this.chain.inputBytes[i]! + l.activationBytes * share);
    }
    const steadyBytes = p.memory.runtimeBytes + weightBytes + arena;
    return {
      computeSec: this.computeSeconds(p, from, to, share),
      inBytes: this.chain.cutBytes[from]!,
      outBytes: this.chain.cutBytes[to]! * share,
      weightBytes,
      steadyBytes,
      peakBytes: steadyBytes + weightBytes * (p.memory.loadPeakFactor - 1),
    };
  }

  /**
   * Frames per second the farm could compute if nothing but compute counted: every device
   * running the whole model, its weights streaming at full speed (as if memory never ran short).
   */
  computeBoundIps(devices: readonly FarmBoard[]): number {
    return devices.reduce(
      (s, d) => s + 1 / this.computeSeconds(this.unspilled(d.profile), 0, this.layerCount),
      0,
    );
  }

  /** The profile with every class at its fast rate (no spill): bounds never undercount with it. */
  unspilled(p: BoardProfile): BoardProfile {
    let u = this.noSpill.get(p);
    if (!u) {
      const fast = (o: OpSpeed): OpSpeed => ({
        macsPerSec: o.macsPerSec,
        bytesPerSec: o.bytesPerSec,
      });
      u = {
        ...p,
        ops: mapOpSpeeds(p.ops, fast),
      };
      this.noSpill.set(p, u);
    }
    return u;
  }

  evaluate(layout: Layout, farm: Farm): Evaluation {
    const cutBytes = this.chain.cutBytes;
    const partsAt = (si: number) => layout[si]?.parts.length ?? 1;
    const partCosts = layout.map((s, si) =>
      s.parts.map((p) =>
        p.devices.map((d) =>
          this.partCost(d, s.from, s.to, p.share, partsAt(si - 1), partsAt(si + 1)),
        ),
      ),
    );
    // Within a part, replicas share frames in proportion to their speed.
    const weights = partCosts.map((st) =>
      st.map((pc) => {
        const rates = pc.map((c) => 1 / c.periodSec);
        const sum = rates.reduce((a, b) => a + b, 0);
        return rates.map((r) => r / sum);
      }),
    );
    const partIps = partCosts.map((st) =>
      st.map((pc) => pc.reduce((a, c) => a + 1 / c.periodSec, 0)),
    );
    const stageIps = partIps.map((st) => Math.min(...st));
    const stageBottleneckPart = partIps.map((st) => st.indexOf(Math.min(...st)));

    const airBytes = airBytesOf(layout, farm, weights, cutBytes, this.layerCount);
    const media = [...airBytes].map(([medium, bytesPerFrame]) => ({
      medium,
      bytesPerFrame,
      capacityIps: bytesPerFrame > 0 ? bytesPerSecOf(medium) / bytesPerFrame : Infinity,
    }));
    const coordinatorPortIps =
      farm.coordinator.kind === 'switched'
        ? bytesPerSecOf(farm.coordinator) /
          Math.max(cutBytes[0]! * layout[0]!.parts.length, cutBytes[this.layerCount]!)
        : Infinity;

    let bottleneck: Evaluation['bottleneck'] = { kind: 'stage', index: 0, ips: Infinity };
    stageIps.forEach((ips, i) => {
      if (ips < bottleneck.ips) bottleneck = { kind: 'stage', index: i, ips };
    });
    media.forEach((m, i) => {
      if (m.capacityIps < bottleneck.ips)
        bottleneck = { kind: 'medium', index: i, ips: m.capacityIps };
    });
    if (coordinatorPortIps < bottleneck.ips)
      bottleneck = { kind: 'port', index: 0, ips: coordinatorPortIps };
    // A device with several roles: each part is fast enough on its own, the board for all of
    // them may not be. (A one-role device's capacity is its part's share, already counted.)
    const roles = rolesOf(layout);
    const roleLists = [...roles.values()];
    const capacities = roleLists.map((rs) => {
      let cpu = 0;
      let port = 0;
      for (const { si, pi, k } of rs) {
        const c = partCosts[si]![pi]![k]!;
        const w = weights[si]![pi]![k]!;
        cpu += w * (c.computeSec + c.ioSec);
        port += w * c.portSec;
      }
      return 1 / Math.max(cpu, port);
    });
    roleLists.forEach((rs, i) => {
      if (rs.length > 1 && capacities[i]! < bottleneck.ips)
        bottleneck = { kind: 'device', index: i, ips: capacities[i]! };
    });
    const ips = bottleneck.ips;

    const loadOf = layout.map((s, si) =>
      s.parts.map((p, pi) =>
        p.devices.map((device, k): BoardLoad => {
          const cost = partCosts[si]![pi]![k]!;
          const dIps = ips * weights[si]![pi]![k]!;
          return {
            device,
            stage: si,
            part: pi,
            cost,
            ips: dIps,
            utilisation: dIps * (cost.computeSec + cost.ioSec),
          };
        }),
      ),
    );
    const loads = loadOf.flat(2);
    const devices: BoardUse[] = [...roles].map(([device, rs], i) => {
      const own = rs.map(({ si, pi, k }) => loadOf[si]![pi]![k]!);
      const peakBytes = devicePeakBytes(
        device.profile,
        own.map((l) => l.cost),
      );
      return {
        device,
        loads: own,
        capacityIps: capacities[i]!,
        peakBytes,
        utilisation: own.reduce((a, l) => a + l.utilisation, 0),
        fits: peakBytes <= device.profile.memory.budgetBytes,
      };
    });
    const idle = farm.devices.filter((d) => !roles.has(d));

    const latencySec = latencyOf(layout, farm, partCosts, cutBytes, this.layerCount);

    const perFrame = (f: (l: BoardLoad) => number) =>
      ips > 0 ? loads.reduce((a, l) => a + f(l), 0) / ips : Infinity;
    return {
      ips,
      latencySec,
      stageIps,
      stageBottleneckPart,
      loads,
      devices,
      idle,
      media,
      coordinatorPortIps,
      bottleneck,
      // Idle power once per device, however many roles it holds.
      staticJ:
        ips > 0
          ? devices.reduce((a, u) => a + u.device.profile.power.idleWatts, 0) / ips
          : Infinity,
      dynamicJ: perFrame(
        (l) =>
          (l.device.profile.power.fullWatts - l.device.profile.power.idleWatts) * l.utilisation,
      ),
      computeBoundIps: this.computeBoundIps(farm.devices),
      fits: devices.every((u) => u.fits),
    };
  }
}

/** Each replica's share of its part's frames: `weights[stage][part][replica]`. */
type Weights = ReadonlyArray<ReadonlyArray<ReadonlyArray<number>>>;

/**
 * Bytes a frame puts on each shared medium. Each hop's bytes use the air once if either end is on
 * the medium, unless both ends are roles of one board: the agent hands those to itself over
 * loopback. Frames go to the receiving replicas whatever replica sent them, so a hop's sender and
 * receiver are the same board with the product of its two shares.
 */
function airBytesOf(
  layout: Layout,
  farm: Farm,
  weights: Weights,
  cutBytes: readonly number[],
  layerCount: number,
): Map<Medium, number> {
  const airBytes = new Map<Medium, number>();
  const coordinatorSide = [{ device: null, medium: farm.coordinator, weight: 1 }];
  const sideOf = (si: number, pi: number) =>
    layout[si]!.parts[pi]!.devices.map((d, k) => ({
      device: d.id,
      medium: d.medium,
      weight: weights[si]![pi]![k]!,
    }));
  type Side = ReadonlyArray<{ device: string | null; medium: Medium; weight: number }>;
  const addHop = (bytes: number, from: Side, to: Side) => {
    const media = new Set([...from, ...to].map((x) => x.medium).filter((m) => m.kind === 'shared'));
    for (const m of media) {
      const pS = from.filter((x) => x.medium === m).reduce((a, x) => a + x.weight, 0);
      const pR = to.filter((x) => x.medium === m).reduce((a, x) => a + x.weight, 0);
      let local = 0;
      for (const x of from)
        for (const y of to)
          if (x.device !== null && x.device === y.device && x.medium === m)
            local += x.weight * y.weight;
      airBytes.set(m, (airBytes.get(m) ?? 0) + bytes * (1 - (1 - pS) * (1 - pR) - local));
    }
  };
  layout.forEach((s, si) => {
    s.parts.forEach((_, pi) => {
      const bytes = cutBytes[s.from]!;
      if (si === 0) addHop(bytes, coordinatorSide, sideOf(si, pi));
      else
        layout[si - 1]!.parts.forEach((q, qi) =>
          addHop(bytes * q.share, sideOf(si - 1, qi), sideOf(si, pi)),
        );
    });
  });
  const last = layout.length - 1;
  layout[last]!.parts.forEach((q, qi) =>
    addHop(cutBytes[layerCount]! * q.share, sideOf(last, qi), coordinatorSide),
  );
  return airBytes;
}

/** Latency of one frame on an idle farm: hops plus the slowest replica of each stage. */
function latencyOf(
  layout: Layout,
  farm: Farm,
  partCosts: ReadonlyArray<ReadonlyArray<ReadonlyArray<PartCost>>>,
  cutBytes: readonly number[],
  layerCount: number,
): number {
  // A hop crosses each medium once, at its slowest member's pace: boards on one switch with
  // measured ports of their own each carry their own figures (planner/profileBook.ts).
  const hopSec = (bytes: number, a: readonly Medium[], b: readonly Medium[]) => {
    const slowest = new Map<string, number>();
    for (const m of [...a, ...b]) {
      const t = bytes / bytesPerSecOf(m) + m.latencyMs / 1000;
      slowest.set(m.id, Math.max(t, slowest.get(m.id) ?? 0));
    }
    return [...slowest.values()].reduce((t, x) => t + x, 0);
  };
  const mediaOf = (si: number) => layout[si]!.parts.flatMap((p) => p.devices.map((d) => d.medium));
  const last = layout.length - 1;
  let latencySec = 0;
  layout.forEach((s, si) => {
    latencySec += hopSec(
      cutBytes[s.from]!,
      si === 0 ? [farm.coordinator] : mediaOf(si - 1),
      mediaOf(si),
    );
    latencySec += Math.max(...partCosts[si]!.flat().map((c) => c.computeSec + c.ioSec));
  });
  latencySec += hopSec(cutBytes[layerCount]!, mediaOf(last), [farm.coordinator]);
  return latencySec;
}

/**
 * Every board's roles (stage, part, replica index): a board with several shares its CPU and port
 * among them.
 */
function rolesOf(layout: Layout): Map<FarmBoard, Array<{ si: number; pi: number; k: number }>> {
  const roles = new Map<FarmBoard, Array<{ si: number; pi: number; k: number }>>();
  layout.forEach((s, si) =>
    s.parts.forEach((p, pi) =>
      p.devices.forEach((d, k) => {
        const list = roles.get(d);
        if (list) list.push({ si, pi, k });
        else roles.set(d, [{ si, pi, k }]);
      }),
    ),
  );
  return roles;
}
