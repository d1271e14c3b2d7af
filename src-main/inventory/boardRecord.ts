// The inventory's board records (their schema is the contract's, contract/boardRecord.ts) and the
// keys their secrets are kept under.
import type { Endpoint } from '../contract/boardRecord';

export {
  Auth,
  BoardName,
  BoardRecord,
  type BoardRecordInput,
  describeBoard,
  Endpoint,
  HostName,
  Port,
  UserName,
} from '../contract/boardRecord';

/** A stable key for a login's password, so renaming a device does not orphan it. */
export function passwordSecretKey(e: Pick<Endpoint, 'user' | 'host' | 'port'>): string {
  return `ssh/password/${e.user}@${e.host}:${e.port}`;
}

/** A key file's passphrase belongs to the file, whichever devices use it. */
export function passphraseSecretKey(keyFile: string): string {
  return `ssh/passphrase/${keyFile}`;
}
