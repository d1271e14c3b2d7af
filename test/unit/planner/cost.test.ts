// The cost model against cases computed by hand (the arithmetic is in the comments).
import { describe, expect, it } from 'vitest';
import { CostModel } from '../../../src-main/planner/cost';
import type { FarmBoard, Farm } from '../../../src-main/planner/farm';
import { analyseChain, type PlannerModel } from '../../../src-main/planner/layers';
import type { BoardProfile, Medium } from '../../../src-main/planner/profile';

const profile: BoardProfile = {
  id: 'hand',
  name: 'hand-made',
  calibration: 'round numbers',
  basis: 'emulated',
  ops: {
    conv: { macsPerSec: 1e9, bytesPerSec: 1e8 },
    gemm: { macsPerSec: 1e12, bytesPerSec: 1e8, spillBytes: 1e6, spillBytesPerSec: 1e7 },
    pool: { macsPerSec: 1e9, bytesPerSec: 1e9 },
    elementwise: { macsPerSec: 1e9, bytesPerSec: 1e9 },
  },
  layerSec: 0.001,
  memory: { physicalBytes: 2e8, budgetBytes: 1e8, runtimeBytes: 1e6, loadPeakFactor: 2 },
  io: { messageSec: 0.002, bytesPerSec: 1e7 },
  power: { idleWatts: 1, fullWatts: 3 },
  medium: 'air',
};
const air: Medium = { id: 'air', kind: 'shared', mbps: 8, latencyMs: 0 }; // 1e6 B/s
const model: PlannerModel = {
  name: 'two-layer',
  inputName: 'in',
  inputBytes: 1e4,
  layers: [
    {
      name: 'conv',
      op: 'Conv',
      inputs: ['in', 'w0'],
      outputs: ['c'],
      outputShape: [1, 10, 50, 50],
      macs: 1e7,
      params: 2500,
      paramBytes: 1e4,
      activationBytes: 1e5,
    },
    {
      name: 'fc',
      op: 'Gemm',
      inputs: ['c', 'w1'],
      outputs: ['out'],
      outputShape: [1, 250],
      macs: 1e6,
      params: 5e5,
      paramBytes: 2e6,
      activationBytes: 1e3,
    },
  ],
};
const dev = (id: string): FarmBoard => ({ id, profile, medium: air });
const [A, B, C] = [dev('A'), dev('B'), dev('C')];
const farm: Farm = { devices: [A, B, C], coordinator: air };
const cost = new CostModel(analyseChain(model));

