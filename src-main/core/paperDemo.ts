// `mchair demo`'s paper runs and kitten recognition (demo/paper): the paper's experiments on the
// virtual farm (scenarios/paper-demo.ts) as a table beside the published figures, the runs
// recorded with an HTML summary, then the kitten recognised by the trained SqueezeNet 1.1 across
// that farm (scenarios/recognitionDemo.ts). Every line they say goes out as a run/say event.
import { AppError } from '../contract/index';
import type { PaperDemo } from '../contract/paperDemo';
import type { Logger } from '../log';
import { PAPER_BOARD, runPaperDemo, summarisePaperDemo } from '../scenarios/paper-demo';
import { kittenFixture, recogniseKitten, type RecognitionLine } from '../scenarios/recognitionDemo';
import type { EventBus } from '../shared/events';
import type { Handlers } from './dispatch';

/** Boards of the virtual farm the kitten is recognised on (the planner's plan for them). */
const RECOGNITION_BOARDS = 3;

export function paperDemoHandlers(o: {
  dataDir: string;
  log: Logger;
  events: EventBus;
}): Pick<Handlers, 'demo/paper'> {
  const say = (line: string): void => o.events.emit('run/say', { runId: null, line });
  return {
    'demo/paper': async ({ seconds, repeat, cases }): Promise<PaperDemo> => {
      const started = performance.now();
      const fixture = kittenFixture();
      let recognition: RecognitionLine | null = null;
      let recognitionError: string | null = fixture
        ? null
        : "the trained SqueezeNet of the repository's test fixtures (test/fixtures/squeezenet1.1-fp16) is not here";
      const { runs, farmStartSeconds } = await runPaperDemo({
        seconds,
        repeat,
        ...(cases ? { cases } : {}),
        dataDir: o.dataDir,
        log: o.log,
        say,
        then: async (farmFile) => {
          if (!fixture) return;
          const boards = `${PAPER_BOARD}:${RECOGNITION_BOARDS}`;
          say(`recognition: the kitten through the trained SqueezeNet 1.1 on ${boards}`);
          try {
            recognition = await recogniseKitten({
              fixture,
              farmFile: await farmFile(RECOGNITION_BOARDS),
              boards,
              dataDir: o.dataDir,
              log: o.log,
              say,
            });
          } catch (err) {
            recognitionError =
              err instanceof AppError ? err.message : `internal error: ${(err as Error).message}`;
          }
        },
      });
      const summary = await summarisePaperDemo(runs, o.dataDir);
      return {
        runs: runs.map((r, i) => ({
          ...summary.runs[i]!,
          window: r.window,
          wallSeconds: r.wallSeconds,
          error: r.error,
          latencyMs: r.report?.latencyMs ?? null,
        })),
        table: summary.rows,
        report: summary.html,
        recognition: recognition as RecognitionLine | null,
        farmStartSeconds,
        wallSeconds: (performance.now() - started) / 1000,
        failed: [
          ...runs
            .filter((r) => r.report?.state !== 'done')
            .map(
              (r) =>
                `${r.case.model} ${r.case.plan} on ${r.case.boards}: ${r.error ?? r.report?.state}`,
            ),
          ...(recognitionError ? [`recognition: ${recognitionError}`] : []),
        ],
      };
    },
  };
}
