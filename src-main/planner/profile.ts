// Board profiles: how fast a board computes each operator class, how much memory a plan may use
// on it, what it draws, and which network medium it sits on. The built-in ones live in
// resources/profiles/ (calibrated against the published Pi 3 and TX2 figures); measured ones
// from `mchair profile` have the same shape.
import { z } from 'zod';
import { InputError } from '../contract/errors';
import pi3 from '../../resources/profiles/pi3.json';
import pi4 from '../../resources/profiles/pi4.json';
import pi5 from '../../resources/profiles/pi5.json';
import tx2Cpu from '../../resources/profiles/tx2-cpu.json';
import tx2Gpu from '../../resources/profiles/tx2-gpu.json';
import x86Laptop from '../../resources/profiles/x86-laptop.json';
import media from '../../resources/profiles/media.json';

const Positive = z.number().positive();

/**
 * A layer's time = macs / macsPerSec + bytes / bytesPerSec, where bytes are its weights and the
 * activations it reads and writes. Bytes one layer touches beyond `spillBytes` move at
 * `spillBytesPerSec`: on a 1 GB board a weight matrix that large cannot stay resident next to
 * the OS and runtime and is partly paged in again every frame.
 */
export const OpSpeed = z.object({
  macsPerSec: Positive,
  bytesPerSec: Positive,
  spillBytes: Positive.optional(),
  spillBytesPerSec: Positive.optional(),
});
export type OpSpeed = z.infer<typeof OpSpeed>;

/**
 * Dense convolutions by size, as `mchair profile` measures them: kernel 1x1, up to 3x3, or larger;
 * narrow (up to 64 output channels) or wide; and grouped (not depthwise). A board's speed per MAC
 * differs between them (a 1x1 conv is a plain matrix product, a wide 3x3 one reuses each value
 * it reads many more times); a class a profile has no figure for takes its `conv` speed.
 */
export const CONV_SIZES = [
  'k1-narrow',
  'k1-wide',
  'k3-narrow',
  'k3-wide',
  'k5-narrow',
  'k5-wide',
  'grouped',
] as const;
export const ConvSize = z.enum(CONV_SIZES);
export type ConvSize = z.infer<typeof ConvSize>;

/** The size class of a dense or grouped convolution layer. */
export function convSizeOf(l: {
  kernel?: number;
  group?: number;
  outputShape: readonly number[];
}): ConvSize {
  if (l.group !== undefined && l.group > 1) return 'grouped';
  const k = l.kernel ?? 9;
  const width = (l.outputShape[1] ?? 1) > 64 ? 'wide' : 'narrow';
  return `${k <= 1 ? 'k1' : k <= 9 ? 'k3' : 'k5'}-${width}`;
}

export const BoardProfile = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/),
  name: z.string(),
  /** Where the figures come from, shown next to every prediction made with them. */
  calibration: z.string(),
  basis: z.enum(['emulated', 'measured']),
  /**
   * Where a stored profile's figures come from, shown next to each one ("measured 2026-12-06");
   * a built-in profile has none (see profileSource).
   */
  source: z.string().max(200).optional(),
  ops: z.object({
    conv: OpSpeed,
    /** Depthwise convolution; a profile measured before it had a class of its own lacks it. */
    dwconv: OpSpeed.optional(),
    gemm: OpSpeed,
    pool: OpSpeed,
    elementwise: OpSpeed,
    /** Measured dense convolution speeds by size (see CONV_SIZES); `conv` stands for the rest. */
    convSizes: z.partialRecord(ConvSize, OpSpeed).optional(),
  }),
  /** Fixed cost of dispatching one layer (runtime overhead per operator). */
  layerSec: z.number().min(0),
  memory: z.object({
    physicalBytes: Positive,
    /** What the agent's partitions may use: physical memory less the OS. */
    budgetBytes: Positive,
    /** Node, onnxruntime and the agent before any model is loaded. */
    runtimeBytes: z.number().min(0),
    /** While a session loads, the model file and the initialised tensors are both held. */
    loadPeakFactor: z.number().min(1),
  }),
  /** CPU cost of messages: decode/encode and TLS (Pi 3 has no AES instructions). */
  io: z.object({ messageSec: z.number().min(0), bytesPerSec: Positive }),
  power: z.object({ idleWatts: z.number().min(0), fullWatts: z.number().min(0) }),
  /** The medium the board sits on unless a farm file says otherwise. */
  medium: z.string(),
});
export type BoardProfile = z.infer<typeof BoardProfile>;

