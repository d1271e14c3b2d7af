// A command that follows a run the core runs to its end (`mchair run`, `mchair demo`): the
// command's call answers once the run has ended, its progress comes as the core's events, and
// Ctrl-C stops the run going now through run/stop, so it ends as stopped and is still reported.
import type { ActionContext } from './framework';

export async function untilRunEnds<R>(
  ctx: ActionContext,
  start: () => Promise<R>,
  /** The command's own progress subscriptions, each returning its unsubscribe. */
  listening: ReadonlyArray<() => void> = [],
): Promise<R> {
  let current: string | null = null;
  const offState = ctx.core.on('run/state', (e) => (current = e.runId));
  const onInterrupt = () => {
    ctx.say('stopping the run (frames already sent are still collected)');
    if (current) void ctx.core.call('run/stop', { runId: current }).catch(() => undefined);
  };
  // Once: a second Ctrl-C ends the command at once, as it always did.
  process.once('SIGINT', onInterrupt);
  try {
    return await start();
  } finally {
    process.off('SIGINT', onInterrupt);
    for (const off of [offState, ...listening]) off();
  }
}
