// Every command the renderer can send the core. Adding a command is this one edit plus its
// handler in the core (the type checker refuses a core that lacks one).
import { z } from 'zod';
import { command } from './define';
import { RunId, RunMetrics, RunSummary } from './run';

export const commands = {
  'app/info': command(
    'What is running: version, mode (electron or serve), data folder.',
    z.object({}).strict(),
    z.object({
      version: z.string(),
      mode: z.enum(['electron', 'serve']),
      dataDir: z.string(),
      platform: z.string(),
    }),
  ),
  'demo/start': command(
    'Start the walking-skeleton run: a small CNN cut in 2 stages over 2 local agents.',
    z.object({ frames: z.number().int().min(1).max(100_000).default(200) }).strict(),
    z.object({ runId: RunId }),
  ),
  'run/list': command(
    'The recorded runs, newest first.',
    z.object({}).strict(),
    z.object({ runs: z.array(RunSummary) }),
  ),
  'run/get': command(
    'One run: its summary and the metrics recorded so far.',
    z.object({ runId: RunId }).strict(),
    z.object({ run: RunSummary, metrics: z.array(RunMetrics) }),
  ),
  'run/stop': command(
    'Stop a live run; frames already sent are still collected.',
    z.object({ runId: RunId }).strict(),
    z.object({ stopped: z.boolean() }),
  ),
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandArgs<K extends CommandName> = z.input<Commands[K]['args']>;
export type CommandResult<K extends CommandName> = z.output<Commands[K]['result']>;
export const commandNames = Object.keys(commands) as CommandName[];
