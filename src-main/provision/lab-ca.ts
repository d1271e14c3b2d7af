// The lab's one certificate authority for real boards, kept in the data folder (pki/), and the
// identities it issues: one per device (pushed to the board at provisioning) and one for the
// coordinator that runs the farm. Issued once and reused, so provisioning again changes nothing.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFarmCa, issueIdentity, readIdentity, writeIdentity, type Identity, type TlsMaterial } from '../farm/pki';

export function labPkiDir(dataDir: string): string {
  return join(dataDir, 'pki');
}

async function loadOrCreateCa(dir: string): Promise<Identity> {
  try {
    return { cert: await readFile(join(dir, 'ca.pem'), 'utf8'), key: await readFile(join(dir, 'ca.key'), 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const ca = await createFarmCa('lab');
  // `wx`: two provisioning runs racing must not end with two CAs.
  await writeFile(join(dir, 'ca.key'), ca.key, { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, 'ca.pem'), ca.cert, { flag: 'wx' });
  return ca;
}

let issuing: Promise<unknown> = Promise.resolve();

/**
 * The TLS files of `id` (a device name, or "coordinator"): ca.pem, <id>.pem, <id>.key in the
 * lab's pki folder, created the first time. Serialised so parallel provisioning issues each once.
 */
export function labIdentity(dataDir: string, id: string, hosts: string[] = []): Promise<{ dir: string; tls: TlsMaterial }> {
  const dir = labPkiDir(dataDir);
  const run = async () => {
    const ca = await loadOrCreateCa(dir);
    try {
      return { dir, tls: await readIdentity(dir, id) };
    } catch {
      await writeIdentity(dir, id, ca.cert, await issueIdentity(ca, id, hosts));
      return { dir, tls: await readIdentity(dir, id) };
    }
  };
  const next = issuing.then(run, run);
  issuing = next;
  return next;
}
