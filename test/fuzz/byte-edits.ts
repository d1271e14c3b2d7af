// Mutations of a valid byte stream for the fuzz tests: bytes set, inserted and deleted, and
// varints that claim absurd counts or lengths inserted, as a corrupt file or a hostile peer sends.
import fc from 'fast-check';

export type ByteEdit =
  { kind: 'set'; at: number; byte: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

export function byteEdit(opts: {
  maxInsert: number;
  maxDelete: number;
  /** Encoded varints to insert (huge positive or negative counts and lengths). */
  varints: readonly Buffer[];
}): fc.Arbitrary<ByteEdit | { kind: 'delete'; at: number; n: number }> {
  return fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: opts.maxInsert }),
    }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      n: fc.integer({ min: 1, max: opts.maxDelete }),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.constantFrom(...opts.varints),
    }),
  );
}

export function applyEdits(
  base: Uint8Array,
  edits: ReadonlyArray<ByteEdit | { kind: 'delete'; at: number; n: number }>,
): Buffer {
  let bytes = Buffer.from(base);
  for (const e of edits) {
    const at = e.at % (bytes.length + 1);
    if (e.kind === 'set') {
      if (at < bytes.length) bytes[at] = e.byte;
    } else if (e.kind === 'insert') {
      bytes = Buffer.concat([bytes.subarray(0, at), e.bytes, bytes.subarray(at)]);
    } else {
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.n)]);
    }
  }
  return bytes;
}
