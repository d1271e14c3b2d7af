// ONNX models in memory and on disk. A tensor's bytes stay where they are until something needs
// them: a loaded tensor points at its range of the file (or its external-data file), a built one
// at its generator, so reading a graph's shapes and costs never touches the weights (VGG16's
// 528 MB). Writing reads each tensor's bytes in pieces as it writes them, so saving or
// partitioning a model read from a file or built by the zoo holds 16 MB of weights at a time.
// Bytes are little-endian raw everywhere (loading moves `float_data` and friends into that form),
// so the rest of the toolkit reads one representation.
import { createHash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { ModelInvalidError } from './errors';
import { floatToHalf, halfToFloat } from './float16';

export const onnx = onnxProto.onnx;
// The generated namespace types, re-exported under the lab's short names.
export type ModelProto = Omit<onnxProto.onnx.IModelProto, 'graph'> & { graph?: GraphProto | null };
export type GraphProto = Omit<onnxProto.onnx.IGraphProto, 'initializer'> & {
  initializer?: TensorProto[] | null;
};
export type NodeProto = onnxProto.onnx.INodeProto;
/** A tensor: its bytes in `rawData`, or (weights not read yet) where to get them in `source`. */
export type TensorProto = onnxProto.onnx.ITensorProto & { source?: WeightSource };
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/**
 * Where a tensor's bytes are until they are needed: a range of a file, a generator. Partitioning,
 * saving and running read them; analysis and costing never do.
 */
export interface WeightSource {
  /** The tensor's size in bytes, known without reading them. */
  readonly byteLength: number;
  /** Bytes [start, end) of the tensor (all of it by default), read or made now. */
  read(start?: number, end?: number): Uint8Array;
}

/** An ONNX model: its protobuf (tensors as raw bytes or weight sources) and the name it goes by. */
export interface OnnxModel {
  /** Zoo name, or the file's name without extension. */
  readonly name: string;
  readonly proto: ModelProto;
}

/** protobufjs decodes int64 as Long when the `long` package is present; everything here is < 2^53. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

// ---------------------------------------------------------------------------------------------
// Element types

export type DType =
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64';

const DT = onnxProto.onnx.TensorProto.DataType;
const DTYPES: ReadonlyArray<[number, DType, number]> = [
  [DT.FLOAT, 'float32', 4],
  [DT.UINT8, 'uint8', 1],
  [DT.INT8, 'int8', 1],
  [DT.UINT16, 'uint16', 2],
  [DT.INT16, 'int16', 2],
  [DT.INT32, 'int32', 4],
  [DT.INT64, 'int64', 8],
  [DT.BOOL, 'bool', 1],
  [DT.FLOAT16, 'float16', 2],
  [DT.DOUBLE, 'float64', 8],
  [DT.UINT32, 'uint32', 4],
  [DT.UINT64, 'uint64', 8],
];
const BY_CODE = new Map(DTYPES.map(([code, name, size]) => [code, { name, size }]));
const BY_NAME = new Map(DTYPES.map(([code, name, size]) => [name, { code, size }]));

export function dtypeFromCode(code: number | null | undefined, where: string): DType {
  const d = BY_CODE.get(code ?? 0);
  if (!d) throw new ModelInvalidError(`${where}: unsupported element type ${code ?? 'unset'}`);
  return d.name;
}
export function dtypeCode(d: DType): number {
  return BY_NAME.get(d)!.code;
}
export function dtypeSize(d: DType): number {
  return BY_NAME.get(d)!.size;
}
export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'float64';
}

// ---------------------------------------------------------------------------------------------
// Tensors

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A tensor with little-endian raw bytes (never `float_data` and friends). */
export function makeTensor(
  name: string,
  dtype: DType,
  dims: readonly number[],
  raw: Uint8Array,
): TensorProto {
  return { name, dataType: dtypeCode(dtype), dims: [...dims], rawData: raw };
}

/** A tensor whose bytes come from `source` when they are needed. */
export function lazyTensor(
  name: string,
  dtype: DType,
  dims: readonly number[],
  source: WeightSource,
): TensorProto {
  return { name, dataType: dtypeCode(dtype), dims: [...dims], source };
}

/** The tensor's size in bytes, without reading them. */
export function tensorByteLength(t: TensorProto): number {
  return t.rawData?.byteLength ? t.rawData.byteLength : (t.source?.byteLength ?? 0);
}

/** Bytes [start, end) of the tensor, read from its source if they are not in memory. */
export function tensorBytes(t: TensorProto, start = 0, end = tensorByteLength(t)): Uint8Array {
  if (start < 0 || start > end || end > tensorByteLength(t))
    throw new RangeError(`bytes ${start}..${end} of tensor "${t.name}" (${tensorByteLength(t)})`);
  if (t.rawData?.byteLength || !t.source)
    return (t.rawData ?? new Uint8Array(0)).subarray(start, end);
  const bytes = t.source.read(start, end);
  if (bytes.byteLength !== end - start) {
    throw new ModelInvalidError(
      `tensor "${t.name}": its source gave ${bytes.byteLength} bytes where ${end - start} were expected`,
    );
  }
  return bytes;
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

/** Reads a (small) tensor's values as numbers: shapes, axes, constants to fold. */
export function tensorValues(t: TensorProto): number[] {
  const dtype = dtypeFromCode(t.dataType, `tensor "${t.name}"`);
  const raw = tensorBytes(t);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = dtypeSize(dtype);
  const n = raw.byteLength / size;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (dtype) {
      case 'float32':
        out[i] = view.getFloat32(o, true);
        break;
      case 'float64':
        out[i] = view.getFloat64(o, true);
        break;
      case 'int64':
        out[i] = Number(view.getBigInt64(o, true));
        break;
      case 'uint64':
        out[i] = Number(view.getBigUint64(o, true));
        break;
      case 'int32':
        out[i] = view.getInt32(o, true);
        break;
      case 'uint32':
        out[i] = view.getUint32(o, true);
        break;
      case 'int16':
        out[i] = view.getInt16(o, true);
        break;
      case 'uint16':
        out[i] = view.getUint16(o, true);
        break;
      case 'int8':
        out[i] = view.getInt8(o);
        break;
      case 'uint8':
      case 'bool':
        out[i] = view.getUint8(o);
        break;
      case 'float16':
        out[i] = halfToFloat(view.getUint16(o, true));
        break;
    }
  }
  return out;
}

/** Encodes numbers as a tensor of the given type (for folded constants and small parameters). */
export function valuesTensor(
  name: string,
  dtype: DType,
  dims: readonly number[],
  values: readonly number[],
): TensorProto {
  const size = dtypeSize(dtype);
  const raw = new Uint8Array(values.length * size);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => {
    const o = i * size;
    switch (dtype) {
      case 'float32':
        view.setFloat32(o, v, true);
        break;
      case 'float64':
        view.setFloat64(o, v, true);
        break;
      case 'int64':
        view.setBigInt64(o, BigInt(Math.trunc(v)), true);
        break;
      case 'uint64':
        view.setBigUint64(o, BigInt(Math.trunc(v)), true);
        break;
      case 'int32':
        view.setInt32(o, v, true);
        break;
      case 'uint32':
        view.setUint32(o, v, true);
        break;
      case 'int16':
        view.setInt16(o, v, true);
        break;
      case 'uint16':
        view.setUint16(o, v, true);
        break;
      case 'int8':
        view.setInt8(o, v);
        break;
      case 'uint8':
      case 'bool':
        view.setUint8(o, v);
        break;
      case 'float16':
        view.setUint16(o, floatToHalf(v), true);
        break;
    }
  });
  return makeTensor(name, dtype, dims, raw);
}

