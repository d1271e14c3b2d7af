// What a run's parts share: a farm's agent as the coordinator reaches it, a plan as it is
// deployed (the manifest and the boards of each part), the moments of a run, and its outcome.
import type { Peer } from '../../remote-agent/src/protocol/schema';
import type { Manifest } from '../contract/index';
import type { MeasuredWindow } from './stats';

/**
 * Moments of a run a fault can be injected at (`--chaos kill:DEV@deploy`): while the coordinator
 * connects to the boards, while they load the plan's parts, at the first result, while a re-plan's
 * redeployment loads, and once every frame is sent and the run drains.
 */
export const RUN_PHASES = ['connect', 'deploy', 'first-result', 'replan', 'drain'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export interface FarmAgent extends Peer {
  /** Device profile when emulated (virtual farm); null for a real board. */
  profile: string | null;
}

export interface RunPlan {
  manifest: Manifest;
  /** Agent ids per stage per part (more than one = data-parallel replicas). */
  assignment: string[][][];
  /** Emulated ms per frame, keyed "agentId/part" (virtual farm only). */
  holdMs?: Record<string, number>;
  /** The planner's expected compute ms per frame, keyed "agentId/part" (see Deployment). */
  expectMs?: Record<string, number>;
}

/** Frames one round of the plan's widest stage completes: its replicas finish theirs together. */
export function roundFrames(assignment: readonly (readonly (readonly string[])[])[]): number {
  return Math.max(1, ...assignment.flatMap((stage) => stage.map((part) => part.length)));
}

export interface RunOutcome {
  sent: number;
  completed: number;
  lost: number;
  duplicated: number;
  ips: number | null;
  /** The window IPS and energy per inference are measured over; null with `shortfall` saying why. */
  window: MeasuredWindow | null;
  shortfall: string | null;
  /** When the first frame went out (performance.now() ms): the origin of the run's seconds. */
  startedAtMs: number;
  latencyMs: { p50: number; p95: number; p99: number };
  devices: DeviceSummary[];
  wallMs: number;
  stopped: boolean;
  /** Agents of the plan that disconnected during the run (the run stopped feeding frames). */
  agentsLeft: string[];
  /** Frames an emulated device computed slower than its profile (see PartTelemetry.overruns). */
  emulationOverruns: number;
}

export interface DeviceSummary {
  id: string;
  profile: string | null;
  utilisation: number;
  computeMs: number;
  bytesIn: number;
  bytesOut: number;
  emulated: boolean;
}
