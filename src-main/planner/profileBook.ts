// Measured profiles as the lab keeps them: one per board, in the inventory beside the board
// (`mchair profile` writes them, the Farm view's Profile action too), read back for every plan:
// `mchair plan`, `run --plan auto`, the Plan and Run views. Each entry is checked when read: one
// that cannot be read, was measured for another kind of board or is old is named, and a board
// whose entry is unusable plans with its built-in profile.
import { z } from 'zod';
import { DeviceProfile } from './profile';
import type { Device, Farm } from './farm';

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
    profile: DeviceProfile,
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

export interface ResolvedProfile {
  /** The profile the planner uses for the board. */
  readonly profile: DeviceProfile;
  /** Why the stored entry was not used as it is (stale, another kind, unreadable); null when fine. */
  readonly note: string | null;
}

const day = (iso: string) => iso.slice(0, 10);

/** The board's profile given its stored entry (`raw`, as the inventory holds it). */
export function resolveProfile(device: Device, raw: unknown, now: Date): ResolvedProfile {
  const builtIn = device.profile;
  if (raw === undefined) return { profile: builtIn, note: null };
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== STORED_PROFILE_VERSION)
    return {
      profile: builtIn,
      note: `${device.id}: its stored profile is schema version ${String(version)}, this app reads ${STORED_PROFILE_VERSION}; run \`mchair profile\` on it again (built-in ${builtIn.id} used)`,
    };
  const parsed = StoredProfile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      profile: builtIn,
      note: `${device.id}: its stored profile is unreadable (${issue?.path.join('.')}: ${issue?.message}); run \`mchair profile\` on it again (built-in ${builtIn.id} used)`,
    };
  }
  const s = parsed.data;
  if (s.base !== builtIn.id)
    return {
      profile: { ...builtIn, source: `built in (the measured profile was for a ${s.base})` },
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
    note: stale
      ? `${device.id}: its profile was measured ${ageDays} days ago (${day(s.measuredAt)}); profile it again if the board changed`
      : null,
  };
}

/** The farm with each board's stored profile where one is usable, and what was not. */
export function withStoredProfiles(
  farm: Farm,
  stored: Readonly<Record<string, unknown>>,
  now = new Date(),
): { farm: Farm; notes: string[] } {
  const notes: string[] = [];
  const devices = farm.devices.map((d) => {
    const r = resolveProfile(d, stored[d.id], now);
    if (r.note) notes.push(r.note);
    return r.profile === d.profile ? d : { ...d, profile: r.profile };
  });
  return { farm: { ...farm, devices }, notes };
}
