// Everything a caller needs to open sessions to the lab's boards, set up once: the app's
// known_hosts, the trust policy, where secrets come from and who to ask. The CLI builds one from
// its flags; the Electron app builds one with its safeStorage SecretStore and a modal Prompter.
import { toWireError, type WireError } from '../contract/index';
import type { BoardRecord } from '../inventory/boardRecord';
import { defaultKnownHostsPath, KnownHosts } from '../inventory/known-hosts';
import type { SecretStore } from '../inventory/secrets';
import { HostTrust } from './host-trust';
import type { Prompter } from './prompter';
import { SshSession, type ConnectOptions } from './session';

export interface ConnectorOptions {
  dataDir: string;
  /** Defaults to `<dataDir>/known_hosts`. */
  knownHostsFile?: string;
  acceptNew: boolean;
  /** Fingerprints of new host keys the user confirmed (see TrustPolicy.confirmed). */
  confirmed?: readonly string[];
  /** Fingerprints of new host keys trusted for these connections only (TrustPolicy.acceptedOnce). */
  acceptedOnce?: readonly string[];
  prompter: Prompter;
  /** What to do about an unknown host key (TrustPolicy.trustHow). */
  trustHow?: string;
  secrets: SecretStore;
  readyTimeoutMs?: number;
}

/** Where the app trusts a board's key: Provision and a run's Start ask, showing its fingerprint. */
export const APP_TRUST_HOW =
  "trust it when the app asks (Provision in the Farm view and Start run on the lab's boards show its fingerprint)";

export class Connector {
  private constructor(private readonly base: Omit<ConnectOptions, 'signal'>) {}

  static async create(opts: ConnectorOptions): Promise<Connector> {
    const knownHosts = await KnownHosts.load(
      opts.knownHostsFile ?? defaultKnownHostsPath(opts.dataDir),
    );
    return new Connector({
      trust: new HostTrust(knownHosts, {
        acceptNew: opts.acceptNew,
        confirmed: new Set(opts.confirmed ?? []),
        acceptedOnce: new Set(opts.acceptedOnce ?? []),
        prompter: opts.prompter,
        ...(opts.trustHow ? { trustHow: opts.trustHow } : {}),
      }),
      credentials: { secrets: opts.secrets, prompter: opts.prompter },
      ...(opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
    });
  }

  open(device: BoardRecord, signal?: AbortSignal): Promise<SshSession> {
    return SshSession.open(device, { ...this.base, ...(signal ? { signal } : {}) });
  }

  /** Opens a session, runs `fn`, and always closes it. */
  async with<T>(
    device: BoardRecord,
    fn: (s: SshSession) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const session = await this.open(device, signal);
    try {
      return await fn(session);
    } finally {
      session.close();
    }
  }

  /**
   * Runs `fn` on every device at once, each in its own session; one device's failure is its own
   * result and never stops the others.
   */
  each<T>(
    devices: readonly BoardRecord[],
    fn: (s: SshSession, d: BoardRecord) => Promise<T>,
  ): Promise<Array<EachResult<T>>> {
    return Promise.all(
      devices.map((d) =>
        this.with(d, (s) => fn(s, d)).then(
          (value): EachResult<T> => ({ device: d.name, ok: true, value }),
          // The board a failure is about rides in its fields: callers never read it from the sentence.
          (err: unknown): EachResult<T> => ({
            device: d.name,
            ok: false,
            error: { ...toWireError(err), board: d.name },
          }),
        ),
      ),
    );
  }
}

export type EachResult<T> =
  { device: string; ok: true; value: T } | { device: string; ok: false; error: WireError };
