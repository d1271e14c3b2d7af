// Reading ONNX models without reading their weights. The protobuf wire format is walked here, by
// hand, down to each initializer: its fields are decoded, its raw_data is only located (an offset
// and a length in the file) and read when something needs the bytes. A file is read at offsets, in
// small pieces, so planning from a 553 MB VGG16 reads 12 KB of it; external-data files are only
// checked (in the model's folder, a regular file, long enough) until a tensor is read.
import { closeSync, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { AppError } from '../contract/errors';
import { ModelInvalidError } from './errors';
import {
  dtypeFromCode,
  dtypeSize,
  type ModelProto,
  numel,
  onnx,
  type OnnxModel,
  type TensorProto,
  tensorByteLength,
  tensorDims,
  toNumber,
  valuesTensor,
  type WeightSource,
} from './onnx';

// ---------------------------------------------------------------------------------------------
// Bytes to read from: a file at offsets, or bytes already in memory

/** A file as it was when the model was read: a weight read later checks it is still the same. */
interface FileStamp {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

function stampOf(path: string, st: Stats): FileStamp {
  return { path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

function readAt(fd: number, offset: number, length: number, label: string): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, offset + done);
    if (n === 0) throw new ModelInvalidError(`${label}: the file ended early (was it truncated?)`);
    done += n;
  }
  return out;
}

/** A tensor's bytes in a file: opened, checked and read when they are needed. */
class FileRange implements WeightSource {
  constructor(
    private readonly file: FileStamp,
    private readonly offset: number,
    readonly byteLength: number,
  ) {}

  read(start = 0, end = this.byteLength): Uint8Array {
    const { path } = this.file;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new ModelInvalidError(
        `${path}: cannot read the weights (${(err as NodeJS.ErrnoException).code ?? String(err)}); load the model again`,
      );
    }
    try {
      const st = fstatSync(fd);
      if (
        st.dev !== this.file.dev ||
        st.ino !== this.file.ino ||
        st.size !== this.file.size ||
        st.mtimeMs !== this.file.mtimeMs
      ) {
        throw new ModelInvalidError(
          `${path}: changed on disk since the model was read; load the model again`,
        );
      }
      return readAt(fd, this.offset + start, end - start, path);
    } finally {
      closeSync(fd);
    }
  }
}

/** Random access to a model's bytes while its structure is read. */
interface ByteStore {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  /** Where a tensor's bytes are, to read them later. */
  range(offset: number, length: number): WeightSource;
}

class MemoryStore implements ByteStore {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  range(offset: number, length: number): WeightSource {
    // Views, not copies: a model in memory stays in memory once.
    return { byteLength: length, read: (s = 0, e = length) => this.read(offset + s, e - s) };
  }
}

/** Tags and lengths are read through a small window, so a tag costs no system call of its own. */
const WINDOW = 256;

class FileStore implements ByteStore {
  private window: { offset: number; bytes: Uint8Array } = { offset: 0, bytes: new Uint8Array(0) };
  constructor(
    private readonly fd: number,
    private readonly stamp: FileStamp,
  ) {}
  get size(): number {
    return this.stamp.size;
  }
  read(offset: number, length: number): Uint8Array {
    const w = this.window;
    if (offset >= w.offset && offset + length <= w.offset + w.bytes.byteLength)
      return w.bytes.subarray(offset - w.offset, offset - w.offset + length);
    if (length > WINDOW) return readAt(this.fd, offset, length, this.stamp.path);
    const bytes = readAt(this.fd, offset, Math.min(WINDOW, this.size - offset), this.stamp.path);
    this.window = { offset, bytes };
    return bytes.subarray(0, length);
  }
  range(offset: number, length: number): WeightSource {
    return new FileRange(this.stamp, offset, length);
  }
}

// ---------------------------------------------------------------------------------------------
// The wire format: each field's number, wire type and extent, without reading its payload

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
/** float_data, int32_data, int64_data, double_data, uint64_data: values as protobuf numbers. */
const TENSOR_TYPED_DATA = new Set([4, 5, 7, 10, 11]);

