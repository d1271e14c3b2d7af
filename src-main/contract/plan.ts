// The plan: how a CNN is spread over a farm's devices, with the planner's prediction. A public
// interface (see DESIGN.md, "Plans and partitions"): `mchair plan` writes it, `mchair partition
// --plan` cuts the model by it and `mchair run --plan` deploys it. Keep it stable; bump
// `version` for any change an older reader would misread.
//
// A plan is an ordered list of stages; a stage is a contiguous run of layers [firstLayer,
// lastLayer]; it has one or more parts (more than one = the stage's first layer is split along
// output channels, each part computing `channels` [start, end) and the consumer concatenating
// the parts' outputs along axis 1 in part order); each part has one or more devices (more than
// one = data-parallel replicas, each frame goes to one of them). A device may hold several
// roles (parts of different stages, or of one split stage); its roles share its CPU and memory.
// Plans where it does are refused by readers older than that (their check said "has two
// roles"), so they cannot misread one, and the version stays 1.
import { z } from 'zod';

const Name = z.string().min(1).max(256);
const DeviceId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a device id');

export const PlanObjective = z.enum(['ips', 'latency', 'energy']);
export type PlanObjective = z.infer<typeof PlanObjective>;

export const PlanPart = z.object({
  id: z.string().regex(/^s\d+\.p\d+$/),
  /** Output channels of the stage's first layer this part computes, [start, end); whole stage when absent. */
  channels: z.tuple([z.number().int().min(0), z.number().int().min(1)]).optional(),
  /** Replicas: each frame is computed by one of them. */
  devices: z.array(DeviceId).min(1),
});
export type PlanPart = z.infer<typeof PlanPart>;

export const PlanStage = z.object({
  id: z.string().regex(/^s\d+$/),
  firstLayer: Name,
  lastLayer: Name,
  /** Tensor the stage reads (the model input for the first stage). */
  input: Name,
  /** Tensor the stage produces (the concatenation of its parts' outputs when split). */
  output: Name,
  parts: z.array(PlanPart).min(1),
});
export type PlanStage = z.infer<typeof PlanStage>;

/** One (stage, part) a device runs, with its predicted load. */
export const PlanRole = z.object({
  stage: z.string(),
  part: z.string(),
  /** Predicted frames per second this device handles in this role. */
  ips: z.number().min(0),
  /** Predicted seconds of work per frame it handles in this role. */
  frameSeconds: z.number().min(0),
});
export type PlanRole = z.infer<typeof PlanRole>;

export const PlanDeviceRole = z.object({
  device: DeviceId,
  /** Board profile id (pi3, pi4, tx2-cpu, ...). */
  profile: z.string(),
  /** Where its profile's figures come from: "built in", "measured 2026-12-06", ... */
  profileSource: z.string().max(200).default('built in'),
  /** The link the plan costs its messages on, and where its figures come from (older plans lack it). */
  link: z
    .object({
      medium: z.string().max(40),
      mbps: z.number().positive(),
      latencyMs: z.number().min(0),
      source: z.string().max(200),
    })
    .optional(),
  /** Null when the plan leaves the device idle; its first role when it has several. */
  stage: z.string().nullable(),
  part: z.string().nullable(),
  /** Peak memory of all its roles: runtime, weights (held twice while a session loads) and activations. */
  memoryBytes: z.number().int().min(0),
  memoryBudgetBytes: z.number().int().min(0),
  /** Predicted share of wall time the device computes or moves messages, 0..1, all roles. */
  utilisation: z.number().min(0),
  /** Predicted frames per second this device handles (in its first role). */
  ips: z.number().min(0),
  /** Predicted seconds of work per frame it handles (in its first role). */
  frameSeconds: z.number().min(0),
  /** Every role, when the device has more than one (read them with rolesOf). */
  roles: z.array(PlanRole).min(2).optional(),
});
export type PlanDeviceRole = z.infer<typeof PlanDeviceRole>;

/** Every (stage, part) a plan's device runs: none when idle, one or more otherwise. */
export function rolesOf(d: PlanDeviceRole): PlanRole[] {
  if (d.roles) return d.roles;
  return d.stage !== null && d.part !== null
    ? [{ stage: d.stage, part: d.part, ips: d.ips, frameSeconds: d.frameSeconds }]
    : [];
}

