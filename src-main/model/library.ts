// The lab's models: ONNX files a user brought in (the Models view's import, `mchair model import`,
// `mchair model get`), kept in <data>/models/<name>.onnx beside the built-in zoo, each with its
// card in <name>.card.json. What is kept is the model as the farm runs it: wrapped by its card
// (model/wrap.ts) to take uint8 NHWC RGB frames and give probabilities. A file arrives whole or in
// chunks (a page cannot hand the core a path, and one WebSocket frame is at most 1 MiB), takes
// the catalogue's card when its sha256 is known or the card it is given, is checked by the model
// toolkit (every operator supported, shapes known, the card true to the graph), and only then
// takes its name.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors';
import { FRAME_INPUT, ModelCard } from '../contract/modelCard';
import {
  catalogueBySha256,
  type CatalogueEntry,
  isZooName,
  loadModel,
  saveModel,
  wrapModel,
  ZOO_NAMES,
  type OnnxModel,
} from './index';
import { writeFileAtomic } from '../store/atomic';

/** VGG16 in float32 is 528 MB; anything far beyond is not a CNN for small boards. */
const MAX_MODEL_BYTES = 2 * 1024 ** 3;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The built-in architectures: ImageNet-shaped, with weights that mean nothing. */
const ZOO_CARD: ModelCard = {
  title: 'built-in architecture (deterministic weights, untrained)',
  input: FRAME_INPUT,
  output: 'probs',
  labels: 'imagenet',
  untrained: true,
};

export interface ModelChunk {
  uploadId: string;
  name: string;
  offset: number;
  /** Base64 bytes of the file from `offset`. */
  chunk: string;
  last: boolean;
  /** The card for a file the catalogue does not know (by sha256). */
  card?: ModelCard | undefined;
}

