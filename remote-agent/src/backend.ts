// The inference backends an agent can run a part on: onnxruntime-node (native, the default) and
// onnxruntime-web's WebAssembly build, for boards where the native one does not load (32-bit Pi
// OS, Jetson TX2 with glibc 2.27). Both share onnxruntime-common's API, so a part does not care.
import type { InferenceSession, Tensor, TypedTensor } from 'onnxruntime-common';
import type { WireTensor } from './protocol/schema';
import { DTYPE_BYTES } from './protocol/tensor';

export type BackendName = 'node' | 'wasm';

/** The slice of the onnxruntime module both packages export. */
interface Ort {
  InferenceSession: {
    create(model: Uint8Array, opts?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  Tensor: new (type: Tensor.Type, data: Tensor.DataType, dims: readonly number[]) => Tensor;
  env: { wasm: { numThreads?: number } };
}

export interface PartSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(inputs: readonly WireTensor[]): Promise<WireTensor[]>;
  release(): Promise<void>;
}

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  // ORT represents float16 as raw 16-bit words.
  float16: Uint16Array,
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
} as const;

function toOrt(ort: Ort, t: WireTensor): Tensor {
  const Arr = ARRAYS[t.dtype as keyof typeof ARRAYS];
  if (!Arr) throw new Error(`tensor "${t.name}": dtype ${t.dtype} is not supported`);
  const size = DTYPE_BYTES[t.dtype] as number;
  // Typed arrays need aligned offsets; a Buffer slice of a socket read rarely is, so copy then.
  const aligned = t.bytes.byteOffset % size === 0;
  const buf = aligned ? t.bytes : Buffer.from(t.bytes);
  const data = new Arr(buf.buffer as ArrayBuffer, buf.byteOffset, buf.length / size);
  return new ort.Tensor(t.dtype as Tensor.Type, data, t.shape);
}

function fromOrt(name: string, t: Tensor): WireTensor {
  const data = (t as TypedTensor<'float32'>).data as unknown as ArrayBufferView;
  return {
    name,
    dtype: t.type,
    shape: t.dims.map(Number),
    bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * onnxruntime-node's native session, as its dist/binding.d.ts types it. The package's own
 * InferenceSession wraps it in a handler that defers every run() by a setImmediate and then runs
 * it synchronously on the same thread anyway. On an agent that deferral costs a pass of the event
 * loop per frame: each frame's answer leaves in a write of its own instead of sharing one with
 * the frames read in the same pass, and the transport bench ran ~9% slower. So the node backend
 * drives the binding directly, set up as the handler sets it up (initOrt, then loadModel).
 */
interface NativeSession {
  loadModel(
    buffer: ArrayBuffer,
    byteOffset: number,
    byteLength: number,
    options: InferenceSession.SessionOptions,
  ): void;
  readonly inputMetadata: readonly { name: string }[];
  readonly outputMetadata: readonly { name: string }[];
  run(
    feeds: Record<string, Tensor>,
    fetches: Record<string, null>,
    options: InferenceSession.RunOptions,
  ): Record<string, Tensor>;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

async function loadOrt(backend: BackendName, threads: number): Promise<Ort> {
  if (backend === 'node') return (await import('onnxruntime-node')) as unknown as Ort;
  const ort = (await import('onnxruntime-web')) as unknown as Ort;
  // onnxruntime-web runs single-threaded under Node (no cross-origin isolated workers).
  ort.env.wasm.numThreads = Math.max(1, Math.min(threads, 1));
  return ort;
}

async function loadNative(backend: BackendName): Promise<NativeBinding | null> {
  if (backend !== 'node') return null;
  const m = (await import('onnxruntime-node/dist/binding.js')) as unknown as NativeBinding & {
    default?: NativeBinding;
  };
  const native = m.default ?? m;
  native.initOrt();
  return native;
}

export class Backend {
  private constructor(
    readonly name: BackendName,
    private readonly ort: Ort,
    /** onnxruntime-node's synchronous binding (node backend only; see NativeSession). */
    private readonly native: NativeBinding | null,
    private readonly threads: number,
  ) {}

  static async load(name: BackendName, threads: number): Promise<Backend> {
    return new Backend(name, await loadOrt(name, threads), await loadNative(name), threads);
  }

  async session(model: Uint8Array): Promise<PartSession> {
    const ort = this.ort;
    const feeds = (inputs: readonly WireTensor[]) => {
      const f: Record<string, Tensor> = {};
      for (const t of inputs) f[t.name] = toOrt(ort, t);
      return f;
    };
    if (this.native) {
      const s = new this.native.binding.InferenceSession();
      s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionProviders: ['cpu'],
      });
      const outputNames = s.outputMetadata.map((m) => m.name);
      // Every output, each left to the session to allocate; the binding only reads this.
      const fetches: Record<string, null> = Object.fromEntries(outputNames.map((n) => [n, null]));
      return {
        inputNames: s.inputMetadata.map((m) => m.name),
        outputNames,
        async run(inputs) {
          const out = s.run(feeds(inputs), fetches, {});
          return outputNames.map((n) => fromOrt(n, out[n] as Tensor));
        },
        release: async () => s.dispose(),
      };
    }
    const s = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    return {
      inputNames: s.inputNames,
      outputNames: s.outputNames,
      async run(inputs) {
        const out = await s.run(feeds(inputs));
        return s.outputNames.map((n) => fromOrt(n, out[n] as Tensor));
      },
      release: () => s.release(),
    };
  }
}
