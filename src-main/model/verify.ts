// Running partitions with plain onnxruntime, stage by stage, the way a farm does (concatenating the
// parts of a split stage), and checking that they reproduce the whole model. `runManifest` is
// also the reference executor for a partition folder: it checks each file's sha256 first.
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Manifest } from '../contract/manifest';
import { PartitionError } from './errors';
import { analyseModel } from './graph';
import { floatToHalf, halfToFloat } from './float16';
import { type OnnxModel, saveModel } from './onnx';
import { partitionModel, type PartitionSpec } from './partition';
import { seededUniform } from './seeded';

/**
 * Sessions without onnxruntime's layout rewrites: on x86 its NCHWc transformer blocks a conv's
 * channels differently depending on where the graph ends, so a part and the whole model round
 * differently (9.5e-7 at a MobileNetV2 cut) although they compute the same thing; every other
 * fusion stays. Boards (ARM) never take that rewrite, and with it off, parts equal the whole
 * bit for bit in float32 and int8.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'extended',
};

/** Concatenates tensors along `axis` (every other dim equal). */
export function concatTensors(parts: readonly ort.Tensor[], axis: number): ort.Tensor {
  const first = parts[0]!;
  const dims = [...first.dims];
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const widths = parts.map((p) => p.dims[axis]! * inner);
  const rowWidth = widths.reduce((a, b) => a + b, 0);
  // Typed as Float32Array for subarray/set only: the copy keeps the tensors' own element type.
  const src = parts.map((p) => p.data as unknown as Float32Array);
  const out = new (src[0]!.constructor as Float32ArrayConstructor)(outer * rowWidth);
  for (let o = 0; o < outer; o++) {
    let at = o * rowWidth;
    src.forEach((s, j) => {
      out.set(s.subarray(o * widths[j]!, (o + 1) * widths[j]!), at);
      at += widths[j]!;
    });
  }
  dims[axis] = rowWidth / inner;
  return new ort.Tensor(first.type as 'float32', out, dims);
}

function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Runs the frames through a partition folder, one stage at a time (only that stage's sessions are
 * alive), and returns the model output for each frame.
 */
export async function runManifest(
  dir: string,
  manifest: Manifest,
  frames: readonly ort.Tensor[],
): Promise<ort.Tensor[]> {
  let current: Array<Map<string, ort.Tensor>> = frames.map(
    (f) => new Map([[manifest.input.name, f]]),
  );
  for (const stage of manifest.stages) {
    const outputs: ort.Tensor[][] = frames.map(() => []);
    for (const part of stage.parts) {
      const path = join(dir, part.file);
      const sha = fileSha256(path);
      if (sha !== part.sha256)
        throw new PartitionError(
          `${path}: sha256 ${sha} does not match the manifest's ${part.sha256}`,
        );
      const session = await ort.InferenceSession.create(path, SESSION_OPTIONS);
      try {
        for (let f = 0; f < frames.length; f++) {
          const feeds: Record<string, ort.Tensor> = {};
          for (const i of part.inputs) feeds[i] = current[f]!.get(i) ?? missing(i, part.file);
          const result = await session.run(feeds);
          outputs[f]!.push(result[part.outputs[0]!]!);
        }
      } finally {
        await session.release();
      }
    }
    current = outputs.map((outs) => {
      if (stage.concat)
        return new Map([[stage.concat.output, concatTensors(outs, stage.concat.axis)]]);
      return new Map([[stage.parts[0]!.outputs[0]!, outs[0]!]]);
    });
  }
  return current.map((m) => m.get(manifest.output) ?? missing(manifest.output, 'the last stage'));
}

function missing(name: string, where: string): never {
  throw new PartitionError(`${where} needs tensor "${name}" that no earlier stage produces`);
}

/**
 * Seeded random frames of the model's input type: uint8 or int8 pixels, or floats in [-1, 1]
 * (float16 ones rounded to the nearest half).
 */
