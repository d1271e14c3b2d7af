// `mchair serve`: the app's UI in a browser. Serves the built renderer and the contract over a
// WebSocket on 127.0.0.1, prints the one line with the page's address (token included) when ready,
// and stops cleanly on Ctrl-C or SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { z } from 'zod';
import { createCore } from '../../core/index';
import type { Logger } from '../../log';
import { startServer } from '../../server/index';
import { action, withCommonOptions } from '../framework';

const ServeOptions = z.object({
  port: z.coerce
    .number({ error: 'must be a port number, 0..65535 (0 picks a free one)' })
    .int('must be a whole port number')
    .min(0, 'must be 0..65535 (0 picks a free one)')
    .max(65535, 'must be 0..65535'),
  host: z.string().min(1),
  open: z.boolean().default(false),
});

// The CLI is bundled to out/cli/mchair.js and electron-vite writes the renderer to out/renderer.
const RENDERER_DIR = fileURLToPath(new URL('../renderer', import.meta.url));

function openBrowser(url: string, log: Logger): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.on('error', () =>
    log.warn(`could not start a browser (${cmd}); open the address above yourself`),
  );
  child.unref();
}

function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerServe(program: Command): void {
  withCommonOptions(
    program
      .command('serve')
      .description(
        'serve the app in a browser: the UI and the contract over a WebSocket, on 127.0.0.1',
      )
      .option('--port <port>', 'TCP port (0 picks a free one)', '7470')
      .option(
        '--host <host>',
        'address to listen on; anything but loopback exposes the app to the network',
        '127.0.0.1',
      )
      .option('--open', 'open the page in the default browser'),
  ).action(
    action(async (ctx) => {
      const opts = ctx.options(ServeOptions);
      const core = createCore({
        mode: 'serve',
        dataDir: ctx.dataDir,
        log: ctx.log,
        ...(ctx.home ? { home: ctx.home } : {}),
      });
      try {
        const server = await startServer({
          core,
          rendererDir: RENDERER_DIR,
          host: opts.host,
          port: opts.port,
          log: ctx.log,
        });
        // Listen for signals before saying we are ready: whoever reads the line may stop us next.
        const stopped = untilStopSignal();
        process.stdout.write(
          ctx.json
            ? `${JSON.stringify({ url: server.url, host: opts.host, port: server.port, token: server.token })}\n`
            : `Serving on ${server.url}\n`,
        );
        if (opts.open) openBrowser(server.url, ctx.log);
        const signal = await stopped;
        ctx.log.info({ signal }, 'stopping');
        await server.close();
      } finally {
        await core.close();
      }
    }),
  );
}
