// Issue 9.2, the farm CA key stays on the laptop and is not kept in clear when the app has a
// keychain: given a SecretStore (the app passes its safeStorage one) the lab CA never writes its
// key to the data folder, a CA made headless is sealed and its clear copy removed, and a headless
// run that finds no key refuses to mint a second CA. Headless, the key is owner-only on disk.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../src-main/inventory/secrets';
import { LAB_CA_SECRET, labIdentity, labPkiDir } from '../../src-main/provision/lab-ca';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mchair-ca-key-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** True when `certPem` was signed by the CA in `caPem`. */
function issuedBy(certPem: string, caPem: string): boolean {
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(certPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** Every file of the data folder that holds a line of the key's PEM body. */
async function filesHolding(dir: string, pem: string): Promise<string[]> {
  const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const hits: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const p = join(dir, name);
    if (!(await stat(p)).isFile()) continue;
    const text = await readFile(p, 'utf8');
    if (lines.some((l) => text.includes(l))) hits.push(name);
  }
  return hits;
}

describe('the lab CA key', () => {
  it('headless: pki/ca.key readable by the owner only, in a folder only the owner enters', async () => {
    const data = join(root, 'headless');
    const a = await labIdentity(data, 'b1');
    const pki = labPkiDir(data);
    expect((await stat(pki)).mode & 0o777).toBe(0o700);
    expect((await stat(join(pki, 'ca.key'))).mode & 0o777).toBe(0o600);
    const b = await labIdentity(data, 'b2');
    expect(b.tls.ca).toBe(a.tls.ca);
    expect(issuedBy(b.tls.cert, a.tls.ca)).toBe(true);
  });

  it('with a keychain store: the key is never written to the data folder', async () => {
    const data = join(root, 'app');
    const store = new MemorySecretStore();
    const a = await labIdentity(data, 'b1', [], store);
    const b = await labIdentity(data, 'b2', [], store);
    const key = await store.get(LAB_CA_SECRET);
    expect(key).toMatch(/BEGIN PRIVATE KEY/);
    expect(await readdir(labPkiDir(data))).not.toContain('ca.key');
    expect(await filesHolding(data, key!)).toEqual([]);
    expect(b.tls.ca).toBe(a.tls.ca);
    expect(issuedBy(b.tls.cert, a.tls.ca)).toBe(true);
  });

  it('a CA made headless is sealed on first use by the app, and its clear copy removed', async () => {
    const data = join(root, 'migrate');
    const first = await labIdentity(data, 'b1');
    const clear = await readFile(join(labPkiDir(data), 'ca.key'), 'utf8');
    const store = new MemorySecretStore();
    const second = await labIdentity(data, 'b2', [], store);
    expect(await store.get(LAB_CA_SECRET)).toBe(clear);
    expect(await filesHolding(data, clear)).toEqual([]);
    expect(issuedBy(second.tls.cert, first.tls.ca)).toBe(true);
  });

  it('headless with the key sealed away: a clear error, never a second CA', async () => {
    const data = join(root, 'migrate');
    const caBefore = await readFile(join(labPkiDir(data), 'ca.pem'), 'utf8');
    await expect(labIdentity(data, 'b3')).rejects.toMatchObject({ code: 'PKI_KEY_UNAVAILABLE' });
    expect(await readFile(join(labPkiDir(data), 'ca.pem'), 'utf8')).toBe(caBefore);
    // Identities already issued are still served without the key.
    expect((await labIdentity(data, 'b2')).tls.ca).toBe(caBefore);
  });
});