export function randomFrames(model: OnnxModel, count: number, seed: number): ort.Tensor[] {
  const { input } = analyseModel(model);
  const n = input.shape.reduce((a, b) => a * b, 1);
  const dims = [...input.shape];
  return Array.from({ length: count }, (_, k) => {
    const u = seededUniform(n, 1, seed, `frame${k}`);
    switch (input.dtype) {
      case 'uint8':
        return new ort.Tensor(
          'uint8',
          Uint8Array.from(u, (v) => Math.floor((v + 1) * 127.99)),
          dims,
        );
      case 'int8':
        return new ort.Tensor(
          'int8',
          Int8Array.from(u, (v) => Math.floor(v * 127.99)),
          dims,
        );
      case 'float32':
        return new ort.Tensor('float32', u, dims);
      case 'float16':
        return new ort.Tensor('float16', Uint16Array.from(u, floatToHalf), dims);
      default:
        throw new PartitionError(
          `cannot make random ${input.dtype} frames; verify takes uint8, int8, float16 or float32 inputs`,
        );
    }
  });
}

/** A tensor's values as numbers (float16 words decoded). */
function valuesOf(t: ort.Tensor): ArrayLike<number> {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, halfToFloat);
  return t.data as ArrayLike<number>;
}

/**
 * The default tolerance: a model that computes in float16 anywhere keeps ~3 significant digits,
 * and onnxruntime (on x86) computes float16 nodes in float32 between casts it removes inside a
 * graph but not across a cut, so its parts round where the whole does not.
 */
export function defaultTolerance(model: OnnxModel): number {
  const a = analyseModel(model);
  const half = a.layers.some((l) => l.outputs.some((o) => a.tensors.get(o)?.dtype === 'float16'));
  return half || a.input.dtype === 'float16' ? FLOAT16_TOLERANCE : DEFAULT_TOLERANCE;
}

export interface VerifyReport {
  model: string;
  frames: number;
  stages: number;
  parts: number;
  /** Largest |partitioned - whole| over every output value of every frame. */
  maxAbsDiff: number;
  /** maxAbsDiff over the largest |whole| output value. */
  maxRelDiff: number;
  tolerance: number;
  ok: boolean;
}

export const DEFAULT_TOLERANCE = 1e-5;
export const FLOAT16_TOLERANCE = 1e-3;

/**
 * Partitions the model (into `outDir`, or a temporary folder removed afterwards), runs random
 * frames through the whole model and through the parts, and compares.
 */
export async function verifyPartition(
  model: OnnxModel,
  spec: PartitionSpec,
  opts: { frames?: number; seed?: number; tolerance?: number; outDir?: string } = {},
): Promise<VerifyReport> {
  const frames = randomFrames(model, opts.frames ?? 3, opts.seed ?? 1);
  const tolerance = opts.tolerance ?? defaultTolerance(model);
  const { input, output } = analyseModel(model);
  const scratch = mkdtempSync(join(tmpdir(), 'mchair-verify-'));
  try {
    // From a file, so onnxruntime reads the weights without another copy in JavaScript.
    const wholePath = join(scratch, 'whole.onnx');
    saveModel(model, wholePath);
    const whole = await ort.InferenceSession.create(wholePath, SESSION_OPTIONS);
    const expected: ort.Tensor[] = [];
    try {
      for (const f of frames) expected.push((await whole.run({ [input.name]: f }))[output.name]!);
    } finally {
      await whole.release();
    }
    rmSync(wholePath);
    const dir = opts.outDir ?? join(scratch, 'parts');
    const manifest = await partitionModel(model, spec, dir);
    const got = await runManifest(dir, manifest, frames);
    let maxAbs = 0;
    let maxRef = 0;
    got.forEach((g, f) => {
      const a = valuesOf(g);
      const b = valuesOf(expected[f]!);
      if (a.length !== b.length)
        throw new PartitionError(
          `the parts give ${a.length} output values, the whole model ${b.length}`,
        );
      for (let i = 0; i < a.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
        maxRef = Math.max(maxRef, Math.abs(b[i]!));
      }
    });
    const maxRelDiff = maxRef > 0 ? maxAbs / maxRef : maxAbs;
    return {
      model: model.name,
      frames: frames.length,
      stages: manifest.stages.length,
      parts: manifest.stages.reduce((n, s) => n + s.parts.length, 0),
      maxAbsDiff: maxAbs,
      maxRelDiff,
      tolerance,
      ok: maxRelDiff <= tolerance && Number.isFinite(maxRelDiff),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
