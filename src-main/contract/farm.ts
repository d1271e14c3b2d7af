// The lab's virtual farm as the Farm view shows it: its emulated boards and whether each agent
// answers a health ping.
import { z } from 'zod';
import { RunOwner } from './run';

/** What a board's agent reports of it for the farm table; null where the board cannot tell. */
export const BoardReadings = z.object({
  /** The agent's share of all cores, percent. */
  cpuPercent: z.number(),
  /** The agent's resident memory. */
  memoryBytes: z.number(),
  /** What the board's kernel could still give without swapping; null where not reported. */
  availableBytes: z.number().nullable().default(null),
  temperatureC: z.number().nullable(),
  /** Sum of the board's own power rails (TX2, Pi 5); null on boards without them. */
  powerW: z.number().nullable(),
  /** Each rail's watts (empty on boards without rails). */
  rails: z.array(z.object({ name: z.string().max(64), w: z.number() })).max(64),
  emulated: z.boolean(),
});
export type BoardReadings = z.infer<typeof BoardReadings>;

/** A saved meter that covers one board (a smart plug), read outside runs for the farm table. */
export const BoardMeterReading = z.object({
  /** The saved meter's name. */
  meter: z.string(),
  w: z.number().nullable(),
  /** Why there is no reading. */
  error: z.string().nullable(),
});
export type BoardMeterReading = z.infer<typeof BoardMeterReading>;

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
  /** A farm file may describe real boards too; the lab's own farm is always emulated. */
  emulated: z.boolean(),
  devices: z.array(VirtualDevice),
  /**
   * The program that started it (its agents outlive it: every program on the data folder runs on
   * the one farm); null when not up or started before starters were recorded.
   */
  startedBy: RunOwner.extend({ at: z.string() }).nullable().default(null),
});
export type VirtualFarm = z.infer<typeof VirtualFarm>;

/** Devices by profile and count, e.g. "pi3:6,pi4:2" (the planner checks the profiles). */
export const FarmSpec = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-z0-9-]+:\d+(,[a-z0-9-]+:\d+)*$/, 'is not a list of profile:count, e.g. pi3:6');
