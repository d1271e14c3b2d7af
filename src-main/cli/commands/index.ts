// The subcommands, one registration per area.
import type { Command } from 'commander';
import { registerInfo } from './info';

export function registerCommands(program: Command): void {
  registerInfo(program);
}
