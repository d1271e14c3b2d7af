// One board's join as a run records it (alexnet-mc on two emulated Pi 3s, a Pi 4 added at 8.8 s:
// the figures test/integration/faults/join.test.ts measured), for the tests of what says it.
import type { RunFault } from '../../src-main/contract/run';

export const JOINED: RunFault = {
  kind: 'joined',
  device: 'pi4-1',
  cause: null,
  phase: 'run',
  at: 8.79,
  detectedAt: 8.86,
  detectionMs: 67,
  slowdown: null,
  replanMs: 14,
  redeployMs: 1744,
  resent: 4,
  plan: { origin: 'auto', predictedIps: 7.93, devices: ['pi3-1', 'pi3-2', 'pi4-1'] },
  why: 'pi4-1 joined: a better plan exists; new plan at 7.93 IPS (bottleneck s0)',
  gain: 1.178,
  recoveryS: null,
};
