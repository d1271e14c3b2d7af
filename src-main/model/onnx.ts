// Reading and writing ONNX files. Weights stay where they were read: a loaded tensor's bytes are a
// view into the file's buffer (or its external-data file), a built one a view into its generator's
// array, and writing streams each tensor's bytes straight to the file, so a 528 MB VGG16 lives in
// memory about once. Every tensor is normalised to little-endian raw bytes on load, so the rest of
// the toolkit reads one representation.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, realpathSync, writeSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import { ModelInvalidError } from './errors';

export const onnx = onnxProto.onnx;
// The generated namespace types, re-exported under the lab's short names.
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** An ONNX model in memory: its protobuf (tensors as raw bytes) and the name it goes by. */
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

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

/** Reads a (small) tensor's values as numbers: shapes, axes, constants to fold. */
export function tensorValues(t: TensorProto): number[] {
  const dtype = dtypeFromCode(t.dataType, `tensor "${t.name}"`);
  const raw = t.rawData ?? new Uint8Array(0);
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

/** The value of an IEEE float16 bit pattern. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The IEEE float16 bit pattern nearest to `v` (ties to even), as onnxruntime's Cast rounds. */
export function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero): shift the mantissa with its implicit bit in, rounding to even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** Moves `float_data`, `int64_data`... into `raw_data` so every tensor has one representation. */
function normaliseTensorData(t: TensorProto, where: string): void {
  const dtype = dtypeFromCode(t.dataType, where);
  const dims = tensorDims(t);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 2 ** 31) {
      throw new ModelInvalidError(`${where}: absurd dimension ${d} in shape [${dims.join(',')}]`);
    }
  }
  const expected = numel(dims) * dtypeSize(dtype);
  if (!t.rawData || t.rawData.byteLength === 0) {
    let values: number[] | null = null;
    if (t.floatData?.length) values = t.floatData;
    else if (t.doubleData?.length) values = t.doubleData;
    else if (t.int64Data?.length) values = t.int64Data.map(toNumber);
    else if (t.uint64Data?.length) values = t.uint64Data.map(toNumber);
    else if (t.int32Data?.length && dtype === 'float16') {
      // float16 sits in int32_data as its bit pattern.
      const raw = new Uint8Array(t.int32Data.length * 2);
      const view = new DataView(raw.buffer);
      t.int32Data.forEach((v, i) => view.setUint16(i * 2, v, true));
      t.rawData = raw;
    } else if (t.int32Data?.length) values = t.int32Data;
    if (values) t.rawData = valuesTensor('', dtype, dims, values).rawData!;
    t.floatData = [];
    t.doubleData = [];
    t.int64Data = [];
    t.uint64Data = [];
    t.int32Data = [];
  }
  const have = t.rawData?.byteLength ?? 0;
  if (have !== expected) {
    throw new ModelInvalidError(
      `${where}: holds ${have} bytes but its shape [${dims.join(',')}] of ${dtype} needs ${expected}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

function describeDecodeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/index out of range/i.test(msg)) return 'the file is truncated or not protobuf';
  return msg.split('\n')[0] ?? msg;
}

/**
 * Loads an ONNX model from a file path or from its bytes. External-data files are read from the
 * model's folder (never from outside it).
 */
export function loadModel(
  pathOrBytes: string | Uint8Array,
  opts: { name?: string } = {},
): OnnxModel {
  let bytes: Uint8Array;
  let dir: string | null = null;
  let label: string;
  let name: string;
  if (typeof pathOrBytes === 'string') {
    label = pathOrBytes;
    try {
      bytes = readFileSync(pathOrBytes);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelInvalidError(
        `${pathOrBytes}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not an ONNX file' : `cannot read (${code ?? String(err)})`}`,
      );
    }
    dir = dirname(resolve(pathOrBytes));
    name = opts.name ?? basename(pathOrBytes, extname(pathOrBytes));
  } else {
    bytes = pathOrBytes;
    label = opts.name ?? 'model';
    name = opts.name ?? 'model';
  }
  if (bytes.byteLength === 0) throw new ModelInvalidError(`${label}: the file is empty`);
  let proto: onnxProto.onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ModelInvalidError(`${label}: not an ONNX model (${describeDecodeError(err)})`);
  }
  const graph = proto.graph;
  if (!graph || (!graph.node?.length && !graph.output?.length)) {
    throw new ModelInvalidError(`${label}: not an ONNX model (no graph inside)`);
  }
  const externals = new Map<string, Buffer>();
  for (const t of graph.initializer ?? []) {
    const where = `${label}: initializer "${t.name}"`;
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      t.rawData = readExternal(t, dir, externals, where);
      // Now an ordinary inline tensor: written back inline unless saved with external data.
      delete t.dataLocation;
      t.externalData = [];
    }
    normaliseTensorData(t, where);
  }
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.t) normaliseTensorData(a.t, `${label}: node "${node.name}" attribute "${a.name}"`);
    }
  }
  return { name, proto };
}

