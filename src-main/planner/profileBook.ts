// Measured profiles as the lab keeps them: one per board, in the inventory beside the board
// (`mchair profile` writes them, the Farm view's Profile action too), read back for every plan:
// `mchair plan`, `run --plan auto`, the Plan and Run views. Each entry is checked when read: one
// that cannot be read, was measured for another kind of board or is old is named, and a board
// whose entry is unusable plans with its built-in profile.
import { z } from 'zod';
import { BoardProfile, type Medium } from './profile';
import type { FarmBoard, Farm } from './farm';

/** The stored entry's schema; an entry of another version is named, never guessed at. */
export const STORED_PROFILE_VERSION = 1;
/** A board measured longer ago than this may have changed (firmware, cooling, a new SD card). */
export const STALE_DAYS = 90;

const Probe = z.object({
  family: z.string().max(40),
  /** Seconds a frame of the family's probe took on the board. */
  seconds: z.number().positive(),
  /** Speed against the base profile (2 = twice as fast). */
  scale: z.number().positive(),
});

export const StoredProfile = z
  .object({
    version: z.literal(STORED_PROFILE_VERSION),
    /** The kind of board it was measured as (its built-in profile): a board re-added as another kind no longer matches. */
    base: z.string().max(40),
    measuredAt: z.iso.datetime(),
    profile: BoardProfile,
    probes: z.array(Probe).max(64),
    /** The laptop's round trip to the agent and its link's measured speed (null: not measured). */
    link: z.object({
      latencyMs: z.number().min(0),
      mbps: z.number().positive().nullable(),
    }),
    /** Boards between which a link was measured: board name -> Mbit/s. */
    peers: z.record(z.string().max(64), z.number().positive()),
    /** What a meter or the board's rails read (null: no meter covers the board). */
    power: z.object({
      idleWatts: z.number().min(0).nullable(),
      busyWatts: z.number().min(0).nullable(),
    }),
  })
  .strict();
export type StoredProfile = z.infer<typeof StoredProfile>;

/**
 * A real board's memory as its agent reads it at rest: what the agent holds is the runtime a plan
 * must leave room for, and that plus what the kernel could still give (MemAvailable) is what its
 * parts may use, never above the budget its provisioning gave the agent (the profile's, which the
 * agent enforces). An agent that reports no MemAvailable leaves the budget as it was.
 */
export function memoryAtRest(
  base: BoardProfile,
  r: { memoryBytes: number; availableBytes: number | null },
): BoardProfile['memory'] {
  const budgetBytes =
    r.availableBytes === null
      ? base.memory.budgetBytes
      : Math.min(base.memory.budgetBytes, r.memoryBytes + r.availableBytes);
  return { ...base.memory, runtimeBytes: r.memoryBytes, budgetBytes };
}

export interface ResolvedProfile {
  /** The profile the planner uses for the board. */
  readonly profile: BoardProfile;
  /** The stored entry when it is used (its links too); null when the board plans built in. */
  readonly stored: StoredProfile | null;
  /** Why the stored entry was not used as it is (stale, another kind, unreadable); null when fine. */
  readonly note: string | null;
}

const day = (iso: string) => iso.slice(0, 10);

/** The board's profile given its stored entry (`raw`, as the inventory holds it). */
export function resolveProfile(device: FarmBoard, raw: unknown, now: Date): ResolvedProfile {
  const builtIn = device.profile;
  if (raw === undefined) return { profile: builtIn, stored: null, note: null };
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== STORED_PROFILE_VERSION)
    return {
      profile: builtIn,
      stored: null,
      note: `${device.id}: its stored profile is schema version ${String(version)}, this app reads ${STORED_PROFILE_VERSION}; run \`mchair profile\` on it again (built-in ${builtIn.id} used)`,
    };
  const parsed = StoredProfile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      profile: builtIn,
      stored: null,
      note: `${device.id}: its stored profile is unreadable (${issue?.path.join('.')}: ${issue?.message}); run \`mchair profile\` on it again (built-in ${builtIn.id} used)`,
    };
  }
  const s = parsed.data;
  if (s.base !== builtIn.id)
    return {
      profile: { ...builtIn, source: `built in (the measured profile was for a ${s.base})` },
      stored: null,
      note: `${device.id}: its profile was measured as a ${s.base} but the board is now a ${builtIn.id}; profile it again (built-in ${builtIn.id} used)`,
    };
  const ageDays = Math.floor((now.getTime() - Date.parse(s.measuredAt)) / 86_400_000);
  const on = s.profile.basis === 'emulated' ? ' (emulated board)' : '';
  const stale = ageDays > STALE_DAYS;
  return {
    profile: {
      ...s.profile,
      source: `measured ${day(s.measuredAt)}${on}${stale ? `, stale: ${ageDays} days old` : ''}`,
    },
    stored: s,
    note: stale
      ? `${device.id}: its profile was measured ${ageDays} days ago (${day(s.measuredAt)}); profile it again if the board changed`
      : null,
  };
}

const median = (xs: readonly number[]) => {
  const o = [...xs].sort((a, b) => a - b);
  const h = o.length >> 1;
  return o.length % 2 ? o[h]! : (o[h - 1]! + o[h]!) / 2;
};

