// Measuring boards (`mchair profile`, the Farm view's Profile action): each layer family's probe
// (planner/probes.ts) runs on every board at once, the boards as replicas of its one part, so a
// farm of N boards takes one run per family, not N; the agents compute with onnxruntime (an
// emulated board then holds each frame for its built-in profile's time). Then each board alone
// moves a large tensor to and from the laptop (its link's speed), and to the next board (theirs),
// is pinged (its latency), and
// its agent's readings give its memory at rest and what its parts may use (MemAvailable) and,
// where its rails report, its idle and busy power. The result is each board's stored profile (planner/profileBook.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerClient, type TlsMaterial } from '../../remote-agent/src/protocol/index';
import { AppError } from '../contract/errors';
import type { BoardReadings } from '../contract/farm';
import { readFarmFile } from '../farm/farmfile';
import { readingsOf } from '../farm/readings';
import { startEmulatedFarm } from '../farm/virtual';
import { inspectModel } from '../model/index';
import type { OnnxModel } from '../model/onnx';
import { fitFamilies, type ProbeTiming } from '../planner/calibrate';
import { CostModel } from '../planner/cost';
import type { FarmBoard, Farm } from '../planner/farm';
import { analyseChain } from '../planner/layers';
import { toPlan } from '../planner/plan';
import { linkProbe, PROBE_FAMILIES, probeModel } from '../planner/probes';
import { memoryAtRest, STORED_PROFILE_VERSION, type StoredProfile } from '../planner/profileBook';
import { plannerModelOf } from '../planner/source';
import type { Logger } from '../log';
import { within } from '../shared/within';
import { openBoardFarm, type RunBoards } from './boardFarm';
import { runModel } from './run';

/** Where the boards are: an emulated farm started for the measurement, a running farm, or the lab's. */
export type ProfileTarget =
  | { kind: 'emulate'; farm: Farm }
  | { kind: 'farmFile'; farm: Farm; file: string }
  | { kind: 'boards'; farm: Farm; boards: RunBoards; qemu: ReadonlySet<string> };

export interface ProfileProgress {
  /** Steps done of `total` (a probe run, a board's link). */
  readonly done: number;
  readonly total: number;
  readonly step: string;
}

