// The conventions every `mchair` subcommand shares, in one place: `--json` prints exactly one JSON
// document on stdout (logs go to stderr), exit 0 on success, 1 with one line on stderr for a
// user error, 2 for wrong usage, and never a stack trace unless MCHAIR_DEBUG=1 asks for it.
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { RepeatCount } from '../contract/run';
import { AppError, InputError, oneLine, toWireError } from '../contract/index';
import { createLogger, type Logger } from '../log';
import { nameThisProgram } from '../store/owner';
import { dataDirOf, defaultDataDir } from '../store/paths';
import { cliCore, terminalAsk, type CliCore } from './core';
import type { TerminalAsk } from '../core/runs';

export const EXIT_USER = 1;
export const EXIT_USAGE = 2;

/**
 * Wrong usage that a command finds itself (a missing or conflicting option, a bad flag value):
 * exits 2 like commander's own usage errors, where a problem with a file or a board exits 1.
 */
export class UsageError extends InputError {}

export interface ActionContext {
  /** Positional arguments, as commander parsed them. */
  readonly args: readonly string[];
  /** Raw option values; validate with `options(schema)`. */
  readonly opts: Record<string, unknown>;
  readonly json: boolean;
  readonly dataDir: string;
  /** The lab's home when the data folder is the default one (it may point elsewhere); else null. */
  readonly home: string | null;
  readonly log: Logger;
  /** Validates the options; a failure names the flag to fix. */
  options<S extends z.ZodType>(schema: S): z.output<S>;
  /** Human progress for the terminal: stderr, and silent under --json. */
  say(line: string): void;
  /** Contract commands through the core's dispatcher, and its events, as the app has them. */
  readonly core: Pick<CliCore, 'call' | 'on'>;
  /** How the core asks this terminal's user for SSH secrets (a progress display waits for it). */
  readonly terminal: TerminalAsk;
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

/** "mchair run", "mchair farm up": the command as typed, naming this process in its records. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
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
    nameThisProgram(commandPath(cmd));
    const home = defaultDataDir(process.env);
    const json = opts.json === true;
    const log = createLogger(
      typeof root.logLevel === 'string' ? root.logLevel : (process.env.MCHAIR_LOG ?? 'warn'),
    );
    const dataDir = typeof root.dataDir === 'string' ? root.dataDir : dataDirOf(home);
    const terminal = terminalAsk();
    const core = cliCore(dataDir, log, terminal);
    const ctx: ActionContext = {
      args: cmd.args,
      opts,
      json,
      dataDir,
      home: typeof root.dataDir === 'string' ? null : home,
      log,
      core,
      terminal,
      options: (schema) => {
        const parsed = schema.safeParse(opts);
        if (parsed.success) return parsed.data;
        const issue = parsed.error.issues[0];
        const flag = issue?.path[0] !== undefined ? flagName(issue.path[0]) : 'options';
        throw new UsageError(`${flag}: ${issue?.message ?? 'invalid'}`);
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
        `mchair: ${err.message}${err.code === 'BAD_INPUT' ? '' : ` [${err.code}]`}${err instanceof UsageError ? ' (see --help)' : ''}\n`,
      );
      return err instanceof UsageError ? EXIT_USAGE : EXIT_USER;
    }
    const wire = toWireError(err);
    process.stderr.write(`mchair: ${oneLine(wire.message)} (set MCHAIR_DEBUG=1 for details)\n`);
    if (process.env.MCHAIR_DEBUG === '1' && err instanceof Error)
      process.stderr.write(`${err.stack}\n`);
    return EXIT_USER;
  }
}

export { Command, Option };

/** --repeat N, as `mchair run` and `mchair demo` take it: the contract's rule, from text. */
export const RepeatFlag = z.preprocess((v) => Number(v), RepeatCount).default(1);

/** commander's argument parser for an option given more than once: every value, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
