// Parts compute on a thread of their own. onnxruntime-node's run() is synchronous on the thread
// that calls it (its promise only defers the start), so an agent computing on its main thread
// is deaf for a whole frame: a Pi 3 running VGG16's conv stack (8 s a frame) would answer no
// health ping, take no frame in and send no result out meanwhile, and its run's heartbeat would
// declare it lost. Here the main thread keeps the wire and one thread per part keeps the session.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { Backend, type BackendName, type PartSession } from './backend';
import type { WireTensor } from './protocol/schema';

interface Boot {
  backend: BackendName;
  threads: number;
  model: Uint8Array;
}

/** A tensor as it crosses threads: its bytes in an ArrayBuffer of their own, transferred. */
interface Carried {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

type ToThread = { run: number; inputs: Carried[] } | { release: true };
type FromThread =
  | { ready: { inputNames: string[]; outputNames: string[] } }
  | { done: number; outputs: Carried[] }
  | { failed: number | null; message: string }
  | { released: true };

/** Copies each tensor's bytes into a buffer of its own, to be transferred rather than cloned. */
function carry(ts: readonly WireTensor[]): { tensors: Carried[]; transfer: ArrayBuffer[] } {
  const tensors = ts.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: [...t.shape],
    bytes: new Uint8Array(t.bytes),
  }));
  return { tensors, transfer: tensors.map((t) => t.bytes.buffer as ArrayBuffer) };
}

function arrived(ts: readonly Carried[]): WireTensor[] {
  return ts.map((t) => ({
    ...t,
    bytes: Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength),
  }));
}

/**
 * Frames expected to compute quicker than this stay on the wire thread: the hop to a thread and
 * back costs ~0.1 ms of CPU a frame (copies, messages, wake-ups), more than a no-op part's whole
 * compute, while a stall this short is lost in the heartbeat's 200 ms ping period.
 */
export const WIRE_THREAD_MS = 20;

/**
 * A part's session: on a thread of its own unless the plan expects its frames to be quick
 * (`expectMs` under WIRE_THREAD_MS), or this code runs from source (tests that load the agent
 * in-process), when it stays on this thread as `backend.session`.
 */
export function computeSession(
  backend: Backend,
  boot: Boot,
  expectMs: number | undefined,
  bundleUrl: string = import.meta.url,
): Promise<PartSession> {
  const quick = expectMs !== undefined && expectMs < WIRE_THREAD_MS;
  if (quick || !/\.m?js$/.test(new URL(bundleUrl).pathname)) return backend.session(boot.model);
  return threadSession(boot, bundleUrl);
}

function threadSession(boot: Boot, bundleUrl: string): Promise<PartSession> {
  // The model moves to the thread rather than being copied: a VGG16 part is hundreds of MB, and
  // two copies at once would break the memory budget the planner gave the board.
  const own = boot.model.byteOffset === 0 && boot.model.byteLength === boot.model.buffer.byteLength;
  const worker = new Worker(`import(${JSON.stringify(bundleUrl)}).then((m) => m.computeThread())`, {
    eval: true,
    workerData: boot,
    transferList: own ? [boot.model.buffer as ArrayBuffer] : [],
  });
  const waiting = new Map<number, { resolve(o: WireTensor[]): void; reject(e: Error): void }>();
  let next = 0;
  let dead: Error | null = null;
  let released: (() => void) | null = null;
  const failAll = (err: Error) => {
    dead ??= err;
    for (const w of waiting.values()) w.reject(dead);
    waiting.clear();
    released?.();
  };
  return new Promise<PartSession>((resolve, reject) => {
    worker.on('message', (m: FromThread) => {
      if ('ready' in m) {
        const send = (msg: ToThread, transfer: ArrayBuffer[] = []) =>
          worker.postMessage(msg, transfer);
        resolve({
          inputNames: m.ready.inputNames,
          outputNames: m.ready.outputNames,
          run(inputs) {
            if (dead) return Promise.reject(dead);
            const id = next++;
            const { tensors, transfer } = carry(inputs);
            return new Promise<WireTensor[]>((res, rej) => {
              waiting.set(id, { resolve: res, reject: rej });
              send({ run: id, inputs: tensors }, transfer);
            });
          },
          release: () =>
            dead
              ? worker.terminate().then(() => undefined)
              : new Promise<void>((done) => {
                  released = done;
                  send({ release: true });
                }).then(() => worker.terminate().then(() => undefined)),
        });
      } else if ('done' in m) {
        waiting.get(m.done)?.resolve(arrived(m.outputs));
        waiting.delete(m.done);
      } else if ('failed' in m) {
        const err = new Error(m.message);
        if (m.failed === null) {
          reject(err);
          failAll(err);
        } else {
          waiting.get(m.failed)?.reject(err);
          waiting.delete(m.failed);
        }
      } else released?.();
    });
    worker.on('error', (err) => {
      reject(err);
      failAll(err);
    });
    worker.on('exit', () => failAll(new Error("the part's compute thread ended")));
  });
}

/** The compute thread's body (the agent bundle exports it; see computeSession). */
export async function computeThread(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const boot = workerData as Boot;
  let session: PartSession;
  try {
    session = await (await Backend.load(boot.backend, boot.threads)).session(boot.model);
  } catch (err) {
    post({ failed: null, message: (err as Error).message });
    return;
  }
  post({ ready: { inputNames: [...session.inputNames], outputNames: [...session.outputNames] } });
  port.on('message', (m: ToThread) => {
    if ('release' in m) {
      void session.release().finally(() => {
        post({ released: true });
        port.close();
      });
      return;
    }
    session.run(arrived(m.inputs)).then(
      (outputs) => {
        const { tensors, transfer } = carry(outputs);
        post({ done: m.run, outputs: tensors }, transfer);
      },
      (err: Error) => post({ failed: m.run, message: err.message }),
    );
  });
}