export const Bottleneck = z.object({
  kind: z.enum(['device', 'stage', 'medium', 'port']),
  /** Stage id, device id or medium id. */
  where: z.string(),
  /** The capacity of the bottleneck in frames per second (the plan's IPS). */
  ips: z.number(),
  why: z.string(),
});
export type Bottleneck = z.infer<typeof Bottleneck>;

export const PlanPrediction = z.object({
  ips: z.number().min(0),
  latencyMs: z.number().min(0),
  /** What the farm could do if nothing but compute counted: the sum of every device's whole-model rate. */
  computeBoundIps: z.number().min(0),
  /** Energy per inference (J): idle power of the used devices over the frame period, and dynamic. */
  staticJ: z.number().min(0),
  dynamicJ: z.number().min(0),
  media: z.array(
    z.object({
      medium: z.string(),
      bytesPerFrame: z.number().min(0),
      utilisation: z.number().min(0),
    }),
  ),
  bottleneck: Bottleneck,
  /** What would raise the IPS, most effective first. */
  suggestions: z.array(z.string()),
  /** Everything on the virtual farm is emulated; measured profiles say "measured". */
  basis: z.enum(['emulated', 'measured', 'mixed']),
});
export type PlanPrediction = z.infer<typeof PlanPrediction>;

export const Plan = z
  .object({
    version: z.literal(1),
    model: Name,
    /** Where the plan came from: "auto" for the planner's search, or a preset id (paper-6, ...). */
    origin: z.string(),
    objective: PlanObjective,
    stages: z.array(PlanStage).min(1),
    devices: z.array(PlanDeviceRole).min(1),
    prediction: PlanPrediction,
  })
  .superRefine((p, ctx) => {
    p.stages.forEach((s, si) => {
      if (s.id !== `s${si}`)
        ctx.addIssue({ code: 'custom', path: ['stages', si, 'id'], message: `must be "s${si}"` });
      s.parts.forEach((part, pi) => {
        if (s.parts.length > 1 && !part.channels) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', si, 'parts', pi, 'channels'],
            message: 'a split stage needs channels on every part',
          });
        }
        // Parts concatenate in order, so their channel ranges follow one another from 0.
        const start = pi === 0 ? 0 : s.parts[pi - 1]!.channels?.[1];
        if (part.channels && (part.channels[0] !== start || part.channels[1] <= part.channels[0])) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', si, 'parts', pi, 'channels'],
            message: `must start at channel ${start ?? 0} and be non-empty`,
          });
        }
        // A device may hold several parts, but is one replica of a part at most.
        if (new Set(part.devices).size !== part.devices.length)
          ctx.addIssue({
            code: 'custom',
            path: ['stages', si, 'parts', pi, 'devices'],
            message: 'names a device twice',
          });
      });
    });
  });
export type Plan = z.infer<typeof Plan>;

/** Where a plan's figures come from, board by board: "measured 2026-12-06 (pi3-1), built in (pi3-2)". */
export function profileSources(plan: Pick<Plan, 'devices'>): string {
  const by = new Map<string, string[]>();
  for (const d of plan.devices)
    by.set(d.profileSource, [...(by.get(d.profileSource) ?? []), d.device]);
  return [...by].map(([source, devices]) => `${source} (${devices.join(', ')})`).join('; ');
}

/** A device's link as the plan, the Plan view and the Run view show it. */
export function linkText(l: NonNullable<PlanDeviceRole['link']>): string {
  return `${l.medium} ${Number(l.mbps.toPrecision(3))} Mbit/s, ${Number(l.latencyMs.toPrecision(2))} ms, ${l.source}`;
}

/**
 * The links a plan's figures were costed on, board by board: "wifi-2.4 37.5 Mbit/s, 2.1 ms,
 * measured 2026-12-06 (...) (pi3-1, pi3-2); ethernet-100 94 Mbit/s, 0.3 ms, built in (pi4-1)".
 */
export function linkSources(plan: Pick<Plan, 'devices'>): string {
  const by = new Map<string, string[]>();
  for (const d of plan.devices) {
    if (!d.link) continue;
    const key = linkText(d.link);
    by.set(key, [...(by.get(key) ?? []), d.device]);
  }
  return [...by].map(([link, devices]) => `${link} (${devices.join(', ')})`).join('; ');
}
