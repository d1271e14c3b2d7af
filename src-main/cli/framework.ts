// The conventions every `mchair` subcommand shares, in one place: `--json` prints exactly one JSON
// document on stdout (logs go to stderr), exit 0 on success, 1 with one line on stderr for a
// user error, 2 for wrong usage, and never a stack trace unless MCHAIR_DEBUG=1 asks for it.
import { Command, CommanderError, Option } from 'commander';
import type { z } from 'zod';
import { AppError, InputError, oneLine, toWireError } from '../contract/index';
import { createLogger, type Logger } from '../log';
import { defaultDataDir } from '../store/paths';
import { cliCore, type CliCore } from './core';

export const EXIT_USER = 1;
export const EXIT_USAGE = 2;

export interface ActionContext {
  /** Positional arguments, as commander parsed them. */
  readonly args: readonly string[];
  /** Raw option values; validate with `options(schema)`. */
  readonly opts: Record<string, unknown>;
  readonly json: boolean;
  readonly dataDir: string;
  readonly log: Logger;
  /** Validates the options; a failure names the flag to fix. */
  options<S extends z.ZodType>(schema: S): z.output<S>;
  /** Human progress for the terminal: stderr, and silent under --json. */
  say(line: string): void;
  /** Contract commands through the core's dispatcher, and its events, as the app has them. */
  readonly core: Pick<CliCore, 'call' | 'on'>;
}

function flagName(key: PropertyKey): string {
  return `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Adds the options every subcommand takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd.option('--json', 'print one JSON document on stdout (logs stay on stderr)');
}

function rootOptions(cmd: Command): Record<string, unknown> {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root.opts();
}

/**
 * Wraps a subcommand's action: runs it, prints its result (JSON, or `present` for people) and
 * maps failures to exit codes.
 */
export function action<R>(
  run: (ctx: ActionContext) => Promise<R>,
  present: (result: R) => string = (r) => JSON.stringify(r, null, 2),
): (...commanderArgs: unknown[]) => Promise<void> {
  return async (...commanderArgs) => {
    const cmd = commanderArgs[commanderArgs.length - 1] as Command;
    const opts = cmd.opts();
    const root = rootOptions(cmd);
    const json = opts.json === true;
    const log = createLogger(
      typeof root.logLevel === 'string' ? root.logLevel : (process.env.MCHAIR_LOG ?? 'warn'),
    );
    const dataDir = typeof root.dataDir === 'string' ? root.dataDir : defaultDataDir(process.env);
    const core = cliCore(dataDir, log);
    const ctx: ActionContext = {
      args: cmd.args,
      opts,
      json,
      dataDir,
      log,
      core,
      options: (schema) => {
        const parsed = schema.safeParse(opts);
        if (parsed.success) return parsed.data;
        const issue = parsed.error.issues[0];
        const flag = issue?.path[0] !== undefined ? flagName(issue.path[0]) : 'options';
        throw new InputError(`${flag}: ${issue?.message ?? 'invalid'}`);
      },
      say: (line) => {
        if (!json) process.stderr.write(`${line}\n`);
      },
    };
    let result: R;
    try {
      result = await run(ctx);
    } finally {
      await core.close();
    }
    // A long-running command (serve) prints its one document while it runs and returns nothing.
    if (result === undefined) return;
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${present(result)}\n`);
  };
}

/**
 * Sets the usage-error conventions on the root command; call it before adding subcommands, which
 * inherit them.
 */
export function withConventions(program: Command): Command {
  return program.exitOverride().configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(`mchair: ${s.replace(/^error: /, '').trim()} (see --help)\n`),
  });
}

/** Runs the program with the exit-code conventions above. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version come through here with exit code 0.
      if (err.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    if (err instanceof AppError) {
      process.stderr.write(
        // AppError keeps its message to one line itself.
        `mchair: ${err.message}${err.code === 'BAD_INPUT' ? '' : ` [${err.code}]`}\n`,
      );
      return EXIT_USER;
    }
    const wire = toWireError(err);
    process.stderr.write(`mchair: ${oneLine(wire.message)} (set MCHAIR_DEBUG=1 for details)\n`);
    if (process.env.MCHAIR_DEBUG === '1' && err instanceof Error)
      process.stderr.write(`${err.stack}\n`);
    return EXIT_USER;
  }
}

export { Command, Option };

/** commander's argument parser for an option given more than once: every value, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
