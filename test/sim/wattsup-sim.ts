// A Watts Up? PRO on a pty: it waits for the external-logging command `#L,W,3,E,,<s>;`, then
// pushes one `#d` record per interval with the watts the test scripts (scaled by 10, as the meter
// does). Lines given as raw text are sent verbatim, to feed the driver garbage.
import { openPty, type Pty } from './pty';

export interface WattsUpSim {
  path: string;
  /** The logging commands received. */
  commands: string[];
  close(): Promise<void>;
}

export async function startWattsUpSim(
  script: Array<number | string>,
  speedup = 1,
): Promise<WattsUpSim> {
  const pty: Pty = await openPty();
  const commands: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let got = '';
  pty.onData((chunk) => {
    got += chunk.toString('latin1');
    let end: number;
    while ((end = got.indexOf(';')) >= 0) {
      const cmd = got.slice(0, end + 1).trim();
      got = got.slice(end + 1);
      commands.push(cmd);
      const m = /^#L,W,3,E,,(\d+);$/.exec(cmd);
      if (m && !timer) {
        let i = 0;
        const send = (): void => {
          const item = script[i++];
          if (item === undefined) return;
          pty.write(
            typeof item === 'string'
              ? `${item}\r\n`
              : `#d,-,18,${Math.round(item * 10)},${2301},${Math.round((item / 230.1) * 1000)},0,0,0,0,0,0,0,0,0,0,0,0,0,0;\r\n`,
          );
          timer = setTimeout(send, (Number(m[1]) * 1000) / speedup);
        };
        // The meter acknowledges nothing; its first record comes one interval later.
        timer = setTimeout(send, (Number(m[1]) * 1000) / speedup);
      }
    }
  });
  return {
    path: pty.path,
    commands,
    close: async () => {
      clearTimeout(timer);
      await pty.close();
    },
  };
}
