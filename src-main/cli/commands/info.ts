// `mchair info`: what this installation is and where it keeps its data.
import type { Command } from 'commander';
import { action, withCommonOptions } from '../framework';
import { APP_VERSION } from '../../version';

export function registerInfo(program: Command): void {
  withCommonOptions(
    program.command('info').description('show version, platform and data folder'),
  ).action(
    action(
      async (ctx) => ({
        version: APP_VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        dataDir: ctx.dataDir,
      }),
      (r) =>
        Object.entries(r)
          .map(([k, v]) => `${k.padEnd(9)} ${v}`)
          .join('\n'),
    ),
  );
}