// ---------------------------------------------------------------------------------------------
// Writing: protobufjs encodes everything but the initializers' raw bytes, which are framed by hand
// and written one tensor at a time from where they are.

interface ByteSink {
  write(chunk: Uint8Array): void;
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}
function lengthDelimited(field: number, length: number): Uint8Array {
  const tag = varint((field << 3) | 2);
  const len = varint(length);
  const out = new Uint8Array(tag.length + len.length);
  out.set(tag);
  out.set(len, tag.length);
  return out;
}

/** Tensors are read and written in pieces of at most this size: a large one is never all in memory. */
const WRITE_PIECE = 16 * 2 ** 20;

function writeTensor(sink: ByteSink, t: TensorProto, size: number): void {
  for (let at = 0; at < size; at += WRITE_PIECE)
    sink.write(tensorBytes(t, at, Math.min(size, at + WRITE_PIECE)));
}

const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;
/** Protobuf cannot address more than 2 GiB in one message: bigger models need external data. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

interface ExternalTarget {
  /** The data file's name, next to the model file. */
  readonly location: string;
  readonly sink: ByteSink;
  /** Tensors at least this big go to the data file. */
  readonly threshold: number;
  offset: number;
}

function writeModelTo(model: ModelProto, sink: ByteSink, external?: ExternalTarget): void {
  const graph = model.graph ?? {};
  const head = onnx.ModelProto.encode({ ...model, graph: undefined }).finish();
  const graphHead = onnx.GraphProto.encode({ ...graph, initializer: [] }).finish();
  // Every length is known before any weight is read: the inline ones are read while writing.
  const entries: Array<{ frame: Uint8Array[]; inline: TensorProto | null; size: number }> = [];
  let graphLength = graphHead.length;
  for (const t of graph.initializer ?? []) {
    const size = tensorByteLength(t);
    const { rawData: _raw, source: _source, ...fields } = t;
    let meta: TensorProto = fields;
    let inline = size ? t : null;
    if (inline && external && size >= external.threshold) {
      const pad = (4096 - (external.offset % 4096)) % 4096;
      if (pad) external.sink.write(new Uint8Array(pad));
      external.offset += pad;
      meta = {
        ...meta,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: external.location },
          { key: 'offset', value: String(external.offset) },
          { key: 'length', value: String(size) },
        ],
      };
      writeTensor(external.sink, t, size);
      external.offset += size;
      inline = null;
    }
    const tensorHead = onnx.TensorProto.encode(meta).finish();
    const rawFrame = inline ? lengthDelimited(TENSOR_RAW_DATA_FIELD, size) : null;
    const tensorLength = tensorHead.length + (rawFrame ? rawFrame.length + size : 0);
    const frame = [lengthDelimited(GRAPH_INITIALIZER_FIELD, tensorLength), tensorHead];
    if (rawFrame) frame.push(rawFrame);
    graphLength += frame[0]!.length + tensorLength;
    entries.push({ frame, inline, size });
  }
  const total = head.length + graphLength + 8;
  if (total > PROTOBUF_LIMIT && !external) {
    throw new ModelInvalidError('the model is larger than 2 GiB: save it with external data');
  }
  sink.write(head);
  sink.write(lengthDelimited(MODEL_GRAPH_FIELD, graphLength));
  sink.write(graphHead);
  for (const e of entries) {
    for (const f of e.frame) sink.write(f);
    if (e.inline) writeTensor(sink, e.inline, e.size);
  }
}

