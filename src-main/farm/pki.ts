// The per-farm certificate authority: the app creates one CA per farm and one certificate per
// device (and one for the coordinator), so agents serve only peers of their own farm (mutual TLS
// 1.3). A certificate's common name is the device id; peers check it instead of a host name,
// because boards move between addresses (DHCP) while their identity does not.
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/index';
import { writeFileAtomic } from '../store/atomic';

type X509 = typeof import('@peculiar/x509');
let x509Library: Promise<X509> | null = null;

/**
 * @peculiar/x509, loaded when a certificate is first made or read: with tsyringe and its
 * algorithms it takes ~100 ms to load (a third of the CLI's start-up), which commands that make
 * no certificate (plan, model inspect) should not pay.
 */
function loadX509(): Promise<X509> {
  x509Library ??= (async () => {
    // @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    // Node's webcrypto is the standard Crypto; the DOM type name is missing from our Node-only lib.
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Library;
}

const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** PEM text of a certificate authority or a device identity. */
export interface Identity {
  cert: string;
  key: string;
}

/** What a TLS endpoint needs: the farm CA to check peers and its own identity. */
export interface TlsMaterial extends Identity {
  ca: string;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const x509 = await loadX509();
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const x509 = await loadX509();
  const der = x509.PemConverter.decode(pem)[0];
  if (!der)
    throw new AppError('PKI_BAD_KEY', 'the farm CA key file holds no PEM key; recreate the farm');
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALG, false, ['sign']);
}

export async function createFarmCa(farmName: string): Promise<Identity> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=Musical Chair farm CA ${farmName}`,
    keys,
    signingAlgorithm: SIGN_ALG,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A certificate for one device (or the coordinator), usable as TLS client and server. */
export async function issueIdentity(
  ca: Identity,
  id: string,
  hosts: string[] = [],
): Promise<Identity> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const names = hosts.map((h) =>
    /^[0-9.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h },
  );
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${id}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.key),
    signingAlgorithm: SIGN_ALG,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Files of one identity in a folder: ca.pem, <id>.pem, <id>.key (key readable by owner only). */
export async function writeIdentity(
  dir: string,
  id: string,
  ca: string,
  ident: Identity,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Atomic, and the certificate last: a crash leaves no half key, and no certificate whose key
  // is missing (readIdentity then fails and the identity is issued again).
  await writeFileAtomic(join(dir, 'ca.pem'), ca);
  await writeFileAtomic(join(dir, `${id}.key`), ident.key, 0o600);
  await writeFileAtomic(join(dir, `${id}.pem`), ident.cert);
}

export async function readIdentity(dir: string, id: string): Promise<TlsMaterial> {
  try {
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', `${id}.pem`, `${id}.key`].map((f) => readFile(join(dir, f), 'utf8')),
    );
    return { ca: ca as string, cert: cert as string, key: key as string };
  } catch {
    throw new AppError(
      'PKI_MISSING',
      `no certificate for "${id}" in ${dir}; run "mchair farm up" again`,
    );
  }
}
