// Decides whether a board's host key is trusted, for every connection the app opens (ssh2
// accepts any key unless told otherwise). A known key passes; an unknown one is accepted only by
// the user (prompt, modal, or --accept-new) and then remembered, or let through for one
// connection without being remembered (the modal's "accept once"); a changed or revoked one is
// refused whatever the flags, with both fingerprints so the user can check which is right.
import type { Algorithms } from 'ssh2';
import { AppError } from '../contract/errors';
import type { KnownHosts, KnownKey } from '../inventory/known-hosts';
import type { HostKeyAnswer, Prompter } from './prompter';

export interface TrustPolicy {
  /** Remember keys of hosts never seen before without asking (`--accept-new`). */
  acceptNew: boolean;
  /**
   * Fingerprints the user has already confirmed elsewhere (the app's modal, after a
   * HOST_KEY_UNKNOWN): a new key with one of these is remembered without asking again.
   */
  confirmed?: ReadonlySet<string>;
  /**
   * Fingerprints the user trusted for this connection only ("accept once" in the app's modal): a
   * new key with one of these is let through and never written to known_hosts, so the next
   * connection asks again. A changed or revoked key is refused whatever is listed here.
   */
  acceptedOnce?: ReadonlySet<string>;
  prompter: Prompter;
  /**
   * What a refused unknown key's message tells the user to do once the fingerprint checks out:
   * the CLI's flag by default; the app points at its own dialog.
   */
  trustHow?: string;
}

/** How the CLI trusts a key: the flag, on the next run. */
const CLI_TRUST_HOW = 'run again with --accept-new';

/** One connection's verifier, plus the reason it refused (ssh2 only reports "verification failed"). */
export interface HostCheck {
  verify(key: Buffer, done: (ok: boolean) => void): void;
  refusal(): AppError | null;
  /** Host key algorithms in the order to offer them: the ones already trusted first. */
  algorithms(): Algorithms['serverHostKey'];
}

// An RSA key is signed with one of three algorithms; the others are named after their key type.
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/** The host-key question, with "once" where the prompter offers it. */
async function ask(prompter: Prompter, question: string): Promise<HostKeyAnswer | null> {
  if (prompter.hostKey) return prompter.hostKey(question);
  const yes = await prompter.confirm(question);
  return yes === null ? null : yes ? 'remember' : 'reject';
}

function show(k: KnownKey): string {
  return `${k.keyType} ${k.fingerprint}`;
}

export class HostTrust {
  constructor(
    readonly knownHosts: KnownHosts,
    private readonly policy: TrustPolicy,
  ) {}

  /** `label` is how the user knows the board, e.g. `pi-03 (pi@10.0.0.3:22)`. */
  check(label: string, host: string, port: number): HostCheck {
    let refusal: AppError | null = null;
    const refuse = (err: AppError): boolean => {
      refusal = err;
      return false;
    };
    /** Where the key was presented and which it was, as the error's fields. */
    const at = (presented: KnownKey) => ({ host, port, presented });
    const decide = async (key: Buffer): Promise<boolean> => {
      const result = this.knownHosts.check(host, port, key);
      switch (result.status) {
        case 'match':
          return true;
        case 'revoked':
          return refuse(
            new AppError(
              'HOST_KEY_REVOKED',
              `${label} presented a revoked host key (${show(result.presented)}); it is refused, reinstall the board's host keys`,
              { details: { code: 'HOST_KEY_REVOKED', ...at(result.presented) } },
            ),
          );
        case 'changed':
          return refuse(
            new AppError(
              'HOST_KEY_CHANGED',
              `the host key of ${label} has changed: known ${result.known.map(show).join(', ')}, now ${show(result.presented)}; this can be a man-in-the-middle attack, so the connection is refused. If the board was reinstalled, check the new fingerprint on its console and remove its old line from ${this.knownHosts.path}`,
              {
                details: {
                  code: 'HOST_KEY_CHANGED',
                  ...at(result.presented),
                  known: result.known,
                },
              },
            ),
          );
        case 'unknown': {
          if (this.policy.acceptedOnce?.has(result.presented.fingerprint)) return true;
          const answer =
            this.policy.acceptNew || this.policy.confirmed?.has(result.presented.fingerprint)
              ? 'remember'
              : await ask(
                  this.policy.prompter,
                  `The host key of ${label} is not known yet: ${show(result.presented)}. Trust it and remember it?`,
                );
          if (answer === null) {
            return refuse(
              new AppError(
                'HOST_KEY_UNKNOWN',
                `the host key of ${label} is not known yet (${show(result.presented)}); compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_${result.presented.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub\` on the board, then ${this.policy.trustHow ?? CLI_TRUST_HOW}`,
                { details: { code: 'HOST_KEY_UNKNOWN', ...at(result.presented) } },
              ),
            );
          }
          if (answer === 'once') return true;
          if (answer === 'reject')
            return refuse(
              new AppError(
                'HOST_KEY_REJECTED',
                `you did not trust the host key of ${label} (${show(result.presented)}); nothing was changed`,
                { details: { code: 'HOST_KEY_REJECTED', ...at(result.presented) } },
              ),
            );
          await this.knownHosts.add(host, port, key);
          return true;
        }
      }
    };
    return {
      verify: (key, done) => {
        decide(key).then(done, (err: unknown) => {
          refuse(
            err instanceof AppError
              ? err
              : new AppError(
                  'KNOWN_HOSTS_UNWRITABLE',
                  `cannot remember the host key of ${label}: ${(err as Error).message}`,
                ),
          );
          done(false);
        });
      },
      refusal: () => refusal,
      algorithms: () => {
        const preferred = this.knownHosts.knownKeyTypes(host, port).flatMap(algorithmsFor);
        if (preferred.length === 0) return undefined;
        // ssh2's `prepend` unshifts one name at a time, so the list goes in reversed.
        return {
          remove: preferred,
          prepend: [...preferred].reverse(),
        } as Algorithms['serverHostKey'];
      },
    };
  }
}
