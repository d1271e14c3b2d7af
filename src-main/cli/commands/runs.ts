// `mchair runs list|show`: the run history in the store, through the core (run/list, run/get).
import type { Command } from 'commander';
import { measuredLines } from '../measured';
import { action, withCommonOptions } from '../framework';
import type { RunSummary } from '../../contract/index';

function fmt(n: number | null, digits: number): string {
  return n === null ? '-' : n.toFixed(digits);
}

function table(runs: RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet: start one with `mchair demo` or `mchair run`.';
  const rows = runs.map((r) =>
    [r.id, r.kind, r.model, r.state, `${r.completed}/${r.frames}`, fmt(r.ips, 1)].join('  '),
  );
  return ['id  kind  model  state  frames  ips', ...rows].join('\n');
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('the recorded runs');
  withCommonOptions(runs.command('list').description('list recorded runs, newest first')).action(
    action(
      async (ctx) => ctx.core.call('run/list', {}),
      (r) => table(r.runs),
    ),
  );
  withCommonOptions(
    runs
      .command('show')
      .argument('<id>', 'run id (see `mchair runs list`)')
      .description('one run and its metrics'),
  ).action(
    action(
      async (ctx) => ctx.core.call('run/get', { runId: ctx.args[0] ?? '' }),
      ({ run, metrics }) =>
        [
          `${run.id}  ${run.kind}  ${run.model}  ${run.state}`,
          `frames ${run.completed}/${run.frames}  max |diff| ${run.maxAbsDiff ?? '-'}`,
          ...measuredLines({ ...run, emulated: Boolean(run.energy?.emulated) }),
          `metrics samples ${metrics.length}${run.message ? `\n${run.message}` : ''}`,
        ].join('\n'),
    ),
  );
}
