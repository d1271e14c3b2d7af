// What `mchair devices reboot|shutdown|uninstall NAMES...` share: the named boards, a question on
// the terminal before anything is done (unless --yes), the action on every board at once through
// the same code as the Farm view (provision/boardControl.ts), and one line per board.
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../contract/errors';
import { BOARD_ACTION_WORDS, type BoardAction, type BoardResult } from '../../contract/boards';
import { defaultBoardStatesPath } from '../../inventory/boardStates';
import { actOnBoards } from '../../provision/boardControl';
import { TerminalPrompter } from '../../ssh/prompter';
import { action, UsageError, withCommonOptions } from '../framework';
import {
  connectorFor,
  finishEach,
  openInventory,
  withInventoryOption,
  withTrustOption,
} from './boardFlags';

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
      const boards = (await openInventory(ctx)).select(ctx.args);
      if (boards.length === 0) throw new UsageError('name at least one board');
      const names = boards.map((b) => b.name).join(', ');
      if (yes !== true) {
        const prompter = TerminalPrompter.ifInteractive();
        const words = BOARD_ACTION_WORDS[act];
        const answer = await prompter.confirm(`${words.verb} ${names}? ${words.consequence}`);
        if (answer === null)
          throw new UsageError(`no terminal to confirm on: pass --yes to ${act} ${names}`);
        if (!answer) throw new AppError('CANCELLED', `nothing done to ${names}`);
      }
      const results = await actOnBoards(
        await connectorFor(ctx),
        boards,
        act,
        defaultBoardStatesPath(ctx.dataDir),
      );
      return finishEach(ctx, { devices: results }, show);
    }, show),
  );
}
