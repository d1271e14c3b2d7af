// `mchair devices scan SUBNET`: SSH servers on a subnet of the lab, through the core
// (devices/scan).
import type { Command } from 'commander';
import { z } from 'zod';
import { action, withCommonOptions } from '../framework';

export function registerDevicesScan(devices: Command): void {
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
        let shown = 0;
        ctx.core.on('scan/progress', ({ done, total }) => {
          // A line per tenth of the subnet: the core sends a few a second, too many for a terminal.
          const tenth = Math.floor((done * 10) / total);
          if (tenth <= shown) return;
          shown = tenth;
          ctx.say(`  ${done}/${total} addresses tried`);
        });
        const subnet = ctx.args[0] ?? '';
        const { found } = await ctx.core.call('devices/scan', {
          subnet,
          port: f.port,
          timeoutMs: f.timeout,
        });
        return { subnet, found };
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
}
