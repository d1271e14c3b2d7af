// `mchair devices ...`: the lab's boards. add, list, remove and import edit the inventory (the
// data folder's, or the file named by --inventory); probe and logs connect to the boards.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  AppError,
  describeBoardState,
  InputError,
  type BoardState,
  type WireError,
} from '../../contract/index';
import { defaultBoardStatesPath, loadBoardStates } from '../../inventory/boardStates';
import { type Auth, type DeviceInput, describeDevice, type Device } from '../../inventory/device';
import { parseImport, parseJump } from '../../inventory/import';
import { scanSubnet } from '../../inventory/lan-scan';
import { discoverMdns } from '../../inventory/mdns';
import { defaultInventoryPath, Inventory } from '../../inventory/inventory';
import { MemorySecretStore } from '../../inventory/secrets';
import { controlService, readAgentLogs, type ServiceAction } from '../../provision/service';
import { nodeTarballs } from '../../provision/board-node';
import { probeDevice, type ProbeReport } from '../../provision/probe';
import type { RunBoards } from '../../provision/runParts';
import { Connector } from '../../ssh/connector';
import { TerminalPrompter, type Prompter } from '../../ssh/prompter';
import { action, type ActionContext, UsageError, withCommonOptions } from '../framework';
import { registerDevicesReboot } from './devicesReboot';
import { registerDevicesShutdown } from './devicesShutdown';
import { registerDevicesUninstall } from './devicesUninstall';

/** --inventory FILE, on every command that reads or edits devices. */
export function withInventoryOption(cmd: Command): Command {
  return cmd.option('--inventory <file>', "use this inventory file instead of the data folder's");
}

/** --accept-new, on every command that connects. */
export function withTrustOption(cmd: Command): Command {
  return cmd.option(
    '--accept-new',
    'trust and remember host keys never seen before (changed keys are still refused)',
  );
}

export function inventoryPath(ctx: ActionContext): string {
  const file = z.string().min(1).optional().parse(ctx.opts.inventory);
  return file ? resolve(file) : defaultInventoryPath(ctx.dataDir);
}

export async function openInventory(ctx: ActionContext): Promise<Inventory> {
  return Inventory.load(inventoryPath(ctx));
}

/** Load, change, save under the inventory's lock (another command may be editing it too). */
export function editInventory<T>(ctx: ActionContext, change: (inv: Inventory) => T): Promise<T> {
  return Inventory.edit(inventoryPath(ctx), change);
}

/** `--devices NAMES|all`: those boards of the inventory, and the SSH connector that reaches them. */
export async function boardsFor(ctx: ActionContext, spec: string): Promise<RunBoards> {
  const names = spec === 'all' ? [] : spec.split(',').filter(Boolean);
  return {
    devices: (await openInventory(ctx)).select(names),
    connector: await connectorFor(ctx),
    ...(spec === 'all' ? { inventory: inventoryPath(ctx) } : {}),
  };
}

/** Headless: secrets are asked on the terminal and forgotten when the command ends. */
export function connectorFor(
  ctx: ActionContext,
  prompter: Prompter = TerminalPrompter.ifInteractive(),
): Promise<Connector> {
  const interactive = prompter instanceof TerminalPrompter;
  return Connector.create({
    dataDir: ctx.dataDir,
    acceptNew: ctx.opts.acceptNew === true,
    prompter,
    secrets: new MemorySecretStore(),
    // Time spent answering a prompt counts against the handshake time-out.
    readyTimeoutMs: interactive ? 120_000 : 20_000,
  });
}

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

function row(d: Device, state: BoardState | null): Record<string, string> {
  return {
    name: d.name,
    login: `${d.user}@${d.host}:${d.port}`,
    auth: d.auth.type === 'key' ? `key ${d.auth.file}` : d.auth.type,
    via: d.jump ? `${d.jump.user}@${d.jump.host}:${d.jump.port}` : '-',
    agent: String(d.agentPort),
    profile: d.profile ?? '(probe)',
    state: describeBoardState(state),
  };
}

function table(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0)
    return 'no devices yet: add one with `mchair devices add NAME --host H --user U`';
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(cols.map((c) => c.toUpperCase())),
    ...rows.map((r) => line(cols.map((c) => r[c]!))),
  ].join('\n');
}

function failureLine(name: string, e: WireError): string {
  return `${name}: FAILED ${e.code}: ${e.message}`;
}

type StateRow = { name: string; mode: string; state: string } | { name: string; error: WireError };

function showStates(r: { devices: StateRow[] }): string {
  return r.devices
    .map((d) => ('error' in d ? failureLine(d.name, d.error) : `${d.name}: ${d.state} (${d.mode})`))
    .join('\n');
}

