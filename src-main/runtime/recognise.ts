// Recognising pictures with a trained model (`mchair classify`, the demo's last line): each
// picture cut as the model's card says, then either the whole wrapped model in this process with
// onnxruntime, or a run of one frame per picture through a farm by a plan, as `mchair run` runs
// (runtime/run.ts), its answers taken in frame order. Either way each picture gets its top K
// classes with the card's labels.
import * as ort from 'onnxruntime-node';
import { AppError, InputError } from '../contract/errors';
import type { ModelCard } from '../contract/modelCard';
import type { Plan } from '../contract/plan';
import type { Recognition } from '../contract/recognition';
import { identifyFile, ModelLibrary } from '../model/library';
import type { Logger } from '../log';
import { labelsOf, topK, type RankedClass } from '../model/labels';
import { loadModel } from '../model/load';
import { encodeModel, type OnnxModel } from '../model/onnx';
import { openModel } from '../model/source';
import { isZooName } from '../model/zoo';
import { analyseModel } from '../model/graph';
import { wrapModel } from '../model/wrap';
import { rankedClasses } from './check';
import { frameView, pictureFilesSource, pictureFrame, readPicture } from './images';
import { runModel } from './run';
import type { FarmChoice } from './runFarm';

/**
 * A model as the farm runs it (uint8 NHWC frames in, probabilities out) and its card; null for an
 * ONNX file neither the catalogue nor the library knows, which runs as it is, unlabelled.
 */
export interface CardedModel {
  name: string;
  model: OnnxModel;
  card: ModelCard | null;
  /** Where REF led: a zoo or library model, or an ONNX file. */
  from: 'library' | 'file';
}
export type TrainedModel = Omit<CardedModel, 'card' | 'from'> & { card: ModelCard };

/**
 * --model REF: a library or zoo model (its wrapped file and card), or a path to an ONNX file
 * (wrapped here with the catalogue's card when the catalogue knows its sha256; nothing is
 * written).
 */
export async function cardedModel(dataDir: string, ref: string): Promise<CardedModel> {
  // As the library resolves a name everywhere: the zoo, then the library, then a file.
  const library = new ModelLibrary(dataDir);
  const located = await library.locate(ref, { paths: true });
  if (isZooName(ref) || located !== ref)
    return {
      name: ref,
      model: { ...openModel(located, { seed: 1 }), name: ref },
      card: await library.card(ref),
      from: 'library',
    };
  // Streamed: a model file is hundreds of MB, and its weights are read only when a part needs them.
  const { entry } = await identifyFile(ref);
  if (!entry) {
    const model = openModel(ref);
    return { name: model.name, model, card: null, from: 'file' };
  }
  return {
    name: entry.id,
    model: wrapModel(loadModel(ref, { name: entry.id }), entry.card, entry.id),
    card: entry.card,
    from: 'file',
  };
}

/** --model REF for `mchair classify`: a model with a card, which names its classes. */
export async function trainedModel(dataDir: string, ref: string): Promise<TrainedModel> {
  const m = await cardedModel(dataDir, ref);
  if (!m.card)
    throw new InputError(
      m.from === 'file'
        ? `--model: the catalogue does not know ${ref} (by its sha256), so nothing names its classes; import it with its card (mchair model import ${ref} --name NAME --layout ... --labels FILE, see mchair model import --help), then --model NAME`
        : `--model: ${ref} was imported before models had cards, so nothing names its classes; import its file again with its card (mchair model import FILE --name ${ref} ..., see mchair model import --help)`,
    );
  return { ...m, card: m.card };
}

export type { Recognition };

/** A plan's shape in one line: `s0 x2 | s1` (two replicas of stage 0, then stage 1 on one board). */
export function planLayout(plan: Plan): string {
  return plan.stages
    .map((s) =>
      s.parts
        .map((p) => {
          const id = s.parts.length === 1 ? s.id : p.id;
          return p.devices.length > 1 ? `${id} x${p.devices.length}` : id;
        })
        .join(' + '),
    )
    .join(' | ');
}

export interface RecogniseRequest {
  trained: TrainedModel;
  files: readonly string[];
  top: number;
  /** Absent: the whole model in this process. */
  farm?: FarmChoice;
  plan: string | Plan;
  dataDir: string;
  log: Logger;
  say?(line: string): void;
}

export async function recognise(req: RecogniseRequest): Promise<Recognition> {
  const { model, card } = req.trained;
  const labels = labelsOf(card);
  const { input: graphInput } = analyseModel(model);
  const input = { ...graphInput, shape: [...graphInput.shape] };
  const what = 'classify';
  const view = frameView(input, card.input.resize);
  if (!view)
    throw new InputError(
      `${what}: ${req.trained.name} takes ${input.dtype} [${input.shape.join(',')}], not uint8 [1,H,W,3] pictures`,
    );
  const base = { model: req.trained.name, emulated: false, runId: null, plan: null };
  if (!req.farm) {
    const session = await ort.InferenceSession.create(encodeModel(model), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    try {
      const images: Recognition['images'] = [];
      for (const file of req.files) {
        const bytes = pictureFrame(await readPicture(file, what), view);
        const out = await session.run({
          [input.name]: new ort.Tensor('uint8', bytes, input.shape),
        });
        // The wrapped model's one output: float32 probabilities (wrapModel ends it in them).
        const probs = Object.values(out)[0]!.data as Float32Array;
        images.push({ file, top: topK(probs, req.top, labels) });
      }
      return { ...base, images };
    } finally {
      await session.release();
    }
  }
  let plan: Plan | null = null;
  const answers: RankedClass[][] = [];
  const report = await runModel({
    farm: req.farm,
    model,
    labels,
    plan: req.plan,
    frames: req.files.length,
    window: 2,
    check: false,
    source: async (i) =>
      pictureFilesSource(req.files, i, { resize: card.input.resize, what, name: 'pictures' }),
    dataDir: req.dataDir,
    log: req.log,
    say: req.say,
    onPlan: (p) => (plan = p),
    onOutput: (frameId, output) => (answers[frameId] = rankedClasses(output, req.top, labels)),
  });
  const chosen = plan as Plan | null;
  const missing = req.files.findIndex((_, i) => !answers[i]);
  if (report.state !== 'done' || missing >= 0 || !chosen)
    throw new AppError(
      'RUN_FAILED',
      `classify: the farm's run ${report.runId} ${report.state === 'done' ? `gave no answer for ${req.files[missing]}` : `failed (${report.frames.completed}/${req.files.length} frames answered)`}; see mchair runs show ${report.runId}`,
    );
  return {
    model: req.trained.name,
    plan: {
      origin: chosen.origin,
      layout: planLayout(chosen),
      predictedIps: chosen.prediction.ips,
    },
    emulated: report.emulated,
    runId: report.runId,
    images: req.files.map((file, i) => ({ file, top: answers[i]! })),
  };
}
