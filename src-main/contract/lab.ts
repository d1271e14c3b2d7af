// What the Farm and Models views exchange with the core: the inventory's devices as the UI shows
// and edits them, hosts found on the LAN, and the zoo's CNNs with their per-layer costs. The
// inventory (src-main/inventory) owns the rules for a device's fields; a form here only carries
// what the user typed, and the core's InputError names the field to fix.
import { z } from 'zod';
import { ModelCard } from './modelCard';
import { BoardState } from './boards';
import { Plan } from './plan';
import { BoardRecord } from './boardRecord';

export const DeviceRow = z.object({
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  /** How it logs in: "agent", "password", "key /path/id_ed25519", ... */
  auth: z.string(),
  /** The jump host, as user@host:port, when there is one. */
  via: z.string().nullable(),
  agentPort: z.number().int(),
  /** The planner profile (pi3, pi4, tx2, ...); null until a probe picks one. */
  profile: z.string().nullable(),
  /** What the board last said about itself (remembered across restarts); null: never read. */
  state: BoardState.nullable(),
  /** The inventory's whole entry (no secret is ever in one), when asked for (`full`). */
  record: BoardRecord.optional(),
});
export type DeviceRow = z.infer<typeof DeviceRow>;

const Field = z.string().trim().max(255);

// The Add dialog shows it as the agent port a new board starts with.
export { DEFAULT_AGENT_PORT } from './boardRecord';

/** The Add device form. */
export const DeviceForm = z
  .object({
    name: Field.min(1, 'is required'),
    host: Field.min(1, 'is required'),
    port: z.number().int().min(1).max(65_535).default(22),
    user: Field.min(1, 'is required'),
    auth: z.enum(['agent', 'key', 'password', 'keyboard-interactive']).default('agent'),
    /** With auth "key": the private key file on this computer. */
    keyFile: Field.optional(),
    /** The TCP port its agent listens on; DEFAULT_AGENT_PORT when absent. */
    agentPort: z.number().int().min(1).max(65_535).optional(),
    profile: Field.optional(),
    /** With auth "agent": its socket, when not $SSH_AUTH_SOCK (`mchair devices add --agent-socket`). */
    agentSocket: Field.min(1).optional(),
    /** Reach the board through this SSH jump host, as user@host:port (`--jump`). */
    jump: Field.min(1).optional(),
    /** The jump host's private key file (`--jump-key`; the ssh-agent otherwise); needs `jump`. */
    jumpKey: Field.min(1).optional(),
    /** Where the agent lives on the board, relative to the home folder (`--remote-dir`). */
    remoteDir: Field.min(1).optional(),
  })
  .strict();
export type DeviceForm = z.infer<typeof DeviceForm>;

export const FoundHost = z.object({ host: z.string(), port: z.number().int(), banner: z.string() });
export type FoundHost = z.infer<typeof FoundHost>;

export const ZooEntry = z.object({
  name: z.string(),
  description: z.string(),
  /** Its card (null for a model imported before models had cards). */
  card: ModelCard.nullable(),
});
export type ZooEntry = z.infer<typeof ZooEntry>;

/** A board that announced itself over mDNS (avahi): its .local name, addresses and SSH port. */
export const AnnouncedHost = z.object({
  host: z.string(),
  addresses: z.array(z.string()),
  port: z.number().int(),
  instances: z.array(z.string()),
});
export type AnnouncedHost = z.infer<typeof AnnouncedHost>;

export const Tensor = z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.number()) });

export const LayerRow = z.object({
  name: z.string(),
  op: z.string(),
  /** The tensors it reads and writes, when models/inspect was asked for them (`tensors`). */
  inputs: z.array(z.string()).optional(),
  outputs: z.array(z.string()).optional(),
  outputShape: z.array(z.number()),
  macs: z.number(),
  params: z.number(),
  paramBytes: z.number(),
  activationBytes: z.number(),
  /** A grouped convolution's group count (absent when 1). */
  group: z.number().int().optional(),
  /** A convolution's kernel area (9 for 3x3). */
  kernel: z.number().int().optional(),
});
export type LayerRow = z.infer<typeof LayerRow>;

export const ModelCosts = z.object({
  name: z.string(),
  input: Tensor,
  output: Tensor,
  layers: z.array(LayerRow),
  totals: z.object({ macs: z.number(), params: z.number(), paramBytes: z.number() }),
});
export type ModelCosts = z.infer<typeof ModelCosts>;

/** Where the Plan view's devices come from: a virtual farm described by counts, or the inventory. */
export const PlanFarm = z.discriminatedUnion('kind', [
  // Long enough for a farm spelt board by board (pi3:1,pi4:1,... for a hundred boards).
  z.object({ kind: z.literal('virtual'), spec: z.string().min(1).max(4096) }).strict(),
  z.object({ kind: z.literal('inventory') }).strict(),
]);
export type PlanFarm = z.infer<typeof PlanFarm>;

/**
 * The farms a plan can be searched for from the command line: the app's, or a farm file (the
 * CLI's --farm FILE: a planner farm file, or the farm file of `mchair farm up`), read by the core.
 */
export const PlanFarmOrFile = z.discriminatedUnion('kind', [
  ...PlanFarm.options,
  z.object({ kind: z.literal('file'), path: z.string().min(1).max(4096) }).strict(),
]);
export type PlanFarmOrFile = z.infer<typeof PlanFarmOrFile>;

export const PresetOutcome = z.object({
  id: z.string(),
  plan: Plan.nullable(),
  /** Why the preset cannot be drawn on this farm (too few devices, no fc layers to split). */
  unavailable: z.string().nullable(),
});
export type PresetOutcome = z.infer<typeof PresetOutcome>;

/** How an alternative differs from the best plan and why it ranks lower (planner/compare.ts). */
export const PlanComparison = z.object({
  differences: z.array(z.string()),
  why: z.string(),
});
export type PlanComparison = z.infer<typeof PlanComparison>;

/** Where a plan search is, after each solve of its programme (a few times a second at most). */
export const PlanProgress = z.object({
  method: z.enum(['exact', 'heuristic']),
  /** Solves done, and about how many it needs in all (grows while the search narrows). */
  step: z.number().int(),
  steps: z.number().int(),
  /** States of the search's programme visited so far. */
  states: z.number().int(),
  /** The best IPS a plan reached so far, and the most any plan can reach. */
  bestIps: z.number(),
  boundIps: z.number(),
});
export type PlanProgress = z.infer<typeof PlanProgress>;

export const PlanChoices = z.object({
  /** The planner's plans, best first. */
  plans: z.array(Plan),
  /** For each plan after the first: how it differs from the first and why it ranks lower. */
  comparisons: z.array(PlanComparison),
  /** The paper's hand-made distributions on the same farm, for comparison. */
  presets: z.array(PresetOutcome),
  /** How the first plan was found: a search, or the paper's preset the request named. */
  method: z.enum(['exact', 'heuristic', 'preset']),
  millis: z.number(),
  /** CPU the core's process spent finding them (its threads' too): on a shared machine wall time says more about the neighbours. */
  cpuMillis: z.number(),
  /** Which boards' measured profiles were used or set aside, and why. */
  notes: z.array(z.string()),
  /** Bytes per frame of each tensor a stage reads or writes (the model input included). */
  tensorBytes: z.record(z.string(), z.number()),
});
export type PlanChoices = z.infer<typeof PlanChoices>;