/**
 * Ends a command that worked on several devices: with every device fine, returns the document for
 * `action()` to print; otherwise prints it itself (stdout keeps its one document) and exits 1
 * through an error naming the failed devices.
 */
export function finishEach<D extends { devices: ReadonlyArray<object> }>(
  ctx: ActionContext,
  doc: D,
  present: (doc: D) => string,
): D {
  const failed = doc.devices.flatMap((d) => {
    const e = failureOf(d);
    return e
      ? [`${'name' in d ? String(d.name) : 'device' in d ? String(d.device) : '?'} (${e})`]
      : [];
  });
  if (failed.length === 0) return doc;
  process.stdout.write(ctx.json ? `${JSON.stringify(doc)}\n` : `${present(doc)}\n`);
  throw new AppError(
    'DEVICES_FAILED',
    `${failed.length} of ${doc.devices.length} device(s) failed: ${failed.join(', ')}`,
  );
}

function failureOf(d: object): string | null {
  if ('error' in d && d.error && typeof d.error === 'object' && 'code' in d.error)
    return String(d.error.code);
  if ('status' in d && d.status === 'failed' && 'code' in d) return String(d.code);
  return null;
}

function showProbe(r: ProbeReport): string {
  const p = r.probe;
  const gb = (n: number | null) => (n === null ? '?' : `${(n / 1e9).toFixed(1)} GB`);
  return [
    `${r.device}: ${p.board ?? 'unknown board'}, ${p.os.prettyName ?? 'unknown OS'}`,
    `  cpu      ${p.arch}, ${p.cpuModel ?? 'unknown model'}, ${p.cores ?? '?'} cores`,
    `  memory   ${gb(p.memTotalBytes)}, disk free ${gb(p.diskFreeBytes)}`,
    `  glibc    ${p.glibc ?? 'none found'}, node ${p.nodeVersion ?? 'not installed'}, systemd ${p.systemdUser ? 'yes' : 'no'}, xz ${p.xz ? 'yes' : 'no'}`,
    `  profile  ${r.verdict.profile}, runtime ${r.verdict.runtime}`,
    ...r.verdict.notes.map((n) => `  note     ${n}`),
    ...(r.verdict.problem
      ? [`  problem  ${r.verdict.problem.code}: ${r.verdict.problem.message}`]
      : []),
  ].join('\n');
}

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description(
      'the boards of the farm: add, list, import, probe, logs, reboot, shutdown, uninstall',
    );

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
        const input: DeviceInput = {
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
      (r) => `added ${describeDevice(r.added)} to ${r.inventory}`,
    ),
  );

  withCommonOptions(
    withInventoryOption(devices.command('list').description('list the boards')),
  ).action(
    action(
      async (ctx) => {
        const inv = await openInventory(ctx);
        const states = await loadBoardStates(defaultBoardStatesPath(ctx.dataDir));
        return {
          inventory: inv.path,
          devices: inv.list(),
          /** What each board last said about itself (refresh, provisioning, an action). */
          states: Object.fromEntries(states),
        };
      },
      (r) => table(r.devices.map((d) => row(d, r.states[d.name] ?? null))),
    ),
  );

  withCommonOptions(
    withInventoryOption(
      devices.command('remove <name>').description('remove a board from the inventory'),
    ),
  ).action(
    action(
      async (ctx) => {
        const removed = await editInventory(ctx, (inv) => inv.remove(ctx.args[0] ?? ''));
        return { removed: removed.name, inventory: inventoryPath(ctx) };
      },
      (r) => `removed ${r.removed} from ${r.inventory}`,
    ),
  );

  withCommonOptions(
    withInventoryOption(
      devices
        .command('import <file>')
        .description(
          'add boards from a CSV file (name,host,user,port,auth,key,agent_port,profile,jump) or an ssh config',
        )
        .option('--replace', 'replace devices of the same name'),
    ),
  ).action(
    action(
      async (ctx) => {
        const file = resolve(ctx.args[0] ?? '');
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch {
          throw new InputError(`cannot read ${file}`);
        }
        const devices = parseImport(file, text);
        // Validate every row before saving any, so a bad line leaves the inventory untouched.
        const added = await editInventory(ctx, (inv) =>
          devices.map((d) => {
            try {
              return inv.add(d, { replace: ctx.opts.replace === true });
            } catch (err) {
              // Name the entry at fault: "device.host: ..." alone does not say which of 40 rows.
              if (err instanceof AppError)
                throw new AppError(
                  err.code,
                  `${file}: device ${JSON.stringify(d.name)}: ${err.message.replace(/^device\./, '')}`,
                );
              throw err;
            }
          }),
        );
        return { imported: added.map((d) => d.name), inventory: inventoryPath(ctx) };
      },
      (r) =>
        `imported ${r.imported.length} device(s) into ${r.inventory}: ${r.imported.join(', ')}`,
    ),
  );

  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        devices
          .command('probe [names...]')
          .description('connect and report what each board is and what it can run'),
      ),
    ),
  ).action(
    action(
      async (ctx) => {
        const inv = await openInventory(ctx);
        const connector = await connectorFor(ctx);
        // The verdict names the Node provisioning would push: the app's own, for the board's CPU.
        const nodes = await nodeTarballs([]);
        const results = await connector.each(inv.select(ctx.args), (s, d) =>
          probeDevice(s, d, { nodes }),
        );
        const devices = results.map((r) => (r.ok ? r.value : { device: r.device, error: r.error }));
        return finishEach(ctx, { devices }, (doc) =>
          doc.devices
            .map((d) => ('error' in d ? failureLine(d.device, d.error) : showProbe(d)))
            .join('\n\n'),
        );
      },
      (r) =>
        r.devices
          .map((d) => ('error' in d ? failureLine(d.device, d.error) : showProbe(d)))
          .join('\n\n'),
    ),
  );

  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        devices
          .command('logs <name>')
          .description("print the last lines of a board's agent log")
          .option('--lines <n>', 'how many lines', '200'),
      ),
    ),
  ).action(
    action(
      async (ctx) => {
        const { lines } = ctx.options(
          z.object({ lines: z.coerce.number().int().min(1).max(100_000) }).loose(),
        );
        const inv = await openInventory(ctx);
        const device = inv.get(ctx.args[0] ?? '');
        const connector = await connectorFor(ctx);
        return {
          device: device.name,
          ...(await connector.with(device, (s) => readAgentLogs(s, device, lines))),
        };
      },
      (r) => r.text.trimEnd(),
    ),
  );

  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        devices
          .command('service <action> [names...]')
          .description(
            'start, stop, restart, status or uninstall the agent on boards (all when no name is given)',
          ),
      ),
    ),
  ).action(
    action(async (ctx) => {
      const act = z
        .enum(['start', 'stop', 'restart', 'status', 'uninstall'])
        .safeParse(ctx.args[0]);
      if (!act.success)
        throw new UsageError('action must be start, stop, restart, status or uninstall');
      const inv = await openInventory(ctx);
      const connector = await connectorFor(ctx);
      const results = await connector.each(inv.select(ctx.args.slice(1)), (s, d) =>
        controlService(s, d, act.data as ServiceAction),
      );
      const devices = results.map((r) =>
        r.ok ? { name: r.device, ...r.value } : { name: r.device, error: r.error },
      );
      return finishEach(ctx, { devices }, showStates);
    }, showStates),
  );

  withCommonOptions(
    devices
      .command('scan <subnet>')
      .description(
        'look for SSH servers on a subnet of your lab (at most a /22), e.g. 192.168.1.0/24',
      )
      .option('--port <port>', 'SSH port to try', '22')
      .option('--timeout <ms>', 'time-out per address', '1500'),
  ).action(
    action(
      async (ctx) => {
        const f = ctx.options(
          z
            .object({
              port: z.coerce.number().int().min(1).max(65_535),
              timeout: z.coerce.number().int().min(50).max(30_000),
            })
            .loose(),
        );
        const found = await scanSubnet({
          subnet: ctx.args[0] ?? '',
          port: f.port,
          timeoutMs: f.timeout,
        });
        return { subnet: ctx.args[0], found };
      },
      (r) =>
        r.found.length === 0
          ? `no SSH server answered on ${r.subnet}`
          : [
              ...r.found.map((h) => `${h.host}:${h.port}  ${h.banner}`),
              'add one with `mchair devices add NAME --host ADDRESS --user USER`',
            ].join('\n'),
    ),
  );

  withCommonOptions(
    devices
      .command('discover')
      .description('list boards that announce themselves with mDNS (avahi) on the local network')
      .option('--interface <address>', 'address of the interface that faces the lab network')
      .option('--timeout <ms>', 'how long to listen', '3000'),
  ).action(
    action(
      async (ctx) => {
        const f = ctx.options(
          z
            .object({
              interface: z.ipv4().optional(),
              timeout: z.coerce.number().int().min(200).max(60_000),
            })
            .loose(),
        );
        const found = await discoverMdns({
          timeoutMs: f.timeout,
          ...(f.interface ? { interfaceAddress: f.interface } : {}),
        });
        return { found };
      },
      (r) =>
        r.found.length === 0
          ? 'no board announced itself (mDNS may not cross this network: try `mchair devices scan SUBNET`)'
          : r.found
              .map((h) => `${h.host}  ${h.addresses.join(', ') || '(no address)'}  port ${h.port}`)
              .join('\n'),
    ),
  );
  registerDevicesReboot(devices);
  registerDevicesShutdown(devices);
  registerDevicesUninstall(devices);
}
