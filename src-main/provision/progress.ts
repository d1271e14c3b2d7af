// One progress value for provisioning N boards at once: each device moves through its steps
// (upload weighted by bytes, since it is most of the time), and the overall figure is the mean of
// the devices. Listeners get every change; a renderer throttles as it needs.
import type { DeviceProgress, ProvisionProgress, ProvisionStep } from '../contract/provision';

type WorkStep = Exclude<ProvisionStep, 'done' | 'failed'>;

// Share of a device's total for each step, in order.
const WEIGHTS: Record<WorkStep, number> = {
  connect: 0.05,
  probe: 0.05,
  upload: 0.7,
  install: 0.1,
  start: 0.05,
  verify: 0.05,
};
const ORDER = Object.keys(WEIGHTS) as WorkStep[];

function before(step: WorkStep): number {
  let sum = 0;
  for (const s of ORDER) {
    if (s === step) return sum;
    sum += WEIGHTS[s];
  }
  return sum;
}

export type ProgressListener = (snapshot: ProvisionProgress, changed: DeviceProgress) => void;

/** Byte progress reaches listeners at most this often per device (a chunk is 64 KB). */
export const BYTES_EVERY_MS = 100;

export class ProgressTracker {
  private readonly devices = new Map<string, DeviceProgress>();
  private readonly lastBytes = new Map<string, number>();

  constructor(
    names: readonly string[],
    private readonly listener: ProgressListener = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const device of names) {
      this.devices.set(device, {
        device,
        step: 'connect',
        fraction: 0,
        bytesDone: 0,
        bytesTotal: 0,
        message: null,
      });
    }
  }

  private update(device: string, patch: Partial<DeviceProgress>, tell = true): void {
    const current = this.devices.get(device);
    if (!current) throw new Error(`progress: unknown device ${device}`);
    const next = { ...current, ...patch };
    this.devices.set(device, next);
    if (tell) this.listener(this.snapshot(), next);
  }

  /** Enters a step; `within` is how far into it (0..1). */
  step(device: string, step: WorkStep, within = 0, message: string | null = null): void {
    const fraction = Math.min(1, before(step) + WEIGHTS[step] * Math.max(0, Math.min(1, within)));
    this.update(device, { step, fraction, message });
  }

  /** Byte progress; listeners hear of the first, the last, and one every BYTES_EVERY_MS between. */
  bytes(device: string, done: number, total: number): void {
    const within = total === 0 ? 1 : done / total;
    const now = this.now();
    const last = this.lastBytes.get(device);
    const tell = last === undefined || done >= total || now - last >= BYTES_EVERY_MS;
    if (tell) this.lastBytes.set(device, now);
    const patch = {
      step: 'upload' as const,
      fraction: before('upload') + WEIGHTS.upload * within,
      bytesDone: done,
      bytesTotal: total,
    };
    this.update(device, patch, tell);
  }

  finish(device: string, ok: boolean, message: string | null): void {
    // A failed device counts as finished for the overall figure: nothing more will happen to it.
    this.update(device, { step: ok ? 'done' : 'failed', fraction: 1, message });
  }

  snapshot(): ProvisionProgress {
    const devices = [...this.devices.values()];
    const overall =
      devices.length === 0 ? 1 : devices.reduce((n, d) => n + d.fraction, 0) / devices.length;
    return { overall, devices };
  }
}
