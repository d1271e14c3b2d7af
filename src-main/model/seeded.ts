// Deterministic pseudo-random values: the zoo's weights and the test frames. Each stream comes
// from a seed and a name alone, so a model or a frame rebuilds bit for bit on any machine.

/** 32-bit hash of a string (FNV-1a), to give every tensor its own stream. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Uniform values in [-limit, limit) from a small, fast generator (mulberry32): `count` values of
 * the stream from value `from` on. The generator's state moves by a constant step, so any stretch
 * of a stream is made without the values before it (a tensor is written in pieces).
 */
export function seededUniform(
  count: number,
  limit: number,
  seed: number,
  name: string,
  from = 0,
): Float32Array {
  const out = new Float32Array(count);
  let state = (hash32(`${seed}/${name}`) + Math.imul(from, 0x6d2b79f5)) | 0;
  const scale = (2 * limit) / 4294967296;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) * scale - limit;
  }
  return out;
}
