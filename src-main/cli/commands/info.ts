// `mchair info`: what this installation is and where it keeps its data, as the core says it
// (app/info), with the Node.js that runs it.
import type { Command } from 'commander';
import { action, withCommonOptions } from '../framework';

export function registerInfo(program: Command): void {
  withCommonOptions(
    program.command('info').description('show version, platform and data folder'),
  ).action(
    action(
      async (ctx) => {
        const core = await ctx.core.call('app/info', {});
        return {
          version: core.version,
          node: process.version,
          platform: core.platform,
          dataDir: core.dataDir,
        };
      },
      (r) =>
        Object.entries(r)
          .map(([k, v]) => `${k.padEnd(9)} ${v}`)
          .join('\n'),
    ),
  );
}
