// Turns an endpoint's Auth into the one ssh2 authentication method to try. One method, not ssh2's
// default cascade, so a failure names the thing to fix. Secrets come from the SecretStore, or are
// asked for once and kept there for the rest of the run.
import { readFile } from 'node:fs/promises';
import type { AnyAuthMethod } from 'ssh2';
import { loadSsh2 } from './library';
import { AppError } from '../contract/errors';
import { passphraseSecretKey, passwordSecretKey, type Endpoint } from '../inventory/boardRecord';
import type { SecretStore } from '../inventory/secrets';
import type { Prompter } from './prompter';

export interface CredentialSources {
  secrets: SecretStore;
  prompter: Prompter;
  env?: NodeJS.ProcessEnv;
}

function authFailed(label: string, what: string): AppError {
  return new AppError('AUTH_FAILED', `cannot log in to ${label}: ${what}`);
}

async function secretFor(
  key: string,
  question: string,
  label: string,
  src: CredentialSources,
  what: string,
  /** The code when nobody can be asked: the app asks in a dialog on PASSPHRASE_NEEDED. */
  missingCode = 'AUTH_FAILED',
): Promise<string> {
  const known = await src.secrets.get(key);
  if (known !== undefined) return known;
  const typed = await src.prompter.secret(question);
  if (typed === null)
    throw new AppError(
      missingCode,
      `cannot log in to ${label}: ${what} is needed, none is stored and there is no terminal to ask it on; run on a terminal, save it in the app, or log in with a key or the ssh-agent`,
    );
  await src.secrets.set(key, typed);
  return typed;
}

async function readKey(file: string, label: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw authFailed(
      label,
      `cannot read the key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); fix the path with \`mchair devices add ... --key FILE\``,
    );
  }
}

/**
 * Whether `passphrase` opens the private key in `file`: the app checks a passphrase before it
 * keeps it, so a typo is said at once and not at the next login.
 */
export async function checkPassphrase(file: string, passphrase: string): Promise<void> {
  const problem = await keyProblem(await readKey(file, file), passphrase);
  if (problem !== null)
    throw new AppError(
      'PASSPHRASE_WRONG',
      `that passphrase does not open ${file} (${problem}); type it again`,
    );
}

/** ssh2 reports a wrong or missing passphrase as an Error returned by parseKey. */
async function keyProblem(data: Buffer, passphrase?: string): Promise<string | null> {
  const parsed = (await loadSsh2()).default.utils.parseKey(data, passphrase);
  return parsed instanceof Error ? parsed.message : null;
}

export async function authMethodFor(
  endpoint: Endpoint,
  label: string,
  src: CredentialSources,
): Promise<AnyAuthMethod> {
  const { auth, user: username } = endpoint;
  switch (auth.type) {
    case 'key': {
      const key = await readKey(auth.file, label);
      const problem = await keyProblem(key);
      if (problem === null) return { type: 'publickey', username, key };
      if (!/encrypted|passphrase/i.test(problem))
        throw authFailed(label, `${auth.file} is not a private key ssh2 can read (${problem})`);
      const secretKey = passphraseSecretKey(auth.file);
      const passphrase = await secretFor(
        secretKey,
        `Passphrase for ${auth.file}: `,
        label,
        src,
        `the passphrase of ${auth.file}`,
        'PASSPHRASE_NEEDED',
      );
      if ((await keyProblem(key, passphrase)) !== null) {
        await src.secrets.delete(secretKey);
        throw authFailed(label, `the passphrase for ${auth.file} is wrong`);
      }
      return { type: 'publickey', username, key, passphrase };
    }
    case 'agent': {
      const agent = auth.socket ?? (src.env ?? process.env).SSH_AUTH_SOCK;
      if (!agent)
        throw authFailed(
          label,
          'no ssh-agent is running (SSH_AUTH_SOCK is not set); start one and `ssh-add` your key, or give the device a key file',
        );
      return { type: 'agent', username, agent };
    }
    case 'password': {
      const password = await secretFor(
        passwordSecretKey(endpoint),
        `Password for ${username}@${endpoint.host}: `,
        label,
        src,
        'a password',
      );
      return { type: 'password', username, password };
    }
    case 'keyboard-interactive':
      return {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, instructions, _lang, prompts, finish) => {
          // PAM's one "Password:" prompt is answered with the stored password; anything else
          // (an OTP, a second factor) is asked of the user each time.
          Promise.all(
            prompts.map((p) =>
              /password/i.test(p.prompt)
                ? secretFor(
                    passwordSecretKey(endpoint),
                    `${instructions ? `${instructions}\n` : ''}${username}@${endpoint.host} ${p.prompt}`,
                    label,
                    src,
                    'a password',
                  )
                : src.prompter.secret(`${label}: ${p.prompt}`).then((a) => a ?? ''),
            ),
          ).then(finish, () => finish([]));
        },
      };
  }
}