class NotProtobuf extends Error {}

interface Field {
  readonly number: number;
  readonly wire: number;
  /** Where its tag starts. */
  readonly start: number;
  /** Where its payload starts (length-delimited fields) or its value is. */
  readonly payload: number;
  readonly end: number;
}

function varintAt(store: ByteStore, pos: number, end: number): [value: number, next: number] {
  const bytes = store.read(pos, Math.min(10, end - pos));
  let value = 0;
  let scale = 1;
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos + i + 1];
    scale *= 128;
  }
  throw new NotProtobuf();
}

function* fields(store: ByteStore, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = varintAt(store, pos, end);
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0 || tag > 0xffffffff) throw new NotProtobuf();
    let payload = afterTag;
    let next: number;
    if (wire === VARINT) next = varintAt(store, afterTag, end)[1];
    else if (wire === FIXED64) next = afterTag + 8;
    else if (wire === FIXED32) next = afterTag + 4;
    else if (wire === LENGTH_DELIMITED) {
      const [length, afterLength] = varintAt(store, afterTag, end);
      payload = afterLength;
      next = afterLength + length;
    } else throw new NotProtobuf();
    if (next > end) throw new NotProtobuf();
    yield { number, wire, start: pos, payload, end: next };
    pos = next;
  }
}

/** An initializer's fields decoded, its raw_data located but not read. */
function readTensor(store: ByteStore, tensor: Field): TensorProto {
  const head: Uint8Array[] = [];
  let raw: Field | null = null;
  for (const f of fields(store, tensor.payload, tensor.end)) {
    if (TENSOR_TYPED_DATA.has(f.number)) {
      // Values written as protobuf numbers (old exporters, small constants) are decoded now, as
      // protobufjs reads them: they need converting to raw bytes anyway.
      return onnx.TensorProto.decode(store.read(tensor.payload, tensor.end - tensor.payload));
    }
    if (f.number === TENSOR_RAW_DATA && f.wire === LENGTH_DELIMITED) raw = f;
    else head.push(store.read(f.start, f.end - f.start));
  }
  const t: TensorProto = onnx.TensorProto.decode(Buffer.concat(head));
  if (raw && raw.end > raw.payload) t.source = store.range(raw.payload, raw.end - raw.payload);
  return t;
}

/** The model's protobuf with every initializer's bytes left where they are. */
function readModelProto(store: ByteStore): ModelProto {
  const head: Uint8Array[] = [];
  const graphHead: Uint8Array[] = [];
  const initializers: TensorProto[] = [];
  let hasGraph = false;
  for (const f of fields(store, 0, store.size)) {
    if (f.number !== MODEL_GRAPH || f.wire !== LENGTH_DELIMITED) {
      head.push(store.read(f.start, f.end - f.start));
      continue;
    }
    // A message field given twice is merged, as protobuf merges it: its fields in turn.
    hasGraph = true;
    for (const g of fields(store, f.payload, f.end)) {
      if (g.number === GRAPH_INITIALIZER && g.wire === LENGTH_DELIMITED)
        initializers.push(readTensor(store, g));
      else graphHead.push(store.read(g.start, g.end - g.start));
    }
  }
  const proto = onnx.ModelProto.decode(Buffer.concat(head));
  if (hasGraph) {
    proto.graph = onnx.GraphProto.decode(Buffer.concat(graphHead));
    proto.graph.initializer = initializers;
  }
  return proto;
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Moves `float_data`, `int64_data`... into `raw_data`, and checks the size against the shape. */
function normaliseTensorData(t: TensorProto, where: string): void {
  const dtype = dtypeFromCode(t.dataType, where);
  const dims = tensorDims(t);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 2 ** 31) {
      throw new ModelInvalidError(`${where}: absurd dimension ${d} in shape [${dims.join(',')}]`);
    }
  }
  const expected = numel(dims) * dtypeSize(dtype);
  if (!tensorByteLength(t)) {
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
  const have = tensorByteLength(t);
  if (have !== expected) {
    throw new ModelInvalidError(
      `${where}: holds ${have} bytes but its shape [${dims.join(',')}] of ${dtype} needs ${expected}`,
    );
  }
}

function describeDecodeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof NotProtobuf || /index out of range/i.test(msg))
    return 'the file is truncated or not protobuf';
  return msg.split('\n')[0] ?? msg;
}

function openModelFile(path: string): { fd: number; stamp: FileStamp } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelInvalidError(
      `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`}`,
    );
  }
  const st = fstatSync(fd);
  if (st.isDirectory()) {
    closeSync(fd);
    throw new ModelInvalidError(`${path}: is a folder, not an ONNX file`);
  }
  return { fd, stamp: stampOf(resolve(path), st) };
}

/**
 * Loads an ONNX model from a file path or from its bytes, reading its graph and its tensors'
 * types and shapes; the weights are read when they are needed (partitioning, saving, running).
 * External-data files are read from the model's folder only (never from outside it).
 */
export function loadModel(
  pathOrBytes: string | Uint8Array,
  opts: { name?: string } = {},
): OnnxModel {
  let label: string;
  let name: string;
  let file: { fd: number; stamp: FileStamp } | null = null;
  let store: ByteStore;
  if (typeof pathOrBytes === 'string') {
    label = pathOrBytes;
    name = opts.name ?? basename(pathOrBytes, extname(pathOrBytes));
    file = openModelFile(pathOrBytes);
    store = new FileStore(file.fd, file.stamp);
  } else {
    label = name = opts.name ?? 'model';
    store = new MemoryStore(pathOrBytes);
  }
  let proto: ModelProto;
  try {
    if (store.size === 0) throw new ModelInvalidError(`${label}: the file is empty`);
    proto = readModelProto(store);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new ModelInvalidError(`${label}: not an ONNX model (${describeDecodeError(err)})`);
  } finally {
    if (file) closeSync(file.fd);
  }
  const graph = proto.graph;
  if (!graph || (!graph.node?.length && !graph.output?.length)) {
    throw new ModelInvalidError(`${label}: not an ONNX model (no graph inside)`);
  }
  const dir = file ? dirname(file.stamp.path) : null;
  const externals = new Map<string, FileStamp>();
  for (const t of graph.initializer ?? []) {
    const where = `${label}: initializer "${t.name}"`;
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      t.source = externalRange(t, dir, externals, where);
      // Now an ordinary inline tensor: written back inline unless saved with external data.
      t.rawData = new Uint8Array(0);
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

/** Where an external-data tensor's bytes are, checked to lie in the model's folder. */
function externalRange(
  t: TensorProto,
  dir: string | null,
  files: Map<string, FileStamp>,
  where: string,
): WeightSource {
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
  let file = files.get(full);
  if (!file) {
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      throw new ModelInvalidError(
        `${where}: external data file "${location}" not found next to the model`,
      );
    }
    if (!real.startsWith(realpathSync(dir) + sep)) {
      throw new ModelInvalidError(
        `${where}: external data "${location}" links outside the model's folder; refusing to read it`,
      );
    }
    let fd: number;
    try {
      fd = openSync(real, 'r');
    } catch (err) {
      throw new ModelInvalidError(
        `${where}: cannot read external data "${location}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile())
        throw new ModelInvalidError(`${where}: external data "${location}" is not a file`);
      file = stampOf(real, st);
    } finally {
      closeSync(fd);
    }
    files.set(full, file);
  }
  const offset = Number(kv.get('offset') ?? '0');
  const length = kv.has('length') ? Number(kv.get('length')) : file.size - offset;
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > file.size
  ) {
    throw new ModelInvalidError(
      `${where}: external data range ${offset}+${length} lies outside "${location}" (${file.size} bytes)`,
    );
  }
  return new FileRange(file, offset, length);
}