export type OpSpeeds = BoardProfile['ops'];
type SpeedClass = Exclude<keyof OpSpeeds, 'convSizes'>;

/** A class's speed; depthwise falls back to dense conv's where the profile has no figure. */
export function opSpeed(p: BoardProfile, cls: SpeedClass): OpSpeed {
  return p.ops[cls] ?? p.ops.conv;
}

/** A layer's speed: a dense convolution's by its size class where the profile measured it. */
export function layerSpeed(
  p: BoardProfile,
  cls: SpeedClass,
  l: Parameters<typeof convSizeOf>[0],
): OpSpeed {
  return (cls === 'conv' ? p.ops.convSizes?.[convSizeOf(l)] : undefined) ?? opSpeed(p, cls);
}

/** The profile's speeds with `f` applied to each class it has (`f` sees the class too). */
export function mapOpSpeeds(ops: OpSpeeds, f: (o: OpSpeed, cls: SpeedClass) => OpSpeed): OpSpeeds {
  return {
    conv: f(ops.conv, 'conv'),
    ...(ops.dwconv ? { dwconv: f(ops.dwconv, 'dwconv') } : {}),
    gemm: f(ops.gemm, 'gemm'),
    pool: f(ops.pool, 'pool'),
    elementwise: f(ops.elementwise, 'elementwise'),
    ...(ops.convSizes
      ? {
          convSizes: Object.fromEntries(
            Object.entries(ops.convSizes).map(([k, o]) => [k, f(o, 'conv')]),
          ),
        }
      : {}),
  };
}

/**
 * A network medium. `shared`: every byte any device on it sends or receives uses the same air
 * time (a Wi-Fi cell). `switched`: each device's port carries its own traffic (Ethernet switch).
 */
export const Medium = z.object({
  id: z.string().regex(/^[a-z0-9.-]{1,40}$/),
  kind: z.enum(['shared', 'switched']),
  mbps: Positive,
  latencyMs: z.number().min(0),
  /** Where its figures come from when measured ("measured 2026-12-06 ..."); built in when absent. */
  source: z.string().max(200).optional(),
});
export type Medium = z.infer<typeof Medium>;

function parseBuiltIn<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const r = schema.safeParse(value);
  // A malformed built-in is a build defect, caught by the unit tests before it ships.
  if (!r.success) throw new Error(`resources/profiles/${file}: ${r.error.issues[0]?.message}`);
  return r.data;
}

export const BUILTIN_PROFILES: ReadonlyMap<string, BoardProfile> = new Map(
  [pi3, pi4, pi5, tx2Cpu, tx2Gpu, x86Laptop].map((p) => {
    const profile = parseBuiltIn(BoardProfile, p, `${p.id}.json`);
    return [profile.id, profile];
  }),
);

export const BUILTIN_MEDIA: ReadonlyMap<string, Medium> = new Map(
  parseBuiltIn(z.array(Medium), media, 'media.json').map((m) => [m.id, m]),
);

/** Where a profile's or a link's figures come from, in the words the plan, run and views show. */
export function profileSource(p: BoardProfile | Medium): string {
  return p.source ?? 'built in';
}

/** Short names people type. */
const ALIASES: Record<string, string> = { tx2: 'tx2-cpu', laptop: 'x86-laptop', x86: 'x86-laptop' };

/** The built-in profile of that name or alias, or null (a board the probe calls generic-arm64). */
export function findProfile(name: string): BoardProfile | null {
  return BUILTIN_PROFILES.get(ALIASES[name] ?? name) ?? null;
}

export function builtInProfile(name: string): BoardProfile {
  const p = findProfile(name);
  if (!p) {
    throw new InputError(
      `unknown device profile "${name}" (choose from ${[...BUILTIN_PROFILES.keys()].join(', ')})`,
    );
  }
  return p;
}
