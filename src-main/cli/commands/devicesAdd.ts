// `mchair devices add NAME --host H --user U ...`: one board into the inventory, its login from the
// flags.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { type Auth, type BoardRecordInput, describeBoard } from '../../inventory/boardRecord';
import { parseJump } from '../../inventory/import';
import { action, UsageError, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath, editInventory } from './boardFlags';

const AddFlags = z.object({
  host: z.string(),
  port: z.string().optional(),
  user: z.string(),
  key: z.string().optional(),
  password: z.boolean().optional(),
  keyboardInteractive: z.boolean().optional(),
  agentSocket: z.string().optional(),
  agentPort: z.string().optional(),
  profile: z.string().optional(),
  jump: z.string().optional(),
  jumpKey: z.string().optional(),
  remoteDir: z.string().optional(),
  replace: z.boolean().optional(),
});

function authFromFlags(f: z.output<typeof AddFlags>): Auth {
  const chosen = [
    f.key !== undefined,
    f.password === true,
    f.keyboardInteractive === true,
    f.agentSocket !== undefined,
  ].filter(Boolean).length;
  if (chosen > 1)
    throw new UsageError('choose one of --key, --password, --keyboard-interactive, --agent-socket');
  if (f.key !== undefined) return { type: 'key', file: resolve(f.key) };
  if (f.password) return { type: 'password' };
  if (f.keyboardInteractive) return { type: 'keyboard-interactive' };
  return f.agentSocket !== undefined
    ? { type: 'agent', socket: resolve(f.agentSocket) }
    : { type: 'agent' };
}

export function registerDevicesAdd(devices: Command): void {
  withCommonOptions(
    withInventoryOption(
      devices
        .command('add <name>')
        .description(
          'add a board (passwords are never stored in clear: they are asked for when needed)',
        )
        .requiredOption('--host <host>', 'address or DNS name')
        .option('--port <port>', 'SSH port', '22')
        .requiredOption('--user <user>', 'login user')
        .option('--key <file>', 'private key file (its passphrase, if any, is asked for)')
        .option('--password', "log in with a password (asked for, or kept in the app's keychain)")
        .option('--keyboard-interactive', 'log in with keyboard-interactive (PAM) prompts')
        .option(
          '--agent-socket <path>',
          'ssh-agent socket (default: $SSH_AUTH_SOCK; the ssh-agent is the default login)',
        )
        .option('--agent-port <port>', "TCP port the board's agent listens on")
        .option(
          '--profile <profile>',
          'device profile (pi3, pi4, pi5, tx2, ...); the probe picks one otherwise',
        )
        .option('--jump <user@host:port>', 'reach the board through this SSH jump host')
        .option('--jump-key <file>', 'private key for the jump host (default: the ssh-agent)')
        .option(
          '--remote-dir <dir>',
          'where the agent lives on the board (relative to the home folder)',
        )
        .option('--replace', 'replace a device of the same name'),
    ),
  ).action(
    action(
      async (ctx) => {
        const f = ctx.options(AddFlags);
        const input: BoardRecordInput = {
          name: ctx.args[0] ?? '',
          host: f.host,
          user: f.user,
          auth: authFromFlags(f),
        };
        if (f.port !== undefined) input.port = f.port;
        if (f.agentPort !== undefined) input.agentPort = f.agentPort;
        if (f.profile !== undefined) input.profile = f.profile;
        if (f.remoteDir !== undefined) input.remoteDir = f.remoteDir;
        if (f.jumpKey !== undefined && f.jump === undefined) {
          throw new UsageError('--jump-key needs --jump');
        }
        if (f.jump !== undefined) {
          const jump = parseJump(f.jump, '--jump');
          input.jump = f.jumpKey
            ? { ...jump, auth: { type: 'key', file: resolve(f.jumpKey) } }
            : jump;
        }
        const device = await editInventory(ctx, (inv) =>
          inv.add(input, { replace: f.replace === true }),
        );
        return { added: device, inventory: inventoryPath(ctx) };
      },
      (r) => `added ${describeBoard(r.added)} to ${r.inventory}`,
    ),
  );
}
