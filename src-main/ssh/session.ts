// One authenticated SSH connection to a board (through its jump host when it has one): run
// commands and get their exit codes, open SFTP. Every connection goes through HostTrust, and
// every failure becomes an AppError a user can act on (UNREACHABLE, AUTH_FAILED, HOST_KEY_*).
import type { AuthHandlerMiddleware, Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { Readable } from 'node:stream';
import { AppError } from '../contract/errors';
import { describeBoard, passwordSecretKey, type Endpoint } from '../inventory/boardRecord';
import { authMethodFor, type CredentialSources } from './credentials';
import type { HostTrust } from './host-trust';
import { loadSsh2 } from './library';

export interface ConnectOptions {
  trust: HostTrust;
  credentials: CredentialSources;
  signal?: AbortSignal;
  /** How long the TCP connect, handshake and login may take (a prompt counts too). */
  readyTimeoutMs?: number;
}

/** A board to reach: its own login, and optionally the jump host in front of it. */
export interface Target extends Endpoint {
  name: string;
  jump?: Endpoint;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cancelled(what: string): AppError {
  return new AppError('CANCELLED', `${what} was cancelled`);
}

const MAX_OUTPUT = 8 * 1024 * 1024;

function connectError(
  err: Error & { level?: string; code?: string | number },
  label: string,
  endpoint: Endpoint,
): AppError {
  if (err.level === 'client-authentication') {
    return new AppError(
      'AUTH_FAILED',
      `${label} refused the ${endpoint.auth.type} login as "${endpoint.user}"; check the user name and the ${endpoint.auth.type === 'key' ? 'key (is its public half in authorized_keys?)' : endpoint.auth.type === 'agent' ? 'keys loaded in the ssh-agent' : 'password'}`,
    );
  }
  const where = `${endpoint.host}:${endpoint.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new AppError(
        'UNREACHABLE',
        `nothing accepts SSH connections at ${where} (connection refused); check the address and that sshd runs on ${label}`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AppError(
        'UNREACHABLE',
        `cannot resolve ${endpoint.host}; check the host name of ${label}`,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new AppError(
        'UNREACHABLE',
        `${where} cannot be reached (${err.code}); check that ${label} is powered and on this network`,
      );
  }
  if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
    return new AppError(
      'UNREACHABLE',
      `${label} did not complete the SSH handshake in time; check that it is up and that ${where} is its SSH port`,
    );
  }
  if (err.level === 'handshake') {
    return new AppError(
      'SSH_HANDSHAKE_FAILED',
      `cannot agree on SSH algorithms with ${label} (${err.message}); its sshd may be too old`,
    );
  }
  return new AppError('UNREACHABLE', `the SSH connection to ${label} failed: ${err.message}`);
}

async function connectClient(
  endpoint: Endpoint,
  label: string,
  opts: ConnectOptions,
  sock?: Readable,
): Promise<Client> {
  if (opts.signal?.aborted) throw cancelled(`connecting to ${label}`);
  const check = opts.trust.check(label, endpoint.host, endpoint.port);
  const client = new (await loadSsh2()).Client();
  // Credentials are looked up when the server asks for them, after its host key was accepted,
  // so nobody types a password for a host they have not trusted yet.
  let authProblem: AppError | null = null;
  let asked = false;
  const authHandler: AuthHandlerMiddleware = (_left, _partial, next) => {
    // One method only; ssh2 takes `false` for "no more methods", which its types leave out.
    const giveUp = (): void => (next as unknown as (m: false) => void)(false);
    if (asked) return giveUp();
    asked = true;
    authMethodFor(endpoint, label, opts.credentials).then(next, (err: unknown) => {
      authProblem =
        err instanceof AppError
          ? err
          : new AppError('AUTH_FAILED', `cannot log in to ${label}: ${(err as Error).message}`);
      giveUp();
    });
  };
  return new Promise<Client>((resolve, reject) => {
    const onAbort = (): void => {
      client.end();
      reject(cancelled(`connecting to ${label}`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(client);
    });
    client.once('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      client.end();
      const mapped = check.refusal() ?? authProblem ?? connectError(err, label, endpoint);
      // A wrong stored password must be asked for again next time, not retried forever.
      if (
        mapped.code === 'AUTH_FAILED' &&
        endpoint.auth.type !== 'key' &&
        endpoint.auth.type !== 'agent'
      ) {
        void opts.credentials.secrets.delete(passwordSecretKey(endpoint));
      }
      reject(mapped);
    });
    const serverHostKey = check.algorithms();
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      ...(sock ? { sock } : {}),
      hostVerifier: check.verify,
      ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
      authHandler,
      readyTimeout: opts.readyTimeoutMs ?? 20_000,
      // Boards on Wi-Fi drop idle connections; keepalives notice a dead one within ~30 s.
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
    });
  });
}

function forward(jump: Client, host: string, port: number, label: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, host, port, (err, channel) => {
      if (err)
        reject(
          new AppError(
            'UNREACHABLE',
            `the jump host cannot reach ${host}:${port} for ${label} (${err.message})`,
          ),
        );
      else resolve(channel);
    });
  });
}

/**
 * Runs `connect` on a socket to the board: a direct one, or a channel through its jump host,
 * whose client is returned to be kept (or ended) with the board's.
 */
async function reach<T>(
  target: Target,
  label: string,
  opts: ConnectOptions,
  connect: (sock?: ClientChannel) => Promise<T>,
): Promise<{ value: T; jump: Client | null }> {
  if (!target.jump) return { value: await connect(), jump: null };
  const { jump: via } = target;
  const jump = await connectClient(
    via,
    `the jump host ${via.user}@${via.host}:${via.port} of ${target.name}`,
    opts,
  );
  try {
    const channel = await forward(jump, target.host, target.port, label);
    return { value: await connect(channel), jump };
  } catch (err) {
    jump.end();
    throw err;
  }
}

export class SshSession {
  private sftpSession: Promise<SFTPWrapper> | null = null;

  private constructor(
    readonly label: string,
    private readonly client: Client,
    private readonly jumpClient: Client | null,
  ) {}

  static async open(target: Target, opts: ConnectOptions): Promise<SshSession> {
    const label = describeBoard(target);
    const { value, jump } = await reach(target, label, opts, (sock) =>
      connectClient(target, label, opts, sock),
    );
    return new SshSession(label, value, jump);
  }

  /** Runs a shell command line; a non-zero exit is a result, not an error. */
  exec(
    command: string,
    opts: { signal?: AbortSignal; stdin?: string | Buffer } = {},
  ): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(cancelled(`running a command on ${this.label}`));
      this.client.exec(command, (err, stream) => {
        if (err)
          return reject(
            new AppError(
              'SSH_CHANNEL_FAILED',
              `${this.label} refused to run a command (${err.message})`,
            ),
          );
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let size = 0;
        const keep = (into: Buffer[]) => (d: Buffer) => {
          size += d.length;
          if (size <= MAX_OUTPUT) into.push(d);
        };
        stream.on('data', keep(out));
        stream.stderr.on('data', keep(errOut));
        let code = -1;
        stream.on('exit', (c: number | null, signal?: string) => {
          code = c ?? (signal ? 128 : -1);
        });
        const onAbort = (): void => {
          stream.signal('KILL');
          stream.close();
          reject(cancelled(`running a command on ${this.label}`));
        };
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('close', () => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve({
            code,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
          });
        });
        stream.end(opts.stdin);
      });
    });
  }

  /** Runs a command that must succeed; `what` says in words what it was for. */
  async run(
    command: string,
    what: string,
    opts: { signal?: AbortSignal; stdin?: string | Buffer } = {},
  ): Promise<string> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) {
      const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-1)[0] ?? '';
      throw new AppError(
        'REMOTE_COMMAND_FAILED',
        `${what} failed on ${this.label} (exit ${r.code}${detail ? `: ${detail}` : ''})`,
      );
    }
    return r.stdout;
  }

  /**
   * Whether something on the board accepts TCP connections on its own 127.0.0.1:`port`; null
   * when the board's sshd forbids forwarding (AllowTcpForwarding no), so nobody can tell this way.
   */
  listens(port: number): Promise<boolean | null> {
    return new Promise((resolve) => {
      this.client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, channel) => {
        // RFC 4254 reason 1: SSH_OPEN_ADMINISTRATIVELY_PROHIBITED.
        if (err) return resolve((err as Error & { reason?: number }).reason === 1 ? null : false);
        channel.close();
        resolve(true);
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (err)
          reject(
            new AppError(
              'SFTP_UNAVAILABLE',
              `${this.label} has no SFTP subsystem (${err.message}); enable "Subsystem sftp" in its sshd_config`,
            ),
          );
        else resolve(sftp);
      });
    });
    return this.sftpSession;
  }

  close(): void {
    this.client.end();
    this.jumpClient?.end();
  }
}
