// The handlers that write model files: models/build (a zoo model with deterministic weights) and
// models/import (a trained classifier wrapped by its card, into the library or a file). A file
// the catalogue knows by its sha256 takes its card by itself; any other file's card is the one
// given, completed from its graph.
import type { CardChoices } from '../contract/modelCommands';
import { ModelCard, type ModelInputContract } from '../contract/modelCard';
import { AppError, InputError } from '../contract/errors';
import { analyseModel, buildZooModel, inspectModel, saveModel, wrapModel } from '../model/index';
import { identifyFile, ModelLibrary } from '../model/library';
import { loadModel } from '../model/load';
import type { OnnxModel } from '../model/onnx';
import { checkCard } from '../model/wrap';
import { ZOO_NAMES, ZooName } from '../model/zoo';
import type { Handlers } from './dispatch';

/** The written model's tensors and costs, after where it went. */
function written<W extends object>(model: OnnxModel, where: W) {
  const r = inspectModel(model);
  return {
    model: model.name,
    ...where,
    input: r.input,
    output: r.output,
    layers: r.layers.length,
    ...r.totals,
  };
}

/**
 * The card given for this graph. Layout, channels, range and output are required; mean and std
 * default to none, resize to the input size without a crop; the dtype is the graph's.
 */
function completeCard(c: CardChoices, model: OnnxModel, file: string): ModelCard {
  const missing = (['layout', 'channels', 'range', 'output'] as const).filter((k) => !c[k]);
  if (missing.length)
    throw new AppError(
      'MODEL_CARD_NEEDED',
      `${file} is not in the catalogue: its card needs ${missing.map((k) => `--${k}`).join(', ')}`,
    );
  const { input, output } = analyseModel(model);
  const dtype = input.dtype === 'float16' || input.dtype === 'uint8' ? input.dtype : 'float32';
  const [h, w] = c.layout === 'nchw' ? input.shape.slice(2) : input.shape.slice(1, 3);
  const contract: ModelInputContract = {
    dtype,
    layout: c.layout!,
    channels: c.channels!,
    range: c.range!,
    mean: c.mean ?? [0, 0, 0],
    std: c.std ?? [1, 1, 1],
    resize: c.resize ?? [w ?? 0, h ?? 0],
    crop: c.crop ?? 'none',
  };
  const classes = output.shape.slice(1).reduce((a, b) => a * b, 1);
  const labels =
    c.labels ??
    (classes === 1000
      ? ('imagenet' as const)
      : Array.from({ length: classes }, (_, i) => `class ${i}`));
  const card = { title: c.title ?? model.name, input: contract, output: c.output!, labels };
  // The graph first: a layout that puts the channels elsewhere is the error to name.
  checkCard(model, card);
  const parsed = ModelCard.safeParse(card);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`card ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export function modelFileHandlers(
  dataDir: string,
): Pick<Handlers, 'models/build' | 'models/import'> {
  return {
    'models/build': async ({ name, out, seed, externalData }) => {
      const zoo = ZooName.safeParse(name);
      if (!zoo.success)
        throw new AppError(
          'MODEL_UNKNOWN',
          `unknown zoo model "${name}"; choose from ${ZOO_NAMES.join(', ')}`,
        );
      const model = buildZooModel(zoo.data, { seed });
      const saved = saveModel(model, out, { externalData });
      // `mchair model build --json` has always led with the path.
      return { path: out, ...written(model, { sha256: saved.sha256, bytes: saved.bytes }) };
    },
    'models/import': async ({ file, name, out, externalData, card: choices }) => {
      const model = loadModel(file, name ? { name } : {});
      const identified = await identifyFile(file);
      const { sha256, entry: known } = identified;
      const given = Object.values(choices).some((v) => v !== undefined);
      const card = given || !known ? completeCard(choices, model, file) : known.card;
      const catalogue = known?.id ?? null;
      if (out) {
        const wrapped = wrapModel(model, card, name ?? known?.id ?? model.name);
        const saved = saveModel(wrapped, out, { externalData });
        return written(wrapped, { path: out, sha256: saved.sha256, catalogue, card });
      }
      const added = await new ModelLibrary(dataDir).addFile(file, { name, card, identified });
      return written(added.model, {
        path: `library: ${added.name}`,
        sha256,
        catalogue,
        card: added.card,
      });
    },
  };
}