const dates = (entries: readonly StoredProfile[]) => {
  const days = [...new Set(entries.map((e) => day(e.measuredAt)))].sort();
  return days.length > 1 ? `${days[0]}..${days[days.length - 1]}` : days[0]!;
};

/** The links a board's entry timed, each Mbit/s once: to the laptop, and each hop it sent. */
const linksOf = (e: StoredProfile): number[] => [
  ...(e.link.mbps !== null ? [e.link.mbps] : []),
  ...Object.values(e.peers),
];

/**
 * A switched board's port as measured: every figure it moved data at over that switch alone,
 * i.e. to the laptop when the laptop is on the same medium (else the laptop's own medium, a
 * Wi-Fi cell say, bounds the figure, not the port) and to or from a peer on it (a peer's entry
 * names it too). None when no such link was timed.
 */
function portMbps(d: FarmBoard, farm: Farm, entries: ReadonlyMap<string, StoredProfile>): number[] {
  const onSwitch = (id: string) =>
    farm.devices.some((x) => x.id === id && x.medium.id === d.medium.id);
  const own = entries.get(d.id)!;
  return [
    ...(own.link.mbps !== null && farm.coordinator.id === d.medium.id ? [own.link.mbps] : []),
    ...Object.entries(own.peers).flatMap(([to, mbps]) => (onSwitch(to) ? [mbps] : [])),
    ...[...entries].flatMap(([from, e]) => {
      const mbps = e.peers[d.id];
      return from !== d.id && mbps !== undefined && onSwitch(from) ? [mbps] : [];
    }),
  ];
}

/**
 * The media as measured. A shared medium (a Wi-Fi cell) is one air for all its boards, the
 * laptop's too: it takes the median of every figure its measured boards moved data at and of
 * their latencies (a median, since a hop between boards reads low: 14-17 Mbit/s on a virtual
 * farm's paced 40, where the laptop links read 38-40). A switched board has a port of its own:
 * the fastest it was seen to move data over the switch (a hop is bounded by its slower end, so
 * each figure is at most the board's port), and its own latency. Boards without a usable measurement keep the built-in figures of their medium.
 */
function measuredMedia(
  farm: Farm,
  entries: ReadonlyMap<string, StoredProfile>,
): { mediumOf: (d: FarmBoard) => Medium; coordinator: Medium } {
  const shared = new Map<string, Medium>();
  for (const m of new Set(farm.devices.map((d) => d.medium))) {
    if (m.kind !== 'shared' || shared.has(m.id)) continue;
    const on = farm.devices.filter((d) => d.medium.id === m.id && entries.has(d.id));
    const used = on.map((d) => entries.get(d.id)!);
    // Each link once: the laptop's to each board, and each hop from the board that sent it.
    const mbps = used.flatMap(linksOf);
    if (mbps.length === 0) continue;
    shared.set(m.id, {
      ...m,
      mbps: median(mbps),
      latencyMs: median(used.map((e) => e.link.latencyMs)),
      source: `measured ${dates(used)} (median of ${mbps.length} ${mbps.length === 1 ? 'link' : 'links'} of ${on.length} ${on.length === 1 ? 'board' : 'boards'})`,
    });
  }
  const mediumOf = (d: FarmBoard): Medium => {
    const air = shared.get(d.medium.id);
    if (air) return air;
    const e = entries.get(d.id);
    const mbps = e && d.medium.kind === 'switched' ? portMbps(d, farm, entries) : [];
    if (!e || mbps.length === 0) return d.medium;
    return {
      ...d.medium,
      mbps: Math.max(...mbps),
      // The laptop's ping crosses its own medium too when it is not on this switch.
      latencyMs: farm.coordinator.id === d.medium.id ? e.link.latencyMs : d.medium.latencyMs,
      source: `measured ${day(e.measuredAt)}`,
    };
  };
  return { mediumOf, coordinator: shared.get(farm.coordinator.id) ?? farm.coordinator };
}

/** The farm with each board's stored profile and link where usable, and what was not. */
export function withStoredProfiles(
  farm: Farm,
  stored: Readonly<Record<string, unknown>>,
  now = new Date(),
): { farm: Farm; notes: string[] } {
  const notes: string[] = [];
  const entries = new Map<string, StoredProfile>();
  const profiles = farm.devices.map((d) => {
    const r = resolveProfile(d, stored[d.id], now);
    if (r.note) notes.push(r.note);
    // An emulated board's link is the emulator's pacing of the farm's own figures, which the
    // planner has already; timed through it, it reads off (a paced 40 Mbit/s Wi-Fi cell read 79
    // to the laptop and 12 between boards), so only a real board's link replaces them.
    if (r.stored?.profile.basis === 'measured') entries.set(d.id, r.stored);
    return r.profile;
  });
  const { mediumOf, coordinator } = measuredMedia(farm, entries);
  const devices = farm.devices.map((d, i) => {
    const profile = profiles[i]!;
    const medium = mediumOf(d);
    return profile === d.profile && medium === d.medium ? d : { ...d, profile, medium };
  });
  return { farm: { devices, coordinator }, notes };
}
