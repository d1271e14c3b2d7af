// The JSON report's schema: one zod definition the renderer's type comes from, and the JSON
// Schema published beside the docs (docs/report.schema.json, `mchair report --schema`), so a
// lab's scripts can validate a report without reading our code.
import { z } from 'zod';
import { MeterEnergy, RunEnergy } from './energy';
import { RunFault, RunRepeat, RunWindow } from './run';

/** What makes two runs the same experiment: reports group and compare runs by it. */
export const RunConfiguration = z.object({
  model: z.string().describe('the model run, as the library names it (alexnet-mc, vgg16, ...)'),
  farm: z
    .string()
    .describe('the boards by profile, e.g. "3x pi3 + 1x tx2-gpu"; "N devices" without a plan'),
  plan: z.string().describe('where the plan came from: "auto" or a preset id (paper-5, ...)'),
  meters: z
    .string()
    .describe('the power meters, by label, joined with " + "; empty when unmetered'),
});
export type RunConfiguration = z.infer<typeof RunConfiguration>;

export const JsonReportDevice = z.object({
  device: z.string(),
  profile: z.string().nullable(),
  role: z.string().nullable(),
  fps: z.number().nullable().describe('frames per second, mean over the run'),
  utilisation: z.number().nullable().describe('share of wall time computing, 0..1'),
  computeMs: z.number().nullable(),
  emulated: z.boolean(),
  energy: MeterEnergy.nullable().describe('from a meter on this device alone, if it had one'),
});

export const JsonReportRun = z.object({
  runId: z.string(),
  model: z.string(),
  kind: z.string(),
  state: z.string(),
  configuration: RunConfiguration,
  repeat: RunRepeat.nullable().describe('its place in a repeated set (mchair run --repeat N)'),
  ips: z.number().nullable().describe('inferences per second over the measured window'),
  window: RunWindow.nullable(),
  shortfall: z.string().nullable().describe('why the run has no measured window'),
  frames: z.number().int(),
  completed: z.number().int(),
  emulated: z.boolean().describe('true when any figure of the run comes from emulation'),
  energy: RunEnergy.nullable(),
  devices: z.array(JsonReportDevice),
  faults: z
    .array(RunFault)
    .describe('faults the run met (boards lost, back or slowed; its link down) and their re-plans'),
});

export const JsonPaperFigure = z.object({
  model: z.enum(['AlexNet', 'VGG16']),
  system: z.string(),
  ips: z.number(),
  dynamicJ: z.number(),
  staticJ: z.number(),
  totalJ: z.number(),
});

export const Spread = z.object({
  n: z
    .number()
    .int()
    .describe('runs that had this figure (one without a window or meter has none)'),
  mean: z.number(),
  sd: z.number().describe('sample standard deviation (n - 1); 0 for a single run'),
  min: z.number(),
  max: z.number(),
});
export type Spread = z.infer<typeof Spread>;

export const RunGroup = z
  .object({
    configuration: RunConfiguration,
    runIds: z.array(z.string()),
    spread: z.object({
      ips: Spread.nullable(),
      staticJ: Spread.nullable(),
      dynamicJ: Spread.nullable(),
      totalJ: Spread.nullable(),
    }),
  })
  .describe('runs of one configuration (repeats) and the spread of their figures');
export type RunGroup = z.infer<typeof RunGroup>;

export const JsonReport = z
  .object({
    runs: z.array(JsonReportRun),
    groups: z.array(RunGroup),
    paper: z
      .array(JsonPaperFigure)
      .describe("the Musical Chair paper's published figures for the runs' models"),
  })
  .describe('A Musical Chair Lab report: `mchair report RUN... --format json`');
export type JsonReport = z.infer<typeof JsonReport>;

/** The JSON Schema of `--format json`, as published in docs/report.schema.json. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(JsonReport, { target: 'draft-2020-12' });
}
