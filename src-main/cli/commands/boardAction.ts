// What `mchair devices reboot|shutdown|uninstall NAMES...` share: the named boards, a question on
// the terminal before anything is done (unless --yes), the action on every board at once through
// the core's devices/act, as the Farm view's, and one line per board.
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../contract/errors';
import { BOARD_ACTION_WORDS, type BoardAction, type BoardResult } from '../../contract/boards';
import { action, UsageError, withCommonOptions } from '../framework';
import { finishEach, inventoryPath, withInventoryOption, withTrustOption } from './boardFlags';

function show(r: { devices: BoardResult[] }): string {
  return r.devices
    .map((d) =>
      d.status === 'ok' ? `${d.name}: ${d.message}` : `${d.name}: FAILED ${d.code}: ${d.message}`,
    )
    .join('\n');
}

export function registerBoardAction(devices: Command, act: BoardAction, description: string): void {
  withCommonOptions(
    withTrustOption(
      withInventoryOption(
        devices
          .command(`${act} <names...>`)
          .description(description)
          .option('--yes', 'do it without asking'),
      ),
    ),
  ).action(
    action(async (ctx) => {
      const { yes } = ctx.options(z.object({ yes: z.boolean().optional() }).loose());
      if (ctx.args.length === 0) throw new UsageError('name at least one board');
      const names = ctx.args.join(', ');
      const inventory = inventoryPath(ctx);
      if (yes !== true) {
        // A name the inventory lacks is refused before the question, not after the answer.
        const { devices } = await ctx.core.call('devices/list', { inventory });
        const unknown = ctx.args.find((n) => !devices.some((d) => d.name === n));
        if (unknown !== undefined)
          throw new AppError(
            'DEVICE_UNKNOWN',
            `no device named "${unknown}" in ${inventory}; see \`mchair devices list\``,
          );
        const words = BOARD_ACTION_WORDS[act];
        const answer = await ctx.terminal.prompter.confirm(
          `${words.verb} ${names}? ${words.consequence}`,
        );
        if (answer === null)
          throw new UsageError(`no terminal to confirm on: pass --yes to ${act} ${names}`);
        if (!answer) throw new AppError('CANCELLED', `nothing done to ${names}`);
      }
      const { devices: results } = await ctx.core.call('devices/act', {
        action: act,
        names: [...ctx.args],
        acceptNew: ctx.opts.acceptNew === true,
        inventory,
      });
      return finishEach(ctx, { devices: results }, show);
    }, show),
  );
}