function readExternal(
  t: TensorProto,
  dir: string | null,
  cache: Map<string, Buffer>,
  where: string,
): Uint8Array {
  if (!dir)
    throw new ModelInvalidError(
      `${where}: its weights are in an external file; load the model from its path`,
    );
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new ModelInvalidError(`${where}: external data without a location`);
  const full = resolve(dir, location);
  const rel = relative(dir, full);
  if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ModelInvalidError(
      `${where}: external data location "${location}" leaves the model's folder; refusing to read it`,
    );
  }
  let buf = cache.get(full);
  if (!buf) {
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      throw new ModelInvalidError(
        `${where}: external data file "${location}" not found next to the model`,
      );
    }
    const realDir = realpathSync(dir);
    if (!real.startsWith(realDir + sep)) {
      throw new ModelInvalidError(
        `${where}: external data "${location}" links outside the model's folder; refusing to read it`,
      );
    }
    try {
      buf = readFileSync(real);
    } catch (err) {
      throw new ModelInvalidError(
        `${where}: cannot read external data "${location}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    cache.set(full, buf);
  }
  const offset = Number(kv.get('offset') ?? '0');
  const length = kv.has('length') ? Number(kv.get('length')) : buf.byteLength - offset;
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > buf.byteLength
  ) {
    throw new ModelInvalidError(
      `${where}: external data range ${offset}+${length} lies outside "${location}" (${buf.byteLength} bytes)`,
    );
  }
  return buf.subarray(offset, offset + length);
}

// ---------------------------------------------------------------------------------------------
// Writing: protobufjs encodes everything but the initializers' raw bytes, which are framed by hand
// and written from where they already are.

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
  const entries: Array<{ frame: Uint8Array[]; raw: Uint8Array | null }> = [];
  let graphLength = graphHead.length;
  for (const t of graph.initializer ?? []) {
    let raw = t.rawData && t.rawData.byteLength ? t.rawData : null;
    let meta: TensorProto = { ...t, rawData: undefined };
    if (raw && external && raw.byteLength >= external.threshold) {
      const pad = (4096 - (external.offset % 4096)) % 4096;
      if (pad) external.sink.write(new Uint8Array(pad));
      external.offset += pad;
      meta = {
        ...meta,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: external.location },
          { key: 'offset', value: String(external.offset) },
          { key: 'length', value: String(raw.byteLength) },
        ],
      };
      external.sink.write(raw);
      external.offset += raw.byteLength;
      raw = null;
    }
    const tensorHead = onnx.TensorProto.encode(meta).finish();
    const rawFrame = raw ? lengthDelimited(TENSOR_RAW_DATA_FIELD, raw.byteLength) : null;
    const tensorLength = tensorHead.length + (rawFrame ? rawFrame.length + raw!.byteLength : 0);
    const frame = [lengthDelimited(GRAPH_INITIALIZER_FIELD, tensorLength), tensorHead];
    if (rawFrame) frame.push(rawFrame);
    graphLength += frame[0]!.length + tensorLength;
    entries.push({ frame, raw });
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
    if (e.raw) sink.write(e.raw);
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

class FileSink implements ByteSink {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.byteLength)
      done += writeSync(this.fd, chunk, done, chunk.byteLength - done);
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }
  close(): string {
    closeSync(this.fd);
    return this.hash.digest('hex');
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
 * Writes the model to `path`, streaming every tensor from where it lies. With `externalData`,
 * tensors of 1 KiB and more go to `<file>.data` beside it (needed above 2 GiB).
 */
export function saveModel(
  model: OnnxModel | ModelProto,
  path: string,
  opts: { externalData?: boolean } = {},
): SavedModel {
  const proto = 'proto' in model ? model.proto : model;
  const sink = new FileSink(path);
  let dataSink: FileSink | null = null;
  const dataFile = `${basename(path)}.data`;
  try {
    if (opts.externalData) {
      dataSink = new FileSink(join(dirname(path), dataFile));
      writeModelTo(proto, sink, { location: dataFile, sink: dataSink, threshold: 1024, offset: 0 });
    } else {
      writeModelTo(proto, sink);
    }
  } finally {
    dataSink?.close();
  }
  const sha256 = sink.close();
  return { path, sha256, bytes: sink.bytes, ...(dataSink ? { dataFile } : {}) };
}

/** sha256 of bytes in memory, hex (the manifest's digest). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
