// Sends an ONNX file to the core the way the Models view does: base64 chunks in order, the last
// one flagged (one WebSocket frame carries at most 1 MiB).
import type { Core } from '../../../src-main/core/index';

export async function uploadModel(
  core: Core,
  name: string,
  bytes: Uint8Array,
  uploadId: string,
  chunkBytes = 64 * 1024,
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
    });
    if (!last.ok) return last;
  }
  return last!;
}
