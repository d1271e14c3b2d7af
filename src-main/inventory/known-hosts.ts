// The app's own trust store for board host keys, in OpenSSH's known_hosts format so a user can
// read it, copy lines from ~/.ssh/known_hosts into it, or point ssh at it. Reads plain, wildcard,
// `[host]:port` and hashed (`|1|salt|hmac`) entries and `@revoked` markers; writes plain lines.
import { createHash, createHmac } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError, type HostKey } from '../contract/errors';
import { writeFileAtomic } from '../store/atomic';

/** A key as known_hosts and the user see it; errors carry it as it is (contract HostKey). */
export type KnownKey = HostKey;

export type HostKeyCheck =
  | { status: 'match' }
  | { status: 'unknown'; presented: KnownKey }
  | { status: 'changed'; presented: KnownKey; known: KnownKey[] }
  | { status: 'revoked'; presented: KnownKey };

interface Entry {
  marker: '' | '@revoked' | '@cert-authority';
  hosts: string;
  keyType: string;
  blob: Buffer;
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the wire-format key, exactly as OpenSSH prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string of the SSH wire format (uint32 length, then the name). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return len > 0 && len < 64 && blob.length >= 4 + len
    ? blob.subarray(4, 4 + len).toString('ascii')
    : 'unknown';
}

export function describeKey(blob: Buffer): KnownKey {
  return { keyType: keyTypeOf(blob), fingerprint: fingerprint(blob) };
}

/** How known_hosts names a host: bare on port 22, `[host]:port` elsewhere. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hostsFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

function parseEntries(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker =
      fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift()! : '';
    const [hosts, keyType, b64] = fields;
    // A line we cannot read is skipped like OpenSSH does, rather than making every host unknown.
    if (!hosts || !keyType || !b64) continue;
    entries.push({
      marker: marker as Entry['marker'],
      hosts,
      keyType,
      blob: Buffer.from(b64, 'base64'),
    });
  }
  return entries;
}

export function defaultKnownHostsPath(dataDir: string): string {
  return join(dataDir, 'known_hosts');
}

export class KnownHosts {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private entries: Entry[],
  ) {}

  static async load(path: string): Promise<KnownHosts> {
    return new KnownHosts(path, parseEntries(await readText(path)));
  }

  private forHost(host: string, port: number): Entry[] {
    const name = hostPattern(host, port);
    return this.entries.filter(
      (e) => e.marker !== '@cert-authority' && hostsFieldMatches(e.hosts, name),
    );
  }

  check(host: string, port: number, blob: Buffer): HostKeyCheck {
    const presented = describeKey(blob);
    const entries = this.forHost(host, port);
    if (entries.some((e) => e.marker === '@revoked' && e.blob.equals(blob)))
      return { status: 'revoked', presented };
    const trusted = entries.filter((e) => e.marker === '');
    if (trusted.some((e) => e.blob.equals(blob))) return { status: 'match' };
    if (trusted.length === 0) return { status: 'unknown', presented };
    return { status: 'changed', presented, known: trusted.map((e) => describeKey(e.blob)) };
  }

  /**
   * The key types already trusted for a host, so the connection can ask the server for one of
   * those first (as OpenSSH does) and a server with several keys is not mistaken for a changed one.
   */
  knownKeyTypes(host: string, port: number): string[] {
    return [
      ...new Set(
        this.forHost(host, port)
          .filter((e) => e.marker === '')
          .map((e) => e.keyType),
      ),
    ];
  }

  /** Remembers a key; re-reads the file first so entries another process added are kept. */
  add(host: string, port: number, blob: Buffer): Promise<void> {
    const line = `${hostPattern(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`;
    const write = async (): Promise<void> => {
      const current = await readText(this.path);
      const text =
        current === '' || current.endsWith('\n') ? current + line : `${current}\n${line}`;
      await mkdir(dirname(this.path), { recursive: true });
      await writeFileAtomic(this.path, text, 0o644);
      this.entries = parseEntries(text);
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new AppError('KNOWN_HOSTS_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`);
  }
}
