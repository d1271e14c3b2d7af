// The host-key question the Farm and Run views ask: a board's refused connection, with the key it
// presented (and, for a changed key, the ones known before) read from the error's fields.
import type { DeviceProvisionResult, HostKey } from '../src-main/contract/index';

/** A refused connection the host-key dialog asks about: the board, its code, sentence and fields. */
export type HostKeyQuestion = Pick<DeviceProvisionResult, 'name' | 'code' | 'message' | 'details'>;

/** The keys a question shows, in order: for a changed key, the known ones then the new one. */
export function keysOf(q: HostKeyQuestion): HostKey[] {
  const d = q.details;
  if (!d || !('presented' in d)) return [];
  return d.code === 'HOST_KEY_CHANGED' ? [...d.known, d.presented] : [d.presented];
}
