// The contract's commands that start runs and hand them frames: a model on a farm by a plan
// (the Run view, `mchair run`), pictures through a trained model (`mchair classify`), and the
// page's frames for a camera or file run. Kept beside commands.ts, which spreads them in.
import { z } from 'zod';
import { command } from './define';
import { RepeatCount, RunId } from './run';
import { RunFarm, RunMeterFlags, RunSourceKind, SourceCounters } from './liveRun';
import { RunReport } from './runReport';
import { MAX_PICTURES, Recognition } from './recognition';
import { FrameView } from './frameWindow';
import { Plan } from './plan';

export const runCommands = {
  'run/start': command(
    'Run a model on a farm with a plan (auto, a paper preset id, or a plan from plan/make), once or repeated as a set; returns once the (first) run has an id, metrics follow as run/metrics events.',
    z
      .object({
        /** A zoo or library model by name, or (`mchair run --model FILE`) an ONNX file. */
        model: z.string().min(1).max(4096),
        /** auto, a paper preset, a plan file (`mchair run --plan FILE`) or a plan. */
        plan: z.union([z.string().min(1).max(4096), Plan]).default('auto'),
        farm: RunFarm,
        source: RunSourceKind.default('synthetic'),
        /** The camera and file sources run until stopped or this many frames. */
        frames: z.number().int().min(1).max(10_000_000).default(500),
        /**
         * Runs of this configuration, one after another, recorded as a set (as `mchair run
         * --repeat`); the command answers with the first, the page follows each in turn.
         */
        repeat: RepeatCount.default(1),
        /** Seconds the run waits, every board silent at once, for this machine's link. */
        outageLimitS: z.number().min(1).max(86_400).default(60),
        // What `mchair run` sets that the app leaves at their defaults.
        /** Frames in flight per replica. */
        window: z.number().int().min(1).max(64).default(2),
        /** Compare every result with the whole model run locally. */
        check: z.boolean().default(false),
        /** Board faults to inject (runtime/chaos.ts checks the text). */
        chaos: z.string().min(1).max(4000).optional(),
        /** Synthetic frames from a folder of JPEG/PNG images instead. */
        images: z.string().min(1).max(4096).optional(),
        /** These meters instead of the saved ones (and the saved ones too with savedMeters). */
        meters: RunMeterFlags.optional(),
        savedMeters: z.boolean().default(false),
        /** Answer once the whole set has ended, with every run's report (the CLI waits on it). */
        wait: z.boolean().default(false),
      })
      .strict(),
    z.object({
      runId: RunId,
      /** How the page cuts its pictures into this model's frames; null when it takes no pictures. */
      frame: FrameView.nullable(),
      /** With wait: the set's id (null for a single run) and each run's report, in order. */
      set: RunId.nullable().optional(),
      reports: z.array(RunReport).optional(),
    }),
  ),
  'models/classify': command(
    "What a trained model (a library model, or an ONNX file the catalogue knows) sees in pictures: each one's top classes, in this process, or through a farm by a plan (one recorded run, a frame per picture).",
    z
      .object({
        model: z.string().min(1).max(4096),
        files: z.array(z.string().min(1).max(4096)).min(1).max(MAX_PICTURES),
        top: z.number().int().min(1).max(1000).default(5),
        /** Absent: the whole model in this process. */
        farm: RunFarm.optional(),
        plan: z.string().min(1).max(4096).default('auto'),
      })
      .strict(),
    Recognition,
  ),
  'run/frame': command(
    'Hand one frame from the page (RGB uint8 HWC at the size run/start gave, base64) to a running camera or file run; a file frame waits for room, a camera frame replaces the oldest waiting one.',
    z
      .object({
        runId: RunId,
        base64: z.string().max(210_000),
      })
      .strict(),
    SourceCounters,
  ),
} as const;
