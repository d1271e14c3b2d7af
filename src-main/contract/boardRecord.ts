// What the lab knows about one board before it connects: where it is, who to log in as, how to
// authenticate, and what the agent will listen on. In the contract because `mchair devices list
// --json` and `devices add` show whole records; secrets are never part of one: a password or
// passphrase lives in a SecretStore (Electron safeStorage) or is asked for when needed.
import { z } from 'zod';

/** The port a board's agent listens on unless its inventory entry says another. */
export const DEFAULT_AGENT_PORT = 7700;

/**
 * A device's name is also its agent's id and the common name of its TLS certificate, so it keeps
 * to the characters those allow.
 */
export const BoardName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'use 1-64 letters, digits, dot, dash or underscore, starting with a letter or digit',
  );

// A host is a DNS name or an address; nothing that a shell or ssh's own parser could misread.
export const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a host name or IP address (letters, digits, . _ : -)')
  .refine((h) => !h.startsWith('-'), 'a host cannot start with "-"');

export const Port = z.coerce.number().int().min(1).max(65_535);

// POSIX portable user names, plus the `$` that Samba machine accounts end with.
export const UserName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z_][A-Za-z0-9._-]*\$?$/, 'a Unix user name (letters, digits, . _ -)');

/** How to authenticate; tried in this one way only, so a failure says exactly what to fix. */
export const Auth = z.discriminatedUnion('type', [
  // The key file stays where the user keeps it; its passphrase, if any, is a secret.
  z.object({ type: z.literal('key'), file: z.string().min(1) }).strict(),
  // SSH_AUTH_SOCK unless a socket path is given.
  z.object({ type: z.literal('agent'), socket: z.string().min(1).optional() }).strict(),
  z.object({ type: z.literal('password') }).strict(),
  z.object({ type: z.literal('keyboard-interactive') }).strict(),
]);
export type Auth = z.output<typeof Auth>;

/** One SSH login: a board, or the jump host in front of it. */
export const Endpoint = z
  .object({
    host: HostName,
    port: Port.default(22),
    user: UserName,
    auth: Auth.default({ type: 'agent' }),
  })
  .strict();
export type Endpoint = z.output<typeof Endpoint>;

export const BoardRecord = z
  .object({
    name: BoardName,
    host: HostName,
    port: Port.default(22),
    user: UserName,
    auth: Auth.default({ type: 'agent' }),
    jump: Endpoint.optional(),
    agentPort: Port.default(DEFAULT_AGENT_PORT),
    /** A planner device profile (pi3, pi4, tx2, ...); the probe picks one when absent. */
    profile: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/)
      .max(40)
      .optional(),
    /** Where the agent lives on the board; relative paths are under the user's home. */
    remoteDir: z
      .string()
      .min(1)
      .max(255)
      .refine((p) => !p.includes('\0'))
      .default('.mchair-agent'),
  })
  .strict();
export type BoardRecord = z.output<typeof BoardRecord>;
export type BoardRecordInput = z.input<typeof BoardRecord>;

/** The label people read: `pi-03 (pi@10.0.0.3:22)`. */
export function describeBoard(d: Pick<BoardRecord, 'name' | 'host' | 'port' | 'user'>): string {
  return `${d.name} (${d.user}@${d.host}:${d.port})`;
}
