// `mchair provision [NAME... | --all]`: install or update the agent on boards, all at once, with
// per-device progress bars on a terminal (one line per step otherwise, nothing under --json) and
// a summary with a code and a sentence per failed device. Exit 1 if any device failed. Through
// the core (provision/start, its provision/progress events; Ctrl-C is provision/cancel).
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError } from '../../contract/errors';
import type {
  DeviceProgress,
  DeviceProvisionResult,
  ProvisionProgress,
} from '../../contract/provision';
import { TerminalPrompter } from '../../ssh/prompter';
import { action, collect, UsageError, withCommonOptions } from '../framework';
import { finishEach, openInventory, withInventoryOption, withTrustOption } from './boardFlags';

const Flags = z.object({
  all: z.boolean().optional(),
  agentBundle: z.string().optional(),
  partitions: z.string().optional(),
  nodeTarball: z.array(z.string()).default([]),
  systemService: z.boolean().optional(),
  concurrency: z.coerce.number().int().min(1).max(64).default(8),
});

function bar(fraction: number, width = 20): string {
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function mb(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MB`;
}

function progressLine(d: DeviceProgress, nameWidth: number): string {
  const bytes =
    d.step === 'upload' && d.bytesTotal > 0 ? ` ${mb(d.bytesDone)}/${mb(d.bytesTotal)}` : '';
  const tail = d.step === 'failed' || d.step === 'done' ? ` ${d.message ?? ''}` : bytes;
  return `${d.device.padEnd(nameWidth)} ${bar(d.fraction)} ${d.step.padEnd(7)}${tail}`.slice(
    0,
    (process.stderr.columns ?? 120) - 1,
  );
}

/**
 * Redraws one line per device in place on a terminal, at most ten times a second, and never
 * over a question being asked: after one, it starts again below the answer.
 */
function terminalProgress(prompter: TerminalPrompter): {
  update(s: ProvisionProgress): void;
  end(): void;
} {
  let drawn = 0;
  let last = 0;
  let questions = 0;
  let latest: ProvisionProgress | null = null;
  const draw = (): void => {
    if (!latest || prompter.asking) return;
    if (prompter.asked !== questions) {
      questions = prompter.asked;
      drawn = 0;
    }
    const width = Math.max(...latest.devices.map((d) => d.device.length));
    const lines = [
      ...latest.devices.map((d) => progressLine(d, width)),
      `overall ${bar(latest.overall, 30)} ${Math.round(latest.overall * 100)}%`,
    ];
    process.stderr.write(
      `${drawn ? `\x1b[${drawn}F` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`,
    );
    drawn = lines.length;
  };
  return {
    update: (s) => {
      latest = s;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    end: draw,
  };
}

function summary(results: readonly DeviceProvisionResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const head = `${r.name.padEnd(width)}  ${r.status === 'ok' ? 'ok    ' : 'FAILED'}`;
    if (r.status === 'failed') return `${head}  ${r.code}: ${r.message}`;
    const extra = [
      `${mb(r.bytesUploaded)} sent (model ${mb(r.modelBytesUploaded)}, Node ${mb(r.nodeBytesUploaded)})`,
      `${r.runtime} runtime`,
      `profile ${r.profile}`,
    ].join(', ');
    return `${head}  ${r.message}; ${extra}${r.notes.map((n) => `\n${' '.repeat(width + 10)}note: ${n}`).join('')}`;
  });
  const failed = results.filter((r) => r.status === 'failed').length;
  return [
    ...lines,
    failed
      ? `${failed} of ${results.length} device(s) failed`
      : `${results.length} device(s) provisioned`,
  ].join('\n');
}

export function registerProvision(program: Command): void {
  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        program
          .command('provision [names...]')
          .description(
            'install or update the agent, its runtime and the model partitions on boards, all in parallel',
          )
          .option('--all', 'every device of the inventory (the default when no name is given)')
          .option(
            '--agent-bundle <file>',
            'agent bundle to push (default: the one built with the app)',
          )
          .option(
            '--partitions <dir>',
            'a `mchair partition` folder whose parts are pushed to every board',
          )
          .option(
            '--node-tarball <file>',
            "a nodejs.org Linux tarball for boards of its CPU without a usable Node, instead of the app's own Node 20 (repeatable, one per CPU)",
            collect,
          )
          .option(
            '--system-service',
            'install a system unit where sudo works without a password (default: a user unit)',
          )
          .option('--concurrency <n>', 'boards provisioned at the same time', '8'),
      ),
    ),
  ).action(
    action(
      async (ctx) => {
        const f = ctx.options(Flags);
        if (f.all && ctx.args.length > 0)
          throw new UsageError('give device names or --all, not both');
        const inv = await openInventory(ctx);
        const devices = inv.select(ctx.args);
        if (devices.length === 0)
          throw new InputError(`no devices in ${inv.path}; add some with \`mchair devices add\``);
        const { prompter } = ctx.terminal;
        const live =
          !ctx.json && prompter instanceof TerminalPrompter ? terminalProgress(prompter) : null;
        const lastStep = new Map<string, string>();
        const off = ctx.core.on('provision/progress', (snapshot) => {
          if (live) return live.update(snapshot);
          // Without a terminal: one line per step, so logs stay readable.
          for (const d of snapshot.devices) {
            if (lastStep.get(d.device) === d.step) continue;
            lastStep.set(d.device, d.step);
            ctx.say(`${d.device}: ${d.step}${d.message ? ` - ${d.message}` : ''}`);
          }
        });
        // Ctrl-C stops every device between two chunks; partial uploads resume next time.
        const onInterrupt = (): void => void ctx.core.call('provision/cancel', {});
        process.once('SIGINT', onInterrupt);
        const { devices: results } = await ctx.core
          .call('provision/start', {
            devices: devices.map((d) => d.name),
            inventory: inv.path,
            acceptNew: ctx.opts.acceptNew === true,
            ...(f.agentBundle ? { agentBundle: f.agentBundle } : {}),
            ...(f.partitions ? { partitions: f.partitions } : {}),
            nodeTarballs: f.nodeTarball,
            systemService: f.systemService === true,
            concurrency: f.concurrency,
          })
          .finally(() => {
            process.off('SIGINT', onInterrupt);
            off();
          });
        live?.end();
        return finishEach(ctx, { devices: results }, (doc) => summary(doc.devices));
      },
      (r) => summary(r.devices),
    ),
  );
}
