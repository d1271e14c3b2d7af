// Secrets (SSH passwords and key passphrases) sealed with the OS keychain through safeStorage and
// kept in userData/secrets.json as ciphertext. Refuses to store anything when the only backend is
// plain text, so a secret never reaches disk in clear.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeStorage } from 'electron';
import { AppError } from '../contract/errors';
import type { SecretStore } from '../inventory/secrets';
import { writeFileAtomic } from '../store/atomic';

function assertKeychain(): void {
  const usable =
    safeStorage.isEncryptionAvailable() &&
    (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  if (!usable) {
    throw new AppError(
      'NO_KEYCHAIN',
      'no OS keychain protects secrets here: install and unlock gnome-keyring or KWallet, or use an ssh-agent instead of a password',
    );
  }
}

export class KeychainSecretStore implements SecretStore {
  readonly persistent = true;
  private readonly file: string;

  constructor(userData: string) {
    this.file = join(userData, 'secrets.json');
  }

  async get(key: string): Promise<string | undefined> {
    const sealed = (await this.read())[key];
    if (sealed === undefined) return undefined;
    assertKeychain();
    return safeStorage.decryptString(Buffer.from(sealed, 'base64'));
  }

  async set(key: string, value: string): Promise<void> {
    assertKeychain();
    const all = await this.read();
    all[key] = safeStorage.encryptString(value).toString('base64');
    await writeFileAtomic(this.file, JSON.stringify(all), 0o600);
  }

  async delete(key: string): Promise<void> {
    const all = await this.read();
    if (!(key in all)) return;
    delete all[key];
    await writeFileAtomic(this.file, JSON.stringify(all), 0o600);
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return {};
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AppError(
        'SECRETS_CORRUPT',
        `${this.file} is not a JSON object: delete it and enter the passwords again`,
      );
    }
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }
}
