// The lab's virtual farm as the Farm view shows it: its emulated boards and whether each agent
// answers a health ping.
import { z } from 'zod';

/** What a board's agent reports of it for the farm table; null where the board cannot tell. */
export const BoardReadings = z.object({
  /** The agent's share of all cores, percent. */
  cpuPercent: z.number(),
  /** The agent's resident memory. */
  memoryBytes: z.number(),
  temperatureC: z.number().nullable(),
  /** Sum of the board's own power rails (TX2, Pi 5); null on boards without them. */
  powerW: z.number().nullable(),
  emulated: z.boolean(),
});
export type BoardReadings = z.infer<typeof BoardReadings>;

export const VirtualDevice = z.object({
  id: z.string(),
  profile: z.string(),
  host: z.string(),
  port: z.number().int(),
  pid: z.number().int().nullable(),
  alive: z.boolean(),
  backend: z.string().nullable(),
  runId: z.string().nullable(),
  uptimeMs: z.number().nullable(),
  readings: BoardReadings.nullable(),
});
export type VirtualDevice = z.infer<typeof VirtualDevice>;

export const VirtualFarm = z.object({
  /** False when no virtual farm was started (devices is then empty). */
  up: z.boolean(),
  farmFile: z.string(),
  devices: z.array(VirtualDevice),
});
export type VirtualFarm = z.infer<typeof VirtualFarm>;

/** Devices by profile and count, e.g. "pi3:6,pi4:2" (the planner checks the profiles). */
export const FarmSpec = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-z0-9-]+:\d+(,[a-z0-9-]+:\d+)*$/, 'is not a list of profile:count, e.g. pi3:6');
