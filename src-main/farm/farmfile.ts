// The farm file: where a farm's agents listen and how to trust them. `mchair farm up` writes one
// for the virtual farm; `mchair run --farm FILE` reads it. Its `devices` entries are also a
// planner farm file (id + profile), so the planner reads the same file.
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AppError, InputError } from '../contract/index';
import { plainIssues, readJsonAs } from '../files/kind';
import { readIdentity } from './pki';
import type { TlsMaterial } from '../../remote-agent/src/protocol/index';

export const FarmDevice = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'is not a device id'),
  profile: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Process id of a local (virtual) agent; absent for a board. */
  pid: z.number().int().positive().optional(),
});
export type FarmDevice = z.infer<typeof FarmDevice>;

export const FarmEndpoints = z.object({
  version: z.literal(1),
  /** True for the virtual farm: every figure it produces is labelled emulated. */
  emulated: z.boolean(),
  /** Folder with ca.pem and the coordinator's certificate and key (relative to the file). */
  tlsDir: z.string().min(1),
  coordinatorId: z.string().min(1),
  /** Where partitions go so the agents find them (a local folder for the virtual farm). */
  partsDir: z.string().min(1),
  devices: z.array(FarmDevice).min(1),
  /** Emulated shared media: where each medium's airtime service listens ("media" is the planner's). */
  airtime: z
    .array(
      z.object({
        id: z.string(),
        host: z.string(),
        port: z.number().int(),
        pid: z.number().int().optional(),
      }),
    )
    .default([]),
});
export type FarmEndpoints = z.infer<typeof FarmEndpoints>;

export interface OpenFarm {
  file: string;
  farm: FarmEndpoints;
  /** The raw JSON, for the planner's farmFromFile. */
  json: unknown;
  coordinator: { id: string; tls: TlsMaterial };
}

export async function readFarmFile(file: string): Promise<OpenFarm> {
  const json = readJsonAs('--farm', file, 'farm');
  const parsed = FarmEndpoints.safeParse(json);
  if (!parsed.success) throw new InputError(plainIssues(file, 'farm', json, parsed.error));
  const farm = parsed.data;
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  farm.tlsDir = abs(farm.tlsDir);
  farm.partsDir = abs(farm.partsDir);
  const tls = await readIdentity(farm.tlsDir, farm.coordinatorId).catch(() => {
    throw new AppError(
      'PKI_MISSING',
      `${file}: no coordinator certificate in ${farm.tlsDir}; recreate the farm`,
    );
  });
  return { file, farm, json, coordinator: { id: farm.coordinatorId, tls } };
}
