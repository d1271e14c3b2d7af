// Bounds avsc's decoding of arrays and maps by the bytes actually received. avsc reads a block
// count from the wire and then reads that many items, carrying on silently past the end of the
// message (it checks for overflow only once the whole value is read): a 20-byte message that
// claims 10^9 tensors makes the agent allocate until the process dies. An item that takes at
// least one byte cannot be more numerous than the bytes left, so a larger count is refused
// before any item is read. Imported for its effect by schema.ts, so every reader of the protocol
// (agents, the coordinator) decodes with the bound.
import avro from 'avsc';

/** The internals of avsc's Tap (a cursor over a Buffer) and types that the readers below use. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}
interface Reader {
  typeName?: string;
  _read(tap: Tap): unknown;
}
interface Container {
  itemsType?: Reader;
  valuesType?: Reader;
}

export class AvroCountError extends Error {}

const minBytesCache = new WeakMap<object, number>();

/**
 * The fewest bytes one value of `t` takes on the wire. Resolvers (a peer's schema read as ours)
 * carry no type name and count as one byte: every type of this protocol takes at least one.
 */
function minBytes(t: Reader): number {
  const known = minBytesCache.get(t);
  if (known !== undefined) return known;
  let n = 1;
  if (t.typeName === 'null') n = 0;
  else if (t.typeName === 'record' || t.typeName === 'error') {
    const fields = (t as unknown as { fields: { type: Reader }[] }).fields;
    n = fields.reduce((a, f) => a + minBytes(f.type), 0);
  } else if (t.typeName === 'fixed') n = (t as unknown as { size: number }).size;
  else if (t.typeName === 'float') n = 4;
  else if (t.typeName === 'double') n = 8;
  minBytesCache.set(t, n);
  return n;
}

/** Reads one block count (a negative count is followed by the block's byte size) and checks it. */
function blockCount(tap: Tap, perItem: number, what: string): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong();
  }
  const left = tap.buf.length - tap.pos;
  if (n > 0 && perItem > 0 && n * perItem > left) {
    throw new AvroCountError(
      `${what} claims ${n} items but only ${Math.max(0, left)} bytes follow`,
    );
  }
  return n;
}

const { ArrayType, MapType } = avro.types as unknown as Record<
  'ArrayType' | 'MapType',
  { prototype: Reader & Container }
>;

ArrayType.prototype._read = function (this: Container, tap: Tap): unknown[] {
  const items = this.itemsType as Reader;
  const per = minBytes(items);
  const out: unknown[] = [];
  for (let n = blockCount(tap, per, 'an array'); n > 0; n = blockCount(tap, per, 'an array')) {
    while (n--) out.push(items._read(tap));
  }
  return out;
};

MapType.prototype._read = function (this: Container, tap: Tap): Record<string, unknown> {
  const values = this.valuesType as Reader;
  // Each entry is a key (a string: at least its length byte) and a value.
  const per = 1 + minBytes(values);
  const out: Record<string, unknown> = {};
  for (let n = blockCount(tap, per, 'a map'); n > 0; n = blockCount(tap, per, 'a map')) {
    while (n--) {
      const key = tap.readString();
      out[key] = values._read(tap);
    }
  }
  return out;
};
