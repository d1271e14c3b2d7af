// The Farm view's Profile action: measuring boards (each layer family's probe, the link, memory,
// power) and where each board's profile comes from, as the Farm, Plan and Run views show it.
import { z } from 'zod';

/** Which boards: the lab's virtual farm (`farm up`) or the inventory's provisioned boards. */
export const ProfileFarm = z.enum(['virtual', 'inventory']);
export type ProfileFarm = z.infer<typeof ProfileFarm>;

export const ProfileProgress = z.object({
  farm: ProfileFarm,
  devices: z.array(z.string()),
  /** Steps done (one probe run on every board, or one board's link) of `total`. */
  done: z.number().int().min(0),
  total: z.number().int().min(1),
  step: z.string(),
});
export type ProfileProgress = z.infer<typeof ProfileProgress>;

/** A board's profile as the planner will use it. */
export const BoardProfileSource = z.object({
  device: z.string(),
  /** "built in", "measured 2026-12-06", "measured 2026-12-06 (emulated board)", ... */
  source: z.string(),
  /** Why a stored profile is not used as it is (stale, another kind, unreadable). */
  note: z.string().nullable(),
});
export type BoardProfileSource = z.infer<typeof BoardProfileSource>;
