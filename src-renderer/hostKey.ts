// The host key a provisioning result is about, read from the core's sentence (HostTrust writes
// "<key type> SHA256:<43 base64 chars>", OpenSSH's own notation), for the host-key modal.

import type { DeviceProvisionResult } from '../src-main/contract/index';

/** A refused connection the host-key dialog asks about: the board, the refusal's code and sentence. */
export type HostKeyQuestion = Pick<DeviceProvisionResult, 'name' | 'code' | 'message'>;

export interface PresentedKey {
  keyType: string;
  fingerprint: string;
}

const KEY = /([a-z0-9-]+(?:@[a-z0-9.-]+)?) (SHA256:[A-Za-z0-9+/]{43}=?)/g;

/** Every key the sentence names, in order: for a changed key, the known ones then the new one. */
export function keysIn(message: string): PresentedKey[] {
  return [...message.matchAll(KEY)].map((m) => ({ keyType: m[1] ?? '', fingerprint: m[2] ?? '' }));
}
