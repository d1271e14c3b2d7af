// What a run's parts share: the moments of a run and its outcome (a plan as it is deployed is
// deployment.ts's; a board as the coordinator reaches it, shared/board.ts's).
import type { MeasuredWindow } from './stats';

/**
 * Moments of a run a fault can be injected at (`--chaos kill:DEV@deploy`): while the coordinator
 * connects to the boards, while they load the plan's parts, at the first result, while a re-plan's
 * redeployment loads, and once every frame is sent and the run drains.
 */
export const RUN_PHASES = ['connect', 'deploy', 'first-result', 'replan', 'drain'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

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
  devices: BoardSummary[];
  wallMs: number;
  stopped: boolean;
  /** Agents of the plan that disconnected during the run (the run stopped feeding frames). */
  agentsLeft: string[];
  /** Frames an emulated device computed slower than its profile (see PartTelemetry.overruns). */
  emulationOverruns: number;
}

export interface BoardSummary {
  id: string;
  profile: string | null;
  utilisation: number;
  computeMs: number;
  bytesIn: number;
  bytesOut: number;
  emulated: boolean;
}