/** The model's ONNX bytes (one contiguous copy: for small models and in-memory sessions). */
export function encodeModel(model: OnnxModel | ModelProto): Uint8Array {
  const proto = 'proto' in model ? model.proto : model;
  const chunks: Uint8Array[] = [];
  let size = 0;
  writeModelTo(proto, {
    write: (c) => {
      chunks.push(c);
      size += c.byteLength;
    },
  });
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/**
 * A file written under a temporary name and renamed into place when complete: a failed save
 * leaves nothing half-written, and saving over the file a model was loaded from reads the old
 * file to the end before the new one replaces it.
 */
class FileSink implements ByteSink {
  private readonly temp: string;
  private fd: number | null;
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(readonly path: string) {
    this.temp = `${path}.${process.pid}.tmp`;
    this.fd = openSync(this.temp, 'w');
  }
  write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.byteLength)
      done += writeSync(this.fd!, chunk, done, chunk.byteLength - done);
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }
  /** Closes the file and gives its sha256 (hex). */
  close(): string {
    closeSync(this.fd!);
    this.fd = null;
    return this.hash.digest('hex');
  }
  commit(): void {
    renameSync(this.temp, this.path);
  }
  discard(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.temp, { force: true });
  }
}

export interface SavedModel {
  readonly path: string;
  /** sha256 of the .onnx file (hex). */
  readonly sha256: string;
  readonly bytes: number;
  /** The external-data file's name, when one was written. */
  readonly dataFile?: string;
}

/**
 * Writes the model to `path`, reading each tensor from its source as it goes. With
 * `externalData`, tensors of 1 KiB and more go to `<file>.data` beside it (needed above 2 GiB).
 */
export function saveModel(
  model: OnnxModel | ModelProto,
  path: string,
  opts: { externalData?: boolean } = {},
): SavedModel {
  const proto = 'proto' in model ? model.proto : model;
  const dataFile = `${basename(path)}.data`;
  const sink = new FileSink(path);
  const dataSink = opts.externalData ? new FileSink(join(dirname(path), dataFile)) : null;
  try {
    if (dataSink) {
      writeModelTo(proto, sink, { location: dataFile, sink: dataSink, threshold: 1024, offset: 0 });
      dataSink.close();
    } else {
      writeModelTo(proto, sink);
    }
    const sha256 = sink.close();
    dataSink?.commit();
    sink.commit();
    return { path, sha256, bytes: sink.bytes, ...(dataSink ? { dataFile } : {}) };
  } catch (err) {
    sink.discard();
    dataSink?.discard();
    throw err;
  }
}

/** sha256 of bytes in memory, hex (the manifest's digest). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function valueInfo(name: string, dtype: DType, shape: readonly number[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dtypeCode(dtype),
        shape: { dim: shape.map((d) => ({ dimValue: d })) },
      },
    },
  };
}

export function attrInts(name: string, ints: readonly number[]) {
  return { name, type: 7, ints: [...ints] };
}
export function attrInt(name: string, i: number) {
  return { name, type: 2, i };
}
