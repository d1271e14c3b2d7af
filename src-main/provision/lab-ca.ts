// The lab's one certificate authority for real boards, kept in the data folder (pki/), and the
// identities it issues: one per device (pushed to the board at provisioning) and one for the
// coordinator that runs the farm. Issued once and reused, so provisioning again changes nothing.
// The CA key never leaves the laptop. Given a SecretStore (the app's, sealed by the OS keychain
// through safeStorage) it lives there and never touches the disk in clear; headless, it is
// pki/ca.key, readable by the owner only, in a folder only the owner can enter.
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors';
import {
  createFarmCa,
  issueIdentity,
  readIdentity,
  writeIdentity,
  type Identity,
  type TlsMaterial,
} from '../farm/pki';
import type { SecretStore } from '../inventory/secrets';
import { writeFileAtomic } from '../store/atomic';
import { withFileLock } from '../store/lock';

export function labPkiDir(dataDir: string): string {
  return join(dataDir, 'pki');
}

/** The SecretStore key of the lab CA's private key. */
export const LAB_CA_SECRET = 'pki/lab-ca-key';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

async function loadOrCreateCa(dir: string, keyStore?: SecretStore): Promise<Identity> {
  const cert = await readOptional(join(dir, 'ca.pem'));
  const fileKey = await readOptional(join(dir, 'ca.key'));
  if (cert !== undefined && !keyStore && fileKey !== undefined) return { cert, key: fileKey };
  if (cert !== undefined && keyStore) {
    const sealed = await keyStore.get(LAB_CA_SECRET);
    if (sealed !== undefined) return { cert, key: sealed };
    if (fileKey !== undefined) {
      // A CA made headless, now used by the app: seal its key and remove the clear copy.
      await keyStore.set(LAB_CA_SECRET, fileKey);
      await rm(join(dir, 'ca.key'));
      return { cert, key: fileKey };
    }
  }
  if (cert !== undefined) {
    // A second CA would orphan every board the first one certified.
    throw new AppError(
      'PKI_KEY_UNAVAILABLE',
      `the lab CA key is missing from ${dir} (the app keeps it sealed in the OS keychain): provision from the app, or restore ${join(dir, 'ca.key')}`,
    );
  }
  // No ca.pem: no identity was ever issued, so a key left by a crash before it is replaced.
  const ca = await createFarmCa('lab');
  if (keyStore) await keyStore.set(LAB_CA_SECRET, ca.key);
  else await writeFileAtomic(join(dir, 'ca.key'), ca.key, 0o600);
  // The certificate last: it is what makes the CA exist.
  await writeFileAtomic(join(dir, 'ca.pem'), ca.cert);
  return ca;
}

let issuing: Promise<unknown> = Promise.resolve();

/**
 * The TLS files of `id` (a device name, or "coordinator"): ca.pem, <id>.pem, <id>.key in the
 * lab's pki folder, created the first time. Serialised (in this process, and across processes by
 * a lock file) so parallel provisioning issues each once. Every file is written atomically.
 */
export function labIdentity(
  dataDir: string,
  id: string,
  hosts: string[] = [],
  keyStore?: SecretStore,
): Promise<{ dir: string; tls: TlsMaterial }> {
  const dir = labPkiDir(dataDir);
  const run = async () => {
    try {
      return { dir, tls: await readIdentity(dir, id) };
    } catch {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      // Two provisioning processes racing must not end with two CAs or two identities.
      return withFileLock(join(dir, '.lock'), async () => {
        const ca = await loadOrCreateCa(dir, keyStore);
        const issued = await readIdentity(dir, id).catch(() => null);
        if (issued) return { dir, tls: issued };
        await writeIdentity(dir, id, ca.cert, await issueIdentity(ca, id, hosts));
        return { dir, tls: await readIdentity(dir, id) };
      });
    }
  };
  const next = issuing.then(run, run);
  issuing = next;
  return next;
}