export interface ProfileRequest {
  readonly target: ProfileTarget;
  /** Frames each board computes per probe. */
  readonly frames: number;
  /** The lab's data folder (its farm CA); the measurement runs go to a scratch folder. */
  readonly labDir: string;
  readonly log: Logger;
  readonly say?: (line: string) => void;
  readonly onProgress?: (p: ProfileProgress) => void;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface BoardProfile {
  readonly device: string;
  readonly stored: StoredProfile;
}

/** How many pings a latency figure is the median of. */
const PINGS = 5;

interface Peers {
  agents: ReadonlyArray<{ id: string; host: string; port: number }>;
  tls: TlsMaterial;
  farmFile: string | null;
  stop(): Promise<void>;
}

async function openPeers(t: ProfileTarget, scratch: string, labDir: string): Promise<Peers> {
  if (t.kind === 'emulate') {
    // Started once for every probe, not once per run.
    const file = join(scratch, 'farm.json');
    const f = await startEmulatedFarm(t.farm, join(scratch, 'farm'), file, false);
    return { agents: f.agents, tls: f.coordinator.tls, farmFile: file, stop: f.stop };
  }
  if (t.kind === 'farmFile') {
    const open = await readFarmFile(t.file);
    return {
      agents: open.farm.devices,
      tls: open.coordinator.tls,
      farmFile: t.file,
      stop: async () => undefined,
    };
  }
  const b = await openBoardFarm(t.boards, labDir);
  return { agents: b.agents, tls: b.coordinator.tls, farmFile: null, stop: async () => undefined };
}

/** The agent's readings and its median ping round trip, over one connection. */
async function askAgent(
  peer: { id: string; host: string; port: number },
  tls: TlsMaterial,
): Promise<{ readings: BoardReadings | null; rttMs: number }> {
  const client = await within(
    PeerClient.connect(peer, { tls, timeoutMs: 3000 }),
    3000,
    `${peer.id}: its agent did not answer at ${peer.host}:${peer.port}`,
  );
  try {
    const rtts: number[] = [];
    for (let i = 0; i < PINGS; i++) {
      const t0 = performance.now();
      await within(client.ping(Date.now()), 3000, `${peer.id}: no answer to a ping`);
      rtts.push(performance.now() - t0);
    }
    rtts.sort((a, b) => a - b);
    return { readings: await readingsOf(client), rttMs: rtts[PINGS >> 1]! };
  } finally {
    client.close();
  }
}

type AtRest = Awaited<ReturnType<typeof askAgent>> & { id: string };

/** What every step of one profiling shares: the boards, their agents, and what is measured so far. */
interface Session {
  readonly req: ProfileRequest;
  readonly farm: Farm;
  readonly peers: Peers;
  /** The measurement runs' data folder, removed at the end. */
  readonly scratch: string;
  /** Each board's readings at rest and its median ping. */
  readonly rest: ReadonlyMap<string, AtRest>;
  /** The board's highest rail reading while the probes ran (none: it has no rails). */
  readonly busyW: Map<string, number>;
  /** The agents are emulated boards (the last run said so). */
  emulated: boolean;
  /** Steps done, of all the profiling's. */
  done: number;
  /** Says the step starting now, and how far the profiling is. */
  step(s: string): void;
  /** Throws CANCELLED once the request's signal has fired. */
  cancelled(): void;
}

/** Reads the rails of `devices` every second while a run goes on, keeping each board's highest. */
function sampleBusyPower(s: Session, devices: readonly FarmBoard[]): () => void {
  const sampling = setInterval(() => {
    for (const d of devices)
      void askAgent(
        s.peers.agents.find((a) => a.id === d.id)!,
        s.peers.tls,
      )
        .then((r) => {
          const w = r.readings?.powerW;
          if (w != null) s.busyW.set(d.id, Math.max(s.busyW.get(d.id) ?? 0, w));
        })
        .catch(() => undefined);
  }, 1000);
  return () => clearInterval(sampling);
}

/** Runs `model` whole on `devices` (replicas), or cut after its first layer onto `next`. */
async function runOn(
  s: Session,
  model: OnnxModel,
  devices: readonly FarmBoard[],
  frames: number,
  next?: FarmBoard,
) {
  const { req, farm } = s;
  const target = req.target;
  const pm = plannerModelOf(model.name, inspectModel(model));
  const cost = new CostModel(analyseChain(pm));
  const n = cost.layerCount;
  const layout = next
    ? [
        { from: 0, to: 1, parts: [{ share: 1, devices }] },
        { from: 1, to: n, parts: [{ share: 1, devices: [next] }] },
      ]
    : [{ from: 0, to: n, parts: [{ share: 1, devices }] }];
  const plan = toPlan(cost, layout, farm, { origin: 'profile', objective: 'latency' });
  const stopSampling = sampleBusyPower(s, devices);
  try {
    const r = await runModel({
      model,
      plan,
      farm:
        target.kind === 'boards'
          ? { kind: 'boards', boards: target.boards }
          : { kind: 'file', file: s.peers.farmFile! },
      frames,
      check: false,
      // One frame in flight per board: a frame's latency is then its own, not a queue's.
      window: 1,
      dataDir: s.scratch,
      labDir: req.labDir,
      log: req.log,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    s.emulated = r.emulated;
    return { pm, report: r };
  } finally {
    stopSampling();
  }
}

/** Each layer family's probe on every board at once: each board's compute time per family. */
async function probeTimings(s: Session): Promise<Map<string, ProbeTiming[]>> {
  const { farm, req } = s;
  const n = farm.devices.length;
  const timings = new Map<string, ProbeTiming[]>(farm.devices.map((d) => [d.id, []]));
  for (const family of PROBE_FAMILIES) {
    s.cancelled();
    s.step(`probe ${family} on ${n} ${n === 1 ? 'board' : 'boards'}`);
    const { pm, report } = await runOn(s, probeModel(family), farm.devices, req.frames * n);
    // A cancelled run stops feeding frames: what it measured is not a board's figure.
    s.cancelled();
    for (const d of farm.devices) {
      const own = report.devices.find((x) => x.id === d.id);
      if (!own || own.computeMs <= 0)
        throw new AppError(
          'PROFILE_FAILED',
          `${d.id} computed no frame of the ${family} probe; is its agent running?`,
        );
      timings.get(d.id)!.push({ family, model: pm, seconds: own.computeMs / 1000 });
    }
    s.done++;
  }
  return timings;
}

/**
 * Each board's link to the laptop: a large tensor there and back, one frame at a time. The
 * median frame's time, less the board's compute and a ping's round trip, is the tensor's
 * two crossings.
 */
async function laptopLinks(s: Session, link: OnnxModel): Promise<Map<string, number>> {
  const wireMs = new Map<string, number>();
  for (const d of s.farm.devices) {
    s.cancelled();
    s.step(`link of ${d.id} to this computer`);
    const { report } = await runOn(s, link, [d], Math.max(4, s.req.frames));
    s.cancelled();
    const own = report.devices.find((x) => x.id === d.id);
    wireMs.set(d.id, report.latencyMs.p50 - (own?.computeMs ?? 0) - s.rest.get(d.id)!.rttMs);
    s.done++;
  }
  return wireMs;
}

const mbpsOf = (bits: number, ms: number | undefined) =>
  ms !== undefined && ms > 0 ? bits / (ms * 1000) : null;

/**
 * Each board's link to the next: the tensor crosses from one to the other between the two
 * layers; what the frame took beyond the two boards' laptop crossings (one each way) and
 * their compute is that hop.
 */
async function peerLinks(
  s: Session,
  link: OnnxModel,
  linkBits: number,
  wireMs: ReadonlyMap<string, number>,
): Promise<Map<string, Record<string, number>>> {
  const devices = s.farm.devices;
  const toPeers = new Map<string, Record<string, number>>(devices.map((d) => [d.id, {}]));
  for (let i = 0; i + 1 < devices.length; i++) {
    const [a, b] = [devices[i]!, devices[i + 1]!];
    s.cancelled();
    s.step(`link from ${a.id} to ${b.id}`);
    const { report } = await runOn(s, link, [a], Math.max(4, s.req.frames), b);
    s.cancelled();
    const computeMs = report.devices.reduce((t, x) => t + x.computeMs, 0);
    const edgeMs = (id: string) => (wireMs.get(id)! + s.rest.get(id)!.rttMs) / 2;
    const mbps = mbpsOf(linkBits, report.latencyMs.p50 - computeMs - edgeMs(a.id) - edgeMs(b.id));
    if (mbps !== null) toPeers.get(a.id)![b.id] = mbps;
    s.done++;
  }
  return toPeers;
}

/** One board's stored profile from what was measured of it. */
function boardProfile(
  s: Session,
  d: FarmBoard,
  m: {
    timings: ReadonlyMap<string, ProbeTiming[]>;
    linkBits: number;
    wireMs: ReadonlyMap<string, number>;
    toPeers: ReadonlyMap<string, Record<string, number>>;
    measuredAt: string;
  },
): BoardProfile {
  const { target } = s.req;
  const { emulated } = s;
  const { measuredAt } = m;
  const inQemu = target.kind === 'boards' && target.qemu.has(d.id);
  // Under qemu-user the timings are the laptop's, slowed by translation: never a board's.
  const basis = emulated || inQemu ? 'emulated' : 'measured';
  const fit = fitFamilies(d, m.timings.get(d.id)!, { withMessages: emulated });
  const r = s.rest.get(d.id)!;
  const idleWatts = r.readings?.powerW ?? null;
  const busyWatts = s.busyW.get(d.id) ?? null;
  const base = d.profile;
  return {
    device: d.id,
    stored: {
      version: STORED_PROFILE_VERSION,
      base: base.id,
      measuredAt,
      profile: {
        ...base,
        name: inQemu ? `${base.name} under qemu (not its speed)` : base.name,
        basis,
        calibration: `measured ${measuredAt.slice(0, 10)} through its agent, ${fit.fits.length} layer families fitted to ${base.id}${emulated ? ' (emulated board: its built-in speeds come back)' : ''}${inQemu ? ' under qemu-user CPU emulation on an x86 machine: not the speed of a real board' : ''}`,
        ops: fit.ops,
        // An emulated board's readings are this machine's, so it keeps its profile's memory.
        memory: basis === 'measured' && r.readings ? memoryAtRest(base, r.readings) : base.memory,
        power:
          idleWatts !== null && busyWatts !== null && busyWatts >= idleWatts
            ? { idleWatts, fullWatts: busyWatts }
            : base.power,
      },
      probes: fit.fits.map((f) => ({ family: f.family, seconds: f.seconds, scale: f.scale })),
      link: { latencyMs: r.rttMs / 2, mbps: mbpsOf(2 * m.linkBits, m.wireMs.get(d.id)) },
      peers: m.toPeers.get(d.id)!,
      power: { idleWatts, busyWatts },
    },
  };
}

export async function profileBoards(req: ProfileRequest): Promise<BoardProfile[]> {
  const { target } = req;
  const farm = target.farm;
  const n = farm.devices.length;
  const scratch = mkdtempSync(join(tmpdir(), 'mchair-profile-'));
  const peers = await openPeers(target, scratch, req.labDir);
  try {
    const at = (await Promise.all(peers.agents.map((a) => askAgent(a, peers.tls)))).map((x, i) => ({
      ...x,
      id: peers.agents[i]!.id,
    }));
    // A run per family, one per board's link to the laptop, one per neighbouring pair.
    const total = PROBE_FAMILIES.length + 2 * n - 1;
    const s: Session = {
      req,
      farm,
      peers,
      scratch,
      rest: new Map(at.map((a) => [a.id, a])),
      busyW: new Map(),
      emulated: false,
      done: 0,
      step(line) {
        req.say?.(line);
        req.onProgress?.({ done: this.done, total, step: line });
      },
      cancelled() {
        if (req.signal?.aborted) throw new AppError('CANCELLED', 'profiling was cancelled');
      },
    };
    const timings = await probeTimings(s);
    const link = linkProbe();
    const linkBits = plannerModelOf(link.name, inspectModel(link)).inputBytes * 8;
    const wireMs = await laptopLinks(s, link);
    const toPeers = await peerLinks(s, link, linkBits, wireMs);
    const measuredAt = (req.now?.() ?? new Date()).toISOString();
    return farm.devices.map((d) =>
      boardProfile(s, d, { timings, linkBits, wireMs, toPeers, measuredAt }),
    );
  } finally {
    await peers.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
