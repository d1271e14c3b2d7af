// Tensors on the wire are {name, dtype, shape, bytes}: raw little-endian element bytes, so a
// receiver wraps them in a typed array without parsing. This module checks them and joins the
// outputs of a split stage along the concat axis.
import type { WireTensor } from './schema';

export const DTYPE_BYTES: Record<string, number> = {
  uint8: 1,
  int8: 1,
  float16: 2,
  float32: 4,
  int32: 4,
  int64: 8,
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Bytes of a tensor of `dtype` and `shape`, for budgets and estimates (a dtype the wire does not
 * carry counts as 4 bytes an element; checkTensor refuses it on the wire).
 */
export function byteSize(t: { dtype: string; shape: readonly number[] }): number {
  return elementCount(t.shape) * (DTYPE_BYTES[t.dtype] ?? 4);
}

/** Throws when a tensor's byte length does not match its dtype and shape. */
export function checkTensor(t: WireTensor): void {
  const size = DTYPE_BYTES[t.dtype];
  if (size === undefined) throw new Error(`tensor "${t.name}" has unknown dtype "${t.dtype}"`);
  if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`tensor "${t.name}" has a bad shape [${t.shape.join(',')}]`);
  }
  const want = elementCount(t.shape) * size;
  if (t.bytes.length !== want) {
    throw new Error(`tensor "${t.name}" has ${t.bytes.length} bytes, its shape needs ${want}`);
  }
}

/**
 * Joins tensors along `axis` (the order of `parts` is the order of the split). Dimensions other
 * than `axis` must agree.
 */
export function concatTensors(
  name: string,
  parts: readonly WireTensor[],
  axis: number,
): WireTensor {
  const first = parts[0];
  if (!first) throw new Error(`nothing to join into "${name}"`);
  const rank = first.shape.length;
  if (axis >= rank)
    throw new Error(`cannot join "${name}" on axis ${axis} of a rank-${rank} tensor`);
  for (const p of parts) {
    checkTensor(p);
    if (p.dtype !== first.dtype || p.shape.length !== rank) {
      throw new Error(`parts of "${name}" differ in dtype or rank`);
    }
    for (let d = 0; d < rank; d++) {
      if (d !== axis && p.shape[d] !== first.shape[d]) {
        throw new Error(`parts of "${name}" differ in dimension ${d}`);
      }
    }
  }
  const elem = DTYPE_BYTES[first.dtype] as number;
  const outer = elementCount(first.shape.slice(0, axis));
  const inner = elementCount(first.shape.slice(axis + 1)) * elem;
  const shape = [...first.shape];
  shape[axis] = parts.reduce((a, p) => a + (p.shape[axis] as number), 0);
  const out = Buffer.allocUnsafe(elementCount(shape) * elem);
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const run = (p.shape[axis] as number) * inner;
      p.bytes.copy(out, off, o * run, (o + 1) * run);
      off += run;
    }
  }
  return { name, dtype: first.dtype, shape, bytes: out };
}

/** The bytes a frame's tensors carry (for telemetry and the size limit). */
export function tensorBytes(ts: readonly WireTensor[]): number {
  return ts.reduce((a, t) => a + t.bytes.length, 0);
}
