// The lab's imported models: ONNX files a user brought in from the Models view, kept in
// <data>/models/<name>.onnx beside the built-in zoo. A file arrives in chunks (a page cannot
// hand the core a path, and one WebSocket frame is at most 1 MiB), is checked by the model
// toolkit (every operator supported, shapes known), optionally given the farm's uint8 NHWC input,
// and only then takes its name.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../contract/errors';
import { isZooName, loadModel, saveModel, ZOO_NAMES, type OnnxModel } from '../model/index';
import { importModel } from '../model/source';

/** VGG16 in float32 is 528 MB; anything far beyond is not a CNN for small boards. */
const MAX_MODEL_BYTES = 2 * 1024 ** 3;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ModelChunk {
  uploadId: string;
  name: string;
  offset: number;
  /** Base64 bytes of the file from `offset`. */
  chunk: string;
  last: boolean;
  uint8Input: boolean;
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
   * Where a model the lab knows opens from, as runs and the toolkit take it: a zoo model's name,
   * or an imported model's file. Anything else is refused with the names there are.
   */
  async locate(name: string): Promise<string> {
    if (isZooName(name)) return name;
    const file = this.path(name);
    if (file && existsSync(file)) return file;
    const imported = (await this.list()).map((m) => m.name);
    throw new AppError(
      'MODEL_UNKNOWN',
      `no model "${name}"; choose from ${[...ZOO_NAMES, ...imported].join(', ')} or import one on the Models view`,
    );
  }

  /** Imported models by name with their file sizes, in name order. */
  async list(): Promise<Array<{ name: string; bytes: number }>> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const names = files.filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -'.onnx'.length));
    const sized = await Promise.all(
      names
        .filter((n) => MODEL_NAME.test(n))
        .map(async (name) => ({ name, bytes: (await stat(join(this.dir, `${name}.onnx`))).size })),
    );
    return sized.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Appends one chunk; the last one checks and names the model (and returns it). */
  async receive(c: ModelChunk): Promise<{ received: number; model: OnnxModel | null }> {
    const target = this.path(c.name);
    if (!target)
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
      );
    }
    await appendFile(part, bytes);
    const received = size + bytes.length;
    if (!c.last) return { received, model: null };
    try {
      const model = importModel(loadModel(part, { name: c.name }), {
        uint8Input: c.uint8Input,
        name: c.name,
      });
      const checked = join(this.uploads, `${c.uploadId}.onnx`);
      saveModel(model, checked);
      await rename(checked, target);
      // The upload is deleted below: the model returned reads its weights from the library.
      return { received, model: loadModel(target, { name: c.name }) };
    } finally {
      await rm(part, { force: true });
    }
  }
}
