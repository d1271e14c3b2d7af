// `mchair devices probe [NAMES...]`: connect and report what each board is and what it can run.
import type { Command } from 'commander';
import { nodeTarballs } from '../../provision/board-node';
import { probeDevice, type ProbeReport } from '../../provision/probe';
import { action, withCommonOptions } from '../framework';
import {
  withInventoryOption,
  withTrustOption,
  openInventory,
  connectorFor,
  failureLine,
  finishEach,
} from './boardFlags';

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
}
