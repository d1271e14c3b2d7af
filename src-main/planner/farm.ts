// The devices a plan is made for and the media between them: from a `--devices pi3:6,pi4:2`
// spec or a farm file. The coordinator (the laptop streaming frames and collecting results) is
// on a medium too, since every frame's input and output cross it.
import { z } from 'zod';
import { InputError, describeIssues } from '../contract/errors';
import {
  BUILTIN_MEDIA,
  BoardProfile,
  Medium,
  builtInProfile,
  type BoardProfile as Profile,
} from './profile';

export interface FarmBoard {
  readonly id: string;
  readonly profile: Profile;
  readonly medium: Medium;
}

export interface Farm {
  readonly devices: readonly FarmBoard[];
  readonly coordinator: Medium;
}

function medium(id: string, extra: ReadonlyMap<string, Medium>): Medium {
  const m = extra.get(id) ?? BUILTIN_MEDIA.get(id);
  if (!m) {
    const known = [...new Set([...BUILTIN_MEDIA.keys(), ...extra.keys()])].join(', ');
    throw new InputError(`unknown medium "${id}" (choose from ${known})`);
  }
  return m;
}

/** `pi3:6,pi4:2,tx2:1` -> pi3-1..pi3-6, pi4-1, pi4-2, tx2-cpu-1; each on its profile's medium. */
export function farmFromSpec(spec: string, coordinatorMedium?: string): Farm {
  const devices: FarmBoard[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9-]+)(?::(\d+))?$/.exec(item);
    if (!m) throw new InputError(`--devices: "${item}" is not NAME or NAME:COUNT (e.g. pi3:6)`);
    const profile = builtInProfile(m[1]!);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count < 1 || count > 1000)
      throw new InputError(`--devices: count in "${item}" must be 1..1000`);
    const taken = devices.filter((d) => d.profile.id === profile.id).length;
    for (let i = 1; i <= count; i++) {
      devices.push({
        id: `${profile.id}-${taken + i}`,
        profile,
        medium: medium(profile.medium, new Map()),
      });
    }
  }
  if (devices.length === 0)
    throw new InputError('--devices: name at least one device (e.g. pi3:6)');
  // The paper's input device sat on the farm's Wi-Fi; a laptop on the same network does too.
  return { devices, coordinator: medium(coordinatorMedium ?? devices[0]!.medium.id, new Map()) };
}

/** A farm file: devices by name with a built-in profile id (or a measured profile inline). */
export const FarmFile = z.object({
  devices: z
    .array(
      z.object({
        id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a device id'),
        profile: z.union([z.string(), BoardProfile]),
        medium: z.string().optional(),
      }),
    )
    .min(1),
  media: z.array(Medium).optional(),
  coordinator: z.object({ medium: z.string() }).optional(),
});
export type FarmFile = z.infer<typeof FarmFile>;

export function farmFromFile(value: unknown, where: string): Farm {
  const parsed = FarmFile.safeParse(value);
  if (!parsed.success) throw new InputError(describeIssues(where, parsed.error.issues));
  const f = parsed.data;
  const extra = new Map((f.media ?? []).map((m) => [m.id, m]));
  const ids = new Set<string>();
  const devices = f.devices.map((d) => {
    if (ids.has(d.id)) throw new InputError(`${where}: device "${d.id}" is listed twice`);
    ids.add(d.id);
    const profile = typeof d.profile === 'string' ? builtInProfile(d.profile) : d.profile;
    return { id: d.id, profile, medium: medium(d.medium ?? profile.medium, extra) };
  });
  const coordinator = medium(f.coordinator?.medium ?? devices[0]!.medium.id, extra);
  return { devices, coordinator };
}

/** The same farm without some devices and with others added (the musical chair). */
export function changeFarm(farm: Farm, leave: readonly string[], join: readonly FarmBoard[]): Farm {
  const gone = new Set(leave);
  for (const id of leave) {
    if (!farm.devices.some((d) => d.id === id))
      throw new InputError(`device "${id}" is not in the farm`);
  }
  const kept = farm.devices.filter((d) => !gone.has(d.id));
  for (const d of join) {
    if (kept.some((k) => k.id === d.id))
      throw new InputError(`device "${d.id}" is already in the farm`);
  }
  return { devices: [...kept, ...join], coordinator: farm.coordinator };
}
