// What a run reports when it has ended (`mchair run`'s document, the run's report.json): its
// figures over the measured window, the plan's prediction, latency, frame accounting, per-board
// load, faults and energy. Every figure from an emulated farm says so.
import { z } from 'zod';
import { RunEnergy } from './energy';
import { RunFault, RunWindow } from './run';

/** A measured figure: NaN when nothing was measured (it prints as n/a, and as null in JSON). */
export const Figure = z.union([z.number(), z.nan()]);

/** One board's load over a run. */
export const DeviceFigures = z.object({
  id: z.string(),
  profile: z.string().nullable(),
  utilisation: Figure,
  computeMs: Figure,
  bytesIn: z.number(),
  bytesOut: z.number(),
  emulated: z.boolean(),
});

export const Latency = z.object({ p50: Figure, p95: Figure, p99: Figure });

export const RunReport = z.object({
  runId: z.string(),
  state: z.string(),
  /** Over the measured window (after warm-up and the pipeline's fill); null when too short. */
  ips: Figure.nullable(),
  window: RunWindow.nullable(),
  /** Why there is no window, in words. */
  shortfall: z.string().nullable(),
  predictedIps: Figure.nullable(),
  latencyMs: Latency,
  frames: z.object({
    sent: z.number().int(),
    completed: z.number().int(),
    lost: z.number().int(),
    duplicated: z.number().int(),
    mismatched: z.number().int(),
  }),
  devices: z.array(DeviceFigures),
  maxAbsDiff: Figure.nullable(),
  emulated: z.boolean(),
  /** Devices that dropped out during the run (it then stopped feeding frames). */
  agentsLeft: z.array(z.string()),
  /**
   * Frames this machine computed slower than the emulated board would have: the emulated IPS
   * and latency are then pessimistic (a busy or slow laptop), never optimistic.
   */
  emulationOverruns: z.number().int(),
  /** Board failures during the run and what it did about them (see runtime/faults.ts). */
  faults: z.array(RunFault),
  /** Energy per inference from the run's meters (emulated ones on an emulated farm). */
  energy: RunEnergy.nullable(),
});
export type RunReport = z.infer<typeof RunReport>;

/** The walking skeleton's figures (`mchair demo --skeleton`'s document). */
export const DemoSkeleton = z.object({
  runId: z.string(),
  state: z.string(),
  frames: z.object({
    sent: z.number().int(),
    completed: z.number().int(),
    lost: z.number().int(),
    duplicated: z.number().int(),
  }),
  fps: Figure.nullable(),
  /** Against the uncut model: must stay under 1e-5. */
  maxAbsDiff: Figure,
  latencyMs: Latency,
  devices: z.array(DeviceFigures),
});
export type DemoSkeleton = z.infer<typeof DemoSkeleton>;
