// The memory budget provisioning writes into a board's agent config: what its profile lets the
// agent's parts use, capped by the memory the probe found on the board itself (a Pi 3's kernel
// keeps ~80 MB of its 1 GiB; a board may have less than its profile assumes). The agent refuses
// at deploy a part that would not fit in it.
import type { BoardProfile } from '../planner/profile';

/** Of a board without a calibrated profile, the agent may use this share of its memory. */
export const UNPROFILED_SHARE = 0.75;

/** Null when neither is known: the agent then takes what its kernel reports available. */
export function boardMemoryBudget(
  profile: BoardProfile | null,
  memTotalBytes: number | null,
): number | null {
  if (profile === null)
    return memTotalBytes === null ? null : Math.floor(memTotalBytes * UNPROFILED_SHARE);
  const { budgetBytes, physicalBytes } = profile.memory;
  if (memTotalBytes === null) return budgetBytes;
  // The profile's share for the agent applies to the memory the board really has.
  return Math.min(budgetBytes, Math.floor((memTotalBytes * budgetBytes) / physicalBytes));
}
