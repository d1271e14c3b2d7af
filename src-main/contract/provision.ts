// Provisioning as the UI and `mchair provision --json` see it: per-device progress events while
// it runs, and one result per device at the end.
import { z } from 'zod';
import { ErrorDetails } from './errors';

/** A host key as OpenSSH prints it (`ssh-keygen -lf`): what the user compares on the board. */
export const HostKeyFingerprint = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'is not a SHA256 fingerprint');

/**
 * Host-key refusals the app answers with its host-key dialog (Farm view, Run view); the others
 * (a revoked key) need the board fixed.
 */
export const ASKED_HOST_KEY_CODES: readonly string[] = ['HOST_KEY_UNKNOWN', 'HOST_KEY_CHANGED'];

export const ProvisionStep = z.enum([
  'connect',
  'probe',
  'upload',
  'install',
  'start',
  'verify',
  'done',
  'failed',
]);
export type ProvisionStep = z.infer<typeof ProvisionStep>;

export const DeviceProgress = z.object({
  device: z.string(),
  step: ProvisionStep,
  /** 0..1 for this device, all steps together. */
  fraction: z.number().min(0).max(1),
  bytesDone: z.number().int().min(0),
  bytesTotal: z.number().int().min(0),
  message: z.string().nullable(),
});
export type DeviceProgress = z.infer<typeof DeviceProgress>;

export const ProvisionProgress = z.object({
  /** 0..1 over every device. */
  overall: z.number().min(0).max(1),
  devices: z.array(DeviceProgress),
});
export type ProvisionProgress = z.infer<typeof ProvisionProgress>;

export const DeviceProvisionResult = z.object({
  name: z.string(),
  status: z.enum(['ok', 'failed']),
  /** An AppError code (UNREACHABLE, AUTH_FAILED, HOST_KEY_CHANGED, ...) when it failed. */
  code: z.string().nullable(),
  /** What happened, or what to do about it. */
  message: z.string(),
  /** The failure's own fields (the host key presented, ...), for the codes that have them. */
  details: ErrorDetails.nullable(),
  bytesUploaded: z.number().int().min(0),
  /** Model partition bytes among them: 0 when nothing changed. */
  modelBytesUploaded: z.number().int().min(0),
  /** Node runtime bytes among them: 0 when the board's own Node was used or it was there. */
  nodeBytesUploaded: z.number().int().min(0),
  agentVersion: z.string().nullable(),
  service: z.enum(['systemd-user', 'systemd-system', 'background']).nullable(),
  runtime: z.enum(['native', 'wasm']).nullable(),
  profile: z.string().nullable(),
  notes: z.array(z.string()),
});
export type DeviceProvisionResult = z.infer<typeof DeviceProvisionResult>;
