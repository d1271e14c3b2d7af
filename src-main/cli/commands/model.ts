// `mchair model inspect|build|import|list`: look inside a CNN, build the zoo's models, and bring
// a trained model into the lab (model-import.ts), through the core (models/inspect, models/build,
// models/import, models/list).
import type { Command } from 'commander';
import { z } from 'zod';
import type { CommandResult } from '../../contract/index';
import { formatInspection, ZOO_NAMES, ZooName } from '../../model/index';
import { action, UsageError, withCommonOptions } from '../framework';
import { registerModelImport } from './model-import';
import { registerModelGet } from './model-get';

export const Seed = z.coerce
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .default(0);
const Out = z.string({ error: 'is required' }).min(1, 'is required');

function zooName(s: string | undefined): ZooName {
  const parsed = ZooName.safeParse(s);
  if (!parsed.success)
    throw new UsageError(`unknown zoo model "${s ?? ''}"; choose from ${ZOO_NAMES.join(', ')}`);
  return parsed.data;
}

type Summary = CommandResult<'models/build'>;
const presentSummary = (s: Summary): string =>
  [
    `wrote ${s.path} (${(s.bytes / 2 ** 20).toFixed(1)} MiB, sha256 ${s.sha256.slice(0, 16)}...)`,
    `${s.model}: ${s.input.name} ${s.input.dtype} [${s.input.shape.join(',')}] -> ${s.output.name} ${s.output.dtype} [${s.output.shape.join(',')}]`,
    `${s.layers} layers, ${s.params.toLocaleString('en-US')} parameters, ${s.macs.toLocaleString('en-US')} MACs`,
  ].join('\n');

export function registerModel(program: Command): void {
  const model = program.command('model').description('inspect, build, import and get CNNs (ONNX)');
  registerModelGet(model);

  withCommonOptions(
    model
      .command('inspect')
      .argument('<model>', `ONNX file or zoo name (${ZOO_NAMES.join(', ')})`)
      .option('--seed <n>', 'weight seed for zoo models', '0')
      .description('every layer with its output shape, MACs, parameters and activation size'),
  ).action(
    action(
      async (ctx) => {
        // The seed only says which weights a zoo model would have: costs never read them.
        ctx.options(z.object({ seed: Seed }));
        return ctx.core.call('models/inspect', { name: ctx.args[0]!, tensors: true });
      },
      ({ name, ...r }) => formatInspection(name, r),
    ),
  );

  withCommonOptions(
    model
      .command('build')
      .argument('<name>', `zoo model: ${ZOO_NAMES.join(', ')}`)
      .option('--out <file>', 'ONNX file to write')
      .option('--seed <n>', 'weight seed (same seed, same bytes)', '0')
      .option('--external-data', 'write the weights to <file>.data beside the model')
      .description('build a zoo model with deterministic He-initialised weights'),
  ).action(
    action(async (ctx) => {
      const o = ctx.options(
        z.object({ out: Out, seed: Seed, externalData: z.boolean().optional() }),
      );
      const name = zooName(ctx.args[0]);
      ctx.say(`building ${name} (seed ${o.seed})...`);
      return ctx.core.call('models/build', {
        name,
        out: o.out,
        seed: o.seed,
        externalData: o.externalData === true,
      });
    }, presentSummary),
  );

  registerModelImport(model);

  withCommonOptions(model.command('list').description('the zoo models')).action(
    action(
      async (ctx) => ({
        models: (await ctx.core.call('models/list', {})).zoo.map(({ name, description }) => ({
          name,
          description,
        })),
      }),
      (r) => r.models.map((m) => `${m.name.padEnd(11)} ${m.description}`).join('\n'),
    ),
  );
}
