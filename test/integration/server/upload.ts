// Sends an ONNX file to the core the way the Models view does: base64 chunks in order, the last
// one flagged (one WebSocket frame carries at most 1 MiB).
import type { Core } from '../../../src-main/core/index';
import { FRAME_INPUT, type ModelCard } from '../../../src-main/contract/modelCard';

/** The card of a zoo-built model: it takes the farm's frames and gives ImageNet probabilities. */
export const FRAMES_CARD: ModelCard = {
  title: 'test CNN',
  input: FRAME_INPUT,
  output: 'probs',
  labels: 'imagenet',
};

export async function uploadModel(
  core: Core,
  name: string,
  bytes: Uint8Array,
  uploadId: string,
  chunkBytes = 64 * 1024,
  card: ModelCard | undefined = FRAMES_CARD,
): ReturnType<Core['dispatch']> {
  let last: Awaited<ReturnType<Core['dispatch']>> | null = null;
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    const part = bytes.subarray(offset, offset + chunkBytes);
    last = await core.dispatch('models/upload', {
      uploadId,
      name,
      offset,
      chunk: Buffer.from(part).toString('base64'),
      last: offset + chunkBytes >= bytes.length,
      ...(card ? { card } : {}),
    });
    if (!last.ok) return last;
  }
  return last!;
}
