// The transport benchmark's stage: a one-node ONNX model that answers with the first 4 KB of its
// input, so `mchair bench transport` measures the protocol (Avro, TLS, framing, credits), not
// inference. Built with the model toolkit's proto helpers.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest, ManifestPart } from '../contract/index';
import { encodeModel } from '../model/index';
import { valuesTensor } from '../model/onnx';
import { valueInfo } from '../model/onnx';
import { IR_VERSION, OPSET } from '../model/zoo';

export const NOOP_ANSWER_BYTES = 4096;

/**
 * Writes a one-node part `file` (uint8 [1, bytes] `input` -> its first 4 KB as `output`) and
 * returns its manifest entry. The soak chains several of these into a pipeline.
 */
export async function writeNoopPart(
  dir: string,
  o: { file: string; input: string; output: string; bytes: number },
): Promise<ManifestPart> {
  const head = Math.min(NOOP_ANSWER_BYTES, o.bytes);
  const model = {
    name: 'noop',
    proto: {
      irVersion: IR_VERSION,
      producerName: 'musical-chair-lab',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: 'noop',
        node: [
          {
            name: 'head',
            opType: 'Slice',
            input: [o.input, 'starts', 'ends', 'axes'],
            output: [o.output],
          },
        ],
        initializer: [
          valuesTensor('starts', 'int64', [1], [0]),
          valuesTensor('ends', 'int64', [1], [head]),
          valuesTensor('axes', 'int64', [1], [1]),
        ],
        input: [valueInfo(o.input, 'uint8', [1, o.bytes])],
        output: [valueInfo(o.output, 'uint8', [1, head])],
      },
    },
  };
  const onnx = encodeModel(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, o.file), onnx);
  return {
    file: o.file,
    sha256: createHash('sha256').update(onnx).digest('hex'),
    inputs: [o.input],
    outputs: [o.output],
  };
}

/** Writes noop.onnx (uint8 [1, bytes] -> its first 4 KB) and returns its manifest. */
export async function writeNoopStage(dir: string, bytes: number): Promise<Manifest> {
  const part = await writeNoopPart(dir, {
    file: 'noop.onnx',
    input: 'input',
    output: 'head',
    bytes,
  });
  return {
    model: 'noop',
    input: { name: 'input', dtype: 'uint8', shape: [1, bytes] },
    output: 'head',
    stages: [{ id: 's0', parts: [part] }],
  };
}
