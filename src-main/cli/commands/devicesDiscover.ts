// `mchair devices discover`: boards announcing themselves over mDNS, through the core
// (devices/discover).
import type { Command } from 'commander';
import { z } from 'zod';
import { action, withCommonOptions } from '../framework';

export function registerDevicesDiscover(devices: Command): void {
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
              timeout: z.coerce.number().int().min(200).max(30_000),
            })
            .loose(),
        );
        return ctx.core.call('devices/discover', {
          timeoutMs: f.timeout,
          ...(f.interface ? { interfaceAddress: f.interface } : {}),
        });
      },
      (r) =>
        r.found.length === 0
          ? 'no board announced itself (mDNS may not cross this network: try `mchair devices scan SUBNET`)'
          : r.found
              .map((h) => `${h.host}  ${h.addresses.join(', ') || '(no address)'}  port ${h.port}`)
              .join('\n'),
    ),
  );
}
