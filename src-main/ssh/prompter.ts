// How a connection asks a person something mid-way (a password, a keyboard-interactive answer,
// whether to trust a new host key). The CLI asks on the terminal; the app shows a modal; a run
// with nobody to ask (no TTY, CI) gets `null` and fails with an error that says what to pass.
import { createInterface } from 'node:readline';

/** What a person answers about a host key never seen before. */
export type HostKeyAnswer = 'remember' | 'once' | 'reject';

export interface Prompter {
  /** Hidden input; null when there is nobody to ask. */
  secret(question: string): Promise<string | null>;
  /** A yes/no question; null when there is nobody to ask. */
  confirm(question: string): Promise<boolean | null>;
  /**
   * The host-key question with its third answer, trust for this connection only; a prompter
   * without it is asked `confirm` (yes = remember). Null when there is nobody to ask.
   */
  hostKey?(question: string): Promise<HostKeyAnswer | null>;
}

export const nobodyToAsk: Prompter = {
  secret: async () => null,
  confirm: async () => null,
};

/**
 * Asks on the controlling terminal (stderr, since stdout carries results). Questions are
 * serialised: devices provisioned in parallel must not interleave their prompts.
 */
export class TerminalPrompter implements Prompter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stderr,
  ) {}

  static ifInteractive(): Prompter {
    return process.stdin.isTTY && process.stderr.isTTY ? new TerminalPrompter() : nobodyToAsk;
  }

  /** True while a question is on screen: progress bars must not draw over it. */
  asking = false;
  /** Questions asked so far: whoever redraws the screen starts below a new one. */
  asked = 0;

  private ask(question: string, hidden: boolean): Promise<string> {
    const run = (): Promise<string> =>
      new Promise((resolve) => {
        this.asking = true;
        this.asked += 1;
        const rl = createInterface({ input: this.input, output: this.output, terminal: true });
        if (hidden) {
          // readline echoes through _writeToOutput; printing nothing keeps the secret off screen.
          const internal = rl as unknown as { _writeToOutput: (s: string) => void };
          internal._writeToOutput = (s) => {
            if (s.startsWith(question)) this.output.write(question);
          };
        }
        rl.question(question, (answer) => {
          if (hidden) this.output.write('\n');
          rl.close();
          this.asking = false;
          resolve(answer);
        });
      });
    const next = this.queue.then(run, run);
    this.queue = next;
    return next;
  }

  async secret(question: string): Promise<string> {
    return this.ask(question, true);
  }

  async confirm(question: string): Promise<boolean> {
    return /^y(es)?$/i.test((await this.ask(`${question} [y/N] `, false)).trim());
  }

  async hostKey(question: string): Promise<HostKeyAnswer> {
    const answer = (
      await this.ask(`${question} [y/o/N] (o: trust it this once, not remembered) `, false)
    ).trim();
    if (/^y(es)?$/i.test(answer)) return 'remember';
    return /^o(nce)?$/i.test(answer) ? 'once' : 'reject';
  }
}