export interface LibraryModel {
  name: string;
  bytes: number;
  /** Null for a model imported before models had cards. */
  card: ModelCard | null;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file as the catalogue knows it (or not): its sha256, size and entry, read once. */
export interface IdentifiedFile {
  sha256: string;
  bytes: number;
  entry: CatalogueEntry | undefined;
}

export async function identifyFile(path: string): Promise<IdentifiedFile> {
  const sha256 = await sha256OfFile(path);
  return { sha256, bytes: (await stat(path)).size, entry: catalogueBySha256(sha256) };
}

export class ModelLibrary {
  private readonly dir: string;
  private readonly uploads: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'models');
    this.uploads = join(this.dir, '.uploads');
  }

  path(name: string): string | null {
    return MODEL_NAME.test(name) ? join(this.dir, `${name}.onnx`) : null;
  }

  /**
   * Where a model opens from, as runs and the toolkit take it: a zoo model's name, a library
   * model's file, or, where `paths` allows it (the command line, never a page), a path to an ONNX
   * file. Anything else is refused with the names there are.
   */
  async locate(ref: string, opts: { paths?: boolean } = {}): Promise<string> {
    if (isZooName(ref)) return ref;
    const file = this.path(ref);
    if (file && existsSync(file)) return file;
    if (opts.paths && statSync(ref, { throwIfNoEntry: false })?.isFile()) return ref;
    const imported = (await this.list()).map((m) => m.name);
    throw new AppError(
      'MODEL_UNKNOWN',
      `no model "${ref}"; choose from ${[...ZOO_NAMES, ...imported].join(', ')}, an .onnx file, or import one (mchair model import, or the Models view)`,
    );
  }

  /** The library's models by name with their file sizes and cards, in name order. */
  async list(): Promise<LibraryModel[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const names = files.filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -'.onnx'.length));
    const sized = await Promise.all(
      names
        .filter((n) => MODEL_NAME.test(n))
        .map(async (name) => ({
          name,
          bytes: (await stat(join(this.dir, `${name}.onnx`))).size,
          card: await this.storedCard(name),
        })),
    );
    return sized.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A model's card: the zoo's untrained ImageNet one, or what the library keeps beside it. */
  async card(name: string): Promise<ModelCard | null> {
    if (isZooName(name)) return ZOO_CARD;
    await this.locate(name);
    return this.storedCard(name);
  }

  private async storedCard(name: string): Promise<ModelCard | null> {
    const text = await readFile(join(this.dir, `${name}.card.json`), 'utf8').catch(() => null);
    if (text === null) return null;
    const parsed = ModelCard.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  }

  /**
   * Brings an ONNX file into the library: its card is the one given, else the catalogue's for its
   * sha256; the model is wrapped by it and written with its card under `name` (the catalogue id
   * by default). `move` consumes the file (a finished download); `identified` spares a caller
   * that has already read the file (a model is hundreds of MB) a second pass over it.
   */
  async addFile(
    file: string,
    opts: {
      name?: string | undefined;
      card?: ModelCard | undefined;
      move?: boolean;
      identified?: IdentifiedFile;
    } = {},
  ): Promise<{ name: string; card: ModelCard; model: OnnxModel }> {
    const { sha256, bytes, entry: known } = opts.identified ?? (await identifyFile(file));
    const card: ModelCard | undefined = opts.card ?? known?.card;
    if (!card)
      throw new AppError(
        'MODEL_CARD_NEEDED',
        `the catalogue does not know this file (sha256 ${sha256}); give its card: --layout nchw|nhwc --channels rgb|bgr --range 0-1|0-255 --mean R,G,B --std R,G,B --resize W,H --crop center|none --output logits|probs [--labels FILE]`,
      );
    const name = opts.name ?? known?.id;
    const target = name === undefined ? null : this.path(name);
    if (!name || !target)
      throw new AppError(
        'BAD_INPUT',
        'a model name is 1-64 letters, digits, dot, dash or underscore (give one with --name)',
      );
    if (isZooName(name))
      throw new AppError('MODEL_EXISTS', `"${name}" is a built-in model; pick another name`);
    const sourced: ModelCard = { ...card, source: { ...card.source, sha256, bytes } };
    const model = wrapModel(loadModel(file, { name }), sourced, name);
    await mkdir(this.uploads, { recursive: true });
    const checked = join(this.uploads, `${name}.${process.pid}.${Date.now()}.onnx`);
    try {
      saveModel(model, checked);
      await writeFileAtomic(join(this.dir, `${name}.card.json`), JSON.stringify(sourced, null, 2));
      await rename(checked, target);
    } finally {
      await rm(checked, { force: true });
    }
    if (opts.move) await rm(file, { force: true });
    // Weights are read where they lie: the model handed back reads them from the library's file.
    return { name, card: sourced, model: loadModel(target, { name }) };
  }

  /** Appends one chunk; the last one brings the file into the library (and returns it). */
  async receive(c: ModelChunk): Promise<{ received: number; model: OnnxModel | null }> {
    if (!this.path(c.name))
      throw new AppError(
        'BAD_INPUT',
        'a model name is 1-64 letters, digits, dot, dash or underscore',
      );
    if (isZooName(c.name))
      throw new AppError('MODEL_EXISTS', `"${c.name}" is a built-in model; pick another name`);
    await mkdir(this.uploads, { recursive: true });
    const part = join(this.uploads, `${c.uploadId}.part`);
    const size = (await stat(part).catch(() => null))?.size ?? 0;
    if (c.offset !== size) {
      throw new AppError(
        'UPLOAD_OUT_OF_ORDER',
        `the import expected bytes from ${size}, not ${c.offset}: start it again`,
      );
    }
    const bytes = Buffer.from(c.chunk, 'base64');
    if (size + bytes.length > MAX_MODEL_BYTES) {
      await rm(part, { force: true });
      throw new AppError(
        'MODEL_TOO_BIG',
        `the file is over ${MAX_MODEL_BYTES / 1024 ** 3} GiB, too big for the farm's boards`,
        { details: { code: 'MODEL_TOO_BIG', maxBytes: MAX_MODEL_BYTES } },
      );
    }
    await appendFile(part, bytes);
    const received = size + bytes.length;
    if (!c.last) return { received, model: null };
    try {
      const { model } = await this.addFile(part, { name: c.name, card: c.card });
      return { received, model };
    } finally {
      await rm(part, { force: true });
    }
  }
}
