// `mchair devices probe [NAMES...]`: connect and report what each board is and what it can run,
// through the core's devices/probe.
import type { Command } from 'commander';
import type { z } from 'zod';
import type { ProbeReport } from '../../contract/boardCommands';
import { action, withCommonOptions } from '../framework';
import {
  withInventoryOption,
  withTrustOption,
  inventoryPath,
  failureLine,
  finishEach,
} from './boardFlags';

function showProbe(r: z.output<typeof ProbeReport>): string {
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

export function registerDevicesProbe(devices: Command): void {
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
        const { devices } = await ctx.core.call('devices/probe', {
          names: [...ctx.args],
          acceptNew: ctx.opts.acceptNew === true,
          inventory: inventoryPath(ctx),
        });
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
}
