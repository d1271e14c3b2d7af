// `mchair devices add NAME --host H --user U ...`: one board into the inventory, its login from the
// flags, through the core's devices/add.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { DeviceForm } from '../../contract/lab';
import { describeBoard } from '../../contract/boardRecord';
import { action, UsageError, withCommonOptions } from '../framework';
import { withInventoryOption, inventoryPath } from './boardFlags';

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

/** The Add form the flags fill in: key files and sockets as absolute paths (the core checks the rest). */
function formFromFlags(name: string, f: z.output<typeof AddFlags>): z.input<typeof DeviceForm> {
  const chosen = [
    f.key !== undefined,
    f.password === true,
    f.keyboardInteractive === true,
    f.agentSocket !== undefined,
  ].filter(Boolean).length;
  if (chosen > 1)
    throw new UsageError('choose one of --key, --password, --keyboard-interactive, --agent-socket');
  if (f.jumpKey !== undefined && f.jump === undefined)
    throw new UsageError('--jump-key needs --jump');
  const auth =
    f.key !== undefined
      ? 'key'
      : f.password
        ? 'password'
        : f.keyboardInteractive
          ? 'keyboard-interactive'
          : 'agent';
  return {
    name,
    host: f.host,
    // A port that is no number fails the contract's check, which names device.port.
    ...(f.port !== undefined ? { port: Number(f.port) } : {}),
    user: f.user,
    auth,
    ...(f.key !== undefined ? { keyFile: resolve(f.key) } : {}),
    ...(f.agentSocket !== undefined ? { agentSocket: resolve(f.agentSocket) } : {}),
    ...(f.agentPort !== undefined ? { agentPort: Number(f.agentPort) } : {}),
    ...(f.profile !== undefined ? { profile: f.profile } : {}),
    ...(f.jump !== undefined ? { jump: f.jump } : {}),
    ...(f.jumpKey !== undefined ? { jumpKey: resolve(f.jumpKey) } : {}),
    ...(f.remoteDir !== undefined ? { remoteDir: f.remoteDir } : {}),
  };
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
        const inventory = inventoryPath(ctx);
        const { device } = await ctx.core.call('devices/add', {
          device: formFromFlags(ctx.args[0] ?? '', f),
          replace: f.replace === true,
          ...(ctx.opts.inventory !== undefined ? { inventory } : {}),
        });
        return { added: device.record!, inventory };
      },
      (r) => `added ${describeBoard(r.added)} to ${r.inventory}`,
    ),
  );
}
