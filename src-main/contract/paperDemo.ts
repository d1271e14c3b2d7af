// `mchair demo`'s second part through the core (demo/paper): the paper's experiments on the
// virtual farm as a table beside the published figures, and the kitten recognised there. The
// result is checked against these schemas but handed on as the core made it (`checked`), so the
// CLI's --json document keeps its keys in the order it always had.
import { z } from 'zod';
import { command } from './define';
import { PerInferenceJ } from './energy';
import { Recognition } from './recognition';
import { JsonPaperFigure, RunGroup } from './report';
import { RepeatCount } from './run';
import { Figure, Latency } from './runReport';

/** A value the schema accepts, passed on untouched (a parse would rebuild it in schema order). */
const checked = <T extends z.ZodType>(schema: T) =>
  z.custom<z.output<T>>((v) => schema.safeParse(v).success, 'does not match the contract');

/** One run of the demo: a model on the first N emulated Pi 3s, by the planner or a paper plan. */
const PaperCase = z
  .object({
    model: z.string().min(1).max(256),
    boards: z.number().int().min(1).max(32),
    plan: z.enum(['auto', 'paper-5', 'paper-6', 'paper-9', 'paper-11']),
  })
  .strict();

/** One of our runs as the paper's table has it (reports/paper-table.ts). */
const PaperTableRun = z.object({
  model: z.string(),
  boards: z.number().int(),
  /** 'auto' or a preset id (paper-5, ...). */
  plan: z.string(),
  frames: z.number().int(),
  runId: z.string().nullable(),
  state: z.string(),
  ips: Figure.nullable(),
  predictedIps: Figure.nullable(),
  energy: PerInferenceJ.nullable(),
  emulationOverruns: z.number().int(),
  faults: z.number().int(),
});

const PaperTableRow = z.object({
  model: z.string(),
  farm: z.string(),
  plan: z.string(),
  source: z.enum(['run', 'paper']),
  run: PaperTableRun.nullable(),
  paper: JsonPaperFigure.nullable(),
  vsPaperPlan: Figure.nullable(),
  energy: PerInferenceJ.nullable(),
  runs: z.number().int(),
  spread: RunGroup.shape.spread.nullable(),
});

const PaperDemoRun = PaperTableRun.extend({
  /** Frames in flight per replica. */
  window: z.number().int(),
  /** Set-up (partitioning, deployment) included. */
  wallSeconds: z.number(),
  error: z.string().nullable(),
  latencyMs: Latency.nullable(),
});

export const PaperDemo = z.object({
  runs: z.array(checked(PaperDemoRun)),
  table: z.array(checked(PaperTableRow)),
  /** The HTML summary of the recorded runs; null when none finished. */
  report: z.string().nullable(),
  /** `kitten_224.png -> 281 tabby, tabby cat 0.93 (...)`; null when it could not run. */
  recognition: checked(Recognition.extend({ line: z.string() })).nullable(),
  farmStartSeconds: z.number(),
  wallSeconds: z.number(),
  /** What did not finish, one line each; the figures that came in stand. */
  failed: z.array(z.string()),
});
export type PaperDemo = z.infer<typeof PaperDemo>;

export const paperDemoCommands = {
  'demo/paper': command(
    "The paper's experiments on a virtual farm of emulated Pi 3s (each recorded as a run), as a table beside its published figures with an HTML summary, then a photo recognised there by the trained SqueezeNet 1.1; progress comes as run/say events.",
    z
      .object({
        /** Measured seconds per run after warm-up (frames follow from each prediction). */
        seconds: z.number().min(1).max(3600).default(6),
        /** Runs of each case, recorded as a set. */
        repeat: RepeatCount.default(1),
        /** Other cases than the paper's (a quick look, a test): the first on the most boards. */
        cases: z.array(PaperCase).min(1).max(20).optional(),
      })
      .strict(),
    PaperDemo,
  ),
} as const;
