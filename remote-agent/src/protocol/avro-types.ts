// TypeScript types read off an Avro protocol declared `as const`, so the schema is the one source
// of both the wire format and the types the code sees: a field added to the schema is in the type,
// and a type cannot drift from what avsc encodes. Two readings of one record: what a receiver
// gets (every field present: avsc fills defaults when decoding) and what a sender may write
// (fields with a default may be left out: avsc writes the default).

/** How a record is seen: as decoded, or as accepted for encoding. */
type Side = 'read' | 'write';

interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly default?: unknown;
}

interface AvroRecord {
  readonly type: 'record';
  readonly name: string;
  readonly fields: readonly AvroField[];
}

/** The protocol's named types by name. */
export type NamedTypes<Types extends readonly AvroRecord[]> = {
  [R in Types[number] as R['name']]: R;
};

type Primitive<S> = S extends 'string'
  ? string
  : S extends 'int' | 'long' | 'float' | 'double'
    ? number
    : S extends 'boolean'
      ? boolean
      : S extends 'bytes'
        ? Buffer
        : S extends 'null'
          ? null
          : never;

/** The value of Avro schema S, where N holds the named records S may refer to. */
export type AvroValue<S, N, D extends Side> = S extends keyof N
  ? AvroRecordValue<N[S], N, D>
  : S extends string
    ? Primitive<S>
    : S extends readonly unknown[]
      ? AvroValue<S[number], N, D>
      : S extends { readonly type: 'array'; readonly items: infer I }
        ? AvroValue<I, N, D>[]
        : S extends { readonly type: 'map'; readonly values: infer V }
          ? Record<string, AvroValue<V, N, D>>
          : S extends AvroRecord
            ? AvroRecordValue<S, N, D>
            : never;

type Defaulted<F> = F extends { readonly default: unknown } ? F : never;
type WithoutDefault<F> = F extends { readonly default: unknown } ? never : F;

type Flatten<T> = { [K in keyof T]: T[K] };

export type AvroRecordValue<R, N, D extends Side> = R extends AvroRecord
  ? D extends 'read'
    ? { [F in R['fields'][number] as F['name']]: AvroValue<F['type'], N, D> }
    : Flatten<
        { [F in WithoutDefault<R['fields'][number]> as F['name']]: AvroValue<F['type'], N, D> } & {
          [F in Defaulted<R['fields'][number]> as F['name']]?: AvroValue<F['type'], N, D>;
        }
      >
  : never;

/** A message's request fields as the handler's arguments, in order. */
export type AvroArgs<Fields, N> = {
  [I in keyof Fields]: Fields[I] extends AvroField
    ? AvroValue<Fields[I]['type'], N, 'read'>
    : never;
};
