// `mchair`: the core services on the command line. Each area registers its subcommands from
// cli/commands/; this file only assembles them.
import { Command } from 'commander';
import { runProgram, withConventions } from './framework';
import { registerCommands } from './commands/index';
import { APP_VERSION } from '../version';

/** The program with the area `argv` names registered, or every area when it names none. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = withConventions(new Command('mchair'))
    .description('Musical Chair Lab: split a CNN over a farm of small boards and run it live.')
    .version(APP_VERSION, '-V, --version')
    .option(
      '--data-dir <dir>',
      'app data folder (default: $MCHAIR_HOME or ~/.local/share/musical-chair-lab)',
    )
    .option(
      '--log-level <level>',
      'stderr log level: error, warn, info, debug',
      process.env.MCHAIR_LOG ?? 'warn',
    );
  await registerCommands(program, argv);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const code = await runProgram(await buildProgram(argv), argv);
  // Let pending stdout drain, then leave even if a library left a handle open.
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}
