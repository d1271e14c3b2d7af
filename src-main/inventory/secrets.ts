// Where passwords and key passphrases live, never in the inventory file. The Electron app
// implements SecretStore over safeStorage (and refuses to persist when the backend is
// `basic_text`); headless, secrets are asked for and kept only in this process's memory.
export interface SecretStore {
  /** True when what is set outlives this process (sealed on disk by the OS keychain). */
  readonly persistent: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The headless store: what the user typed once is reused for this run, and gone after it. */
export class MemorySecretStore implements SecretStore {
  readonly persistent = false;
  private readonly values = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}