describe('cost model', () => {
  it('costs a conv layer from MACs, weights, activations and its im2col buffer', () => {
    // 0.001 + 1e7/1e9 + (in 1e4 + out 1e5 + weights 1e4 + im2col 4*1e7/10) / 1e8 = 0.0522
    expect(cost.layerSeconds(profile, 0)).toBeCloseTo(0.0522, 9);
  });

  it('streams a big weight matrix at the spill rate beyond the spill point', () => {
    // bytes 1e5 + 1e3 + 2e6 = 2.101e6: 1e6/1e8 + 1.101e6/1e7 + 1e6/1e12 + 0.001 = 0.121101
    expect(cost.layerSeconds(profile, 1)).toBeCloseTo(0.121101, 9);
    // half the channels: 1e5 + 500 + 1e6 = 1.1005e6: 0.01 + 0.01005 + 5e-7 + 0.001
    expect(cost.layerSeconds(profile, 1, 0.5)).toBeCloseTo(0.0210505, 9);
  });

  it('counts memory as runtime, weights, live activations and the load peak', () => {
    const c = cost.partCost(A, 0, 1);
    expect(c.steadyBytes).toBe(1e6 + 1e4 + 1e4 + 1e5);
    expect(c.peakBytes).toBe(1e6 + 1e4 + 1e4 + 1e5 + 1e4);
  });

  it('takes the IPS from the slowest of stages and media, the latency along the path', () => {
    const ev = cost.evaluate(
      [
        { from: 0, to: 1, parts: [{ share: 1, devices: [A] }] },
        { from: 1, to: 2, parts: [{ share: 1, devices: [B] }] },
      ],
      farm,
    );
    // A: 0.0522 + 2 messages 0.004 + (1e4 + 1e5)/1e7 = 0.0672 s; B: 0.121101 + 0.004 + 1.01e5/1e7
    expect(ev.stageIps[0]).toBeCloseTo(1 / 0.0672, 6);
    expect(ev.stageIps[1]).toBeCloseTo(1 / 0.135201, 6);
    // Air: frame 1e4 + activation 1e5 + result 1e3 per frame at 1e6 B/s.
    expect(ev.media[0]!.bytesPerFrame).toBeCloseTo(1.11e5, 6);
    expect(ev.ips).toBeCloseTo(1 / 0.135201, 6);
    expect(ev.bottleneck).toMatchObject({ kind: 'stage', index: 1 });
    // Hops 0.01 + 0.1 + 0.001 plus both stages' work.
    expect(ev.latencySec).toBeCloseTo(0.111 + 0.0672 + 0.135201, 6);
    expect(ev.loads[0]!.utilisation).toBeCloseTo(0.0672 / 0.135201, 6);
    expect(ev.idle).toEqual([C]);
    expect(ev.staticJ).toBeCloseTo(2 * 0.135201, 6);
    expect(ev.dynamicJ).toBeCloseTo(2 * (0.0672 + 0.135201), 6);
  });

  it('sends a split stage its whole input once per part, so the shared air can become the bottleneck', () => {
    const ev = cost.evaluate(
      [
        { from: 0, to: 1, parts: [{ share: 1, devices: [A] }] },
        {
          from: 1,
          to: 2,
          parts: [
            { share: 0.5, channels: [0, 125], devices: [B] },
            { share: 0.5, channels: [125, 250], devices: [C] },
          ],
        },
      ],
      farm,
    );
    // A now sends two copies: (1 + 2) * 0.002 + (1e4 + 2e5)/1e7 = 0.027 on top of 0.0522.
    expect(ev.stageIps[0]).toBeCloseTo(1 / 0.0792, 6);
    expect(ev.stageIps[1]).toBeCloseTo(1 / (0.0210505 + 0.004 + 1.005e5 / 1e7), 6);
    expect(ev.media[0]!.bytesPerFrame).toBeCloseTo(2.11e5, 6);
    expect(ev.ips).toBeCloseTo(1e6 / 2.11e5, 6);
    expect(ev.bottleneck.kind).toBe('medium');
  });

  it('counts a hop on the shared air once when either end is on it, by the share of frames', () => {
    const wire: Medium = { id: 'wire', kind: 'switched', mbps: 800, latencyMs: 0 };
    const W: FarmBoard = { ...C, id: 'W', medium: wire };
    const mixed: Farm = { devices: [A, B, W], coordinator: wire };
    // A (air) sends to replicas B (air) and W (wire) with equal speed: every activation crosses
    // the air, since A is on it; the frame from the wired coordinator crosses it only to A; the
    // results only from B's half.
    const ev = cost.evaluate(
      [
        { from: 0, to: 1, parts: [{ share: 1, devices: [A] }] },
        { from: 1, to: 2, parts: [{ share: 1, devices: [B, W] }] },
      ],
      mixed,
    );
    expect(ev.media).toHaveLength(1);
    expect(ev.media[0]!.bytesPerFrame).toBeCloseTo(1e4 + 1e5 + 0.5 * 1e3, 6);
    // The wired replica's port: max(in 1e5, out 1e3) bytes at 1e8 B/s; its CPU is slower still.
    expect(ev.loads.find((l) => l.device === W)!.cost.portSec).toBeCloseTo(1e-3, 9);
  });

  it('adds up the times of a device holding two stages: its capacity, utilisation and idle power once', () => {
    const ev = cost.evaluate(
      [
        { from: 0, to: 1, parts: [{ share: 1, devices: [A] }] },
        { from: 1, to: 2, parts: [{ share: 1, devices: [A] }] },
      ],
      farm,
    );
    // Each stage alone: 1/0.0672 and 1/0.135201 (as above); A runs both, 0.202401 s a frame.
    expect(ev.stageIps[0]).toBeCloseTo(1 / 0.0672, 6);
    expect(ev.stageIps[1]).toBeCloseTo(1 / 0.135201, 6);
    expect(ev.bottleneck).toMatchObject({ kind: 'device', index: 0 });
    expect(ev.ips).toBeCloseTo(1 / 0.202401, 6);
    expect(ev.devices).toHaveLength(1);
    expect(ev.devices[0]!.loads.map((l) => l.stage)).toEqual([0, 1]);
    expect(ev.devices[0]!.utilisation).toBeCloseTo(1, 9);
    expect(ev.idle).toEqual([B, C]);
    // Idle 1 W once (not once per role) over 0.202401 s; dynamic 2 W for the whole frame.
    expect(ev.staticJ).toBeCloseTo(0.202401, 6);
    expect(ev.dynamicJ).toBeCloseTo(2 * 0.202401, 6);
    // Memory: runtime 1e6 once; conv weights 1e4 + arena 1e4 + 1e5; fc weights 2e6 + arena
    // 1e5 + 1e3; one part loads at a time, so the larger load peak (fc's 2e6) on top.
    expect(ev.devices[0]!.peakBytes).toBe(1e6 + 1.2e5 + 2.101e6 + 2e6);
    expect(ev.fits).toBe(true);
    // The conv output goes from A to A over loopback: only the frame and the result use the air.
    expect(ev.media[0]!.bytesPerFrame).toBeCloseTo(1e4 + 1e3, 6);
  });

  it('weighs a shared device by its share of each part: a replica beside a whole stage', () => {
    const ev = cost.evaluate(
      [
        { from: 0, to: 1, parts: [{ share: 1, devices: [A, B] }] },
        { from: 1, to: 2, parts: [{ share: 1, devices: [A] }] },
      ],
      farm,
    );
    // A and B split the conv frames evenly: A spends 0.5 * 0.0672 + 0.135201 = 0.168801 s a
    // frame; the stages run 29.8 and 7.40. The air carries the frame, the result and B's half of
    // the conv outputs (A's half stays on A): 1e4 + 0.5 * 1e5 + 1e3 = 6.1e4 B a frame.
    expect(ev.bottleneck).toMatchObject({ kind: 'device', index: 0 });
    expect(ev.ips).toBeCloseTo(1 / 0.168801, 6);
    expect(ev.devices.map((u) => u.device)).toEqual([A, B]);
    expect(ev.devices[0]!.utilisation).toBeCloseTo(1, 9);
    expect(ev.devices[1]!.utilisation).toBeCloseTo(0.0336 / 0.168801, 9);
    expect(ev.staticJ).toBeCloseTo(2 * 0.168801, 6);
    expect(ev.media[0]!.bytesPerFrame).toBeCloseTo(6.1e4, 6);
  });

  it('holds a shared device to its budget with both parts loaded, though each fits alone', () => {
    const tight: FarmBoard = {
      ...A,
      profile: { ...profile, memory: { ...profile.memory, budgetBytes: 5.15e6 } },
    };
    const alone = (from: number, to: number) =>
      cost.evaluate([{ from, to, parts: [{ share: 1, devices: [tight] }] }], {
        devices: [tight],
        coordinator: air,
      });
    const both = cost.evaluate(
      [
        { from: 0, to: 1, parts: [{ share: 1, devices: [tight] }] },
        { from: 1, to: 2, parts: [{ share: 1, devices: [tight] }] },
      ],
      { devices: [tight], coordinator: air },
    );
    // fc alone peaks at 3.101e6 + 2e6 = 5.101e6; with conv beside it, 5.221e6 > 5.15e6.
    expect(cost.partCost(tight, 1, 2).peakBytes).toBe(5.101e6);
    expect(alone(0, 1).fits).toBe(true);
    expect(alone(1, 2).fits).toBe(true);
    expect(both.devices[0]!.peakBytes).toBe(5.221e6);
    expect(both.devices[0]!.fits).toBe(false);
    expect(both.fits).toBe(false);
  });

  it('refuses nothing but marks a device over its memory budget', () => {
    const small: FarmBoard = {
      ...B,
      profile: { ...profile, memory: { ...profile.memory, budgetBytes: 4e6 } },
    };
    const ev = cost.evaluate([{ from: 0, to: 2, parts: [{ share: 1, devices: [small] }] }], {
      devices: [small],
      coordinator: air,
    });
    // Weights 2.01e6 held twice while loading plus runtime 1e6 and activations: over 4e6.
    expect(ev.loads[0]!.cost.peakBytes).toBeGreaterThan(4e6);
    expect(ev.devices[0]!.peakBytes).toBe(ev.loads[0]!.cost.peakBytes);
    expect(ev.fits).toBe(false);
  });
});
