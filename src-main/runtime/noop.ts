// The transport benchmark's stage: a one-node ONNX model that answers with the first 4 KB of its
// input, so `mchair bench transport` measures the protocol (Avro, TLS, framing, credits), not
// inference. Built with the model toolkit's proto helpers.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../contract/index';
import { encodeModel } from '../model/index';
import { valuesTensor } from '../model/onnx';
import { IR_VERSION, OPSET, valueInfo } from '../model/zoo';

export const NOOP_ANSWER_BYTES = 4096;

/** Writes noop.onnx (uint8 [1, bytes] -> its first 4 KB) and returns its manifest. */
export async function writeNoopStage(dir: string, bytes: number): Promise<Manifest> {
  const head = Math.min(NOOP_ANSWER_BYTES, bytes);
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
            input: ['input', 'starts', 'ends', 'axes'],
            output: ['head'],
          },
        ],
        initializer: [
          valuesTensor('starts', 'int64', [1], [0]),
          valuesTensor('ends', 'int64', [1], [head]),
          valuesTensor('axes', 'int64', [1], [1]),
        ],
        input: [valueInfo('input', 'uint8', [1, bytes])],
        output: [valueInfo('head', 'uint8', [1, head])],
      },
    },
  };
  const onnx = encodeModel(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'noop.onnx'), onnx);
  return {
    model: 'noop',
    input: { name: 'input', dtype: 'uint8', shape: [1, bytes] },
    output: 'head',
    stages: [
      {
        id: 's0',
        parts: [
          {
            file: 'noop.onnx',
            sha256: createHash('sha256').update(onnx).digest('hex'),
            inputs: ['input'],
            outputs: ['head'],
          },
        ],
      },
    ],
  };
}
