// Secrets (SSH passwords and passphrases, the farm CA's key) encrypted with the OS keychain
// through safeStorage. Refuses to store anything when the only backend is plain text, so a
// secret never reaches disk in clear.
import { safeStorage } from 'electron';
import { AppError } from '../contract/errors';

export interface SecretCipher {
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
}

export function keychainCipher(): SecretCipher {
  const usable =
    safeStorage.isEncryptionAvailable() &&
    (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  if (!usable) {
    throw new AppError(
      'NO_KEYCHAIN',
      'no OS keychain is available to protect secrets: install and unlock gnome-keyring or KWallet, or use an ssh-agent instead of passwords',
    );
  }
  return {
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (sealed) => safeStorage.decryptString(sealed),
  };
}
