// `mchair model get NAME [--mirror URL]...` and `mchair model catalogue`: the trained models the
// lab knows by their bytes, fetched by name (see core/downloads.ts for the sources and checks).
// Both go through the core (models/get, models/catalogue), as the Models view does; the bar is
// drawn from the core's models/get-progress events. On a terminal the download draws a bar on
// stderr; piped, it prints a plain line every few seconds; with --json only the one result document.
import type { Command } from 'commander';
import { z } from 'zod';
import { describeInput, describeProgress, type DownloadProgress } from '../../contract/download';
import { parseMirror } from '../../store/mirrors';
import { action, Option, withCommonOptions, type ActionContext } from '../framework';

const BAR = 24;
const PLAIN_EVERY_MS = 5000;

/** The download's progress as a terminal shows it: a redrawn bar, or a line now and then. */
function progressPrinter(ctx: ActionContext): {
  show: (p: DownloadProgress) => void;
  end: () => void;
} {
  if (ctx.json) return { show: () => {}, end: () => {} };
  const tty = process.stderr.isTTY === true;
  let lastPlain = -Infinity;
  let drawn = false;
  return {
    show: (p) => {
      // Nothing before the first byte: a source that fails at once, or all of them (offline),
      // leaves only the one error line.
      if (p.received === 0) return;
      const text = `${p.id} from ${p.source}: ${describeProgress(p)}`;
      if (tty) {
        const filled = p.total > 0 ? Math.round((BAR * p.received) / p.total) : 0;
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${text}\x1b[K`);
        drawn = true;
      } else if (performance.now() - lastPlain >= PLAIN_EVERY_MS || p.received === p.total) {
        lastPlain = performance.now();
        ctx.say(text);
      }
    },
    end: () => {
      if (drawn) process.stderr.write('\n');
    },
  };
}

export function registerModelGet(model: Command): void {
  withCommonOptions(
    model
      .command('get')
      .argument('<name>', 'a catalogue model (see `mchair model catalogue`)')
      .addOption(
        new Option(
          '--mirror <url>',
          "a base URL holding the zoo's tree or the model file, tried before the saved mirrors and the zoo's hosts (repeatable)",
        )
          .argParser((url: string, list: string[]) => [...list, url])
          .default([], 'none'),
      )
      .description(
        'download a trained model, check its size and sha256, and add it to the library with its card',
      ),
  ).action(
    action(
      async (ctx) => {
        const { mirror } = ctx.options(z.object({ mirror: z.array(z.string()) }));
        const mirrors = mirror.map(parseMirror);
        const name = ctx.args[0]!;
        const printer = progressPrinter(ctx);
        ctx.core.on('models/get-progress', (p) => p.id === name && printer.show(p));
        // Ctrl-C stops between two chunks: the bytes so far stay for the next get to resume.
        const stop = (): void => void ctx.core.call('models/cancel-get', { name });
        process.once('SIGINT', stop);
        try {
          return await ctx.core.call('models/get', { name, mirrors });
        } finally {
          process.off('SIGINT', stop);
          printer.end();
        }
      },
      (r) =>
        r.source === null
          ? `${r.name} is in the library already`
          : `${r.name}: ${(r.bytes / 2 ** 20).toFixed(1)} MiB from ${r.source} (${(r.fetched / 2 ** 20).toFixed(1)} MiB fetched now), sha256 checked, added to the library`,
    ),
  );

  withCommonOptions(
    model
      .command('catalogue')
      .description(
        'the trained models `model get` fetches: size, sha256, card, in the library or not',
      ),
  ).action(
    action(
      async (ctx) => ctx.core.call('models/catalogue', {}),
      (r) =>
        r.entries
          .map((e) => {
            const where = e.inLibrary ? 'in the library' : e.public ? 'to get' : 'mirror/import';
            return [
              `${e.id.padEnd(22)} ${`${(e.bytes / 2 ** 20).toFixed(1)} MiB`.padStart(10)}  ${where.padEnd(16)} ${e.card.title}`,
              `${''.padEnd(22)} sha256 ${e.sha256}`,
              `${''.padEnd(22)} ${describeInput(e.card.input)} -> ${e.card.output}; labels ${typeof e.card.labels === 'string' ? e.card.labels : `${e.card.labels.length} own`}; ${e.card.source?.license ?? 'licence unknown'}`,
            ].join('\n');
          })
          .join('\n'),
    ),
  );
}
