// The lab's list of boards, kept as one JSON file (the app's data folder, or any file the user
// names with --inventory). Loaded and validated whole, changed in memory, written back atomically,
// under a lock file so concurrent edits never lose one another (see edit()).
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { AppError, describeIssues, InputError } from '../contract/errors';
import { jsonAs, plainIssues } from '../files/kind';
import { writeFileAtomic } from '../store/atomic';
import { withFileLock } from '../store/lock';
import { BoardRecord, BoardName, describeBoard, type BoardRecordInput } from './boardRecord';

/**
 * Version 2 added `profiles`: each board's measured profile by board name (an inventory board,
 * or a virtual farm's board such as pi3-1), each entry checked when a plan reads it
 * (planner/profileBook.ts) so one unreadable entry never locks the lab out of its inventory.
 */
export const InventoryFile = z
  .object({
    version: z.literal([1, 2]),
    devices: z.array(BoardRecord),
    profiles: z.record(BoardName, z.unknown()).default({}),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.devices.forEach((d, i) => {
      if (seen.has(d.name))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'name'],
          message: `"${d.name}" is listed twice`,
        });
      seen.add(d.name);
    });
  });

export function defaultInventoryPath(dataDir: string): string {
  return join(dataDir, 'inventory.json');
}

/** The inventory a command names (`--inventory FILE`, from where it was started), else the data folder's. */
export function inventoryPathOf(dataDir: string, file?: string): string {
  return file ? resolve(file) : defaultInventoryPath(dataDir);
}

export class Inventory {
  private constructor(
    readonly path: string,
    private devices: BoardRecord[],
    private profiles: Record<string, unknown>,
  ) {}

  /** A missing file is an empty inventory; a malformed one is an error naming the bad field. */
  static async load(path: string): Promise<Inventory> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Inventory(path, [], {});
      throw new AppError(
        'INVENTORY_UNREADABLE',
        `cannot read the inventory ${path}: ${(err as Error).message}`,
      );
    }
    const raw = jsonAs('--inventory', path, Buffer.from(text), 'inventory');
    const parsed = InventoryFile.safeParse(raw);
    if (!parsed.success) throw new InputError(plainIssues(path, 'inventory', raw, parsed.error));
    return new Inventory(path, parsed.data.devices, parsed.data.profiles);
  }

  list(): readonly BoardRecord[] {
    return this.devices;
  }

  /** Measured profiles by board name, as stored: planner/profileBook.ts checks each when used. */
  storedProfiles(): Readonly<Record<string, unknown>> {
    return this.profiles;
  }

  /** Keeps a board's measured profile, replacing the one it had. */
  setProfile(board: string, entry: unknown): void {
    this.profiles = { ...this.profiles, [board]: entry };
  }

  get(name: string): BoardRecord {
    const d = this.devices.find((x) => x.name === name);
    if (!d)
      throw new AppError(
        'DEVICE_UNKNOWN',
        `no device named "${name}" in ${this.path}; see \`mchair devices list\``,
      );
    return d;
  }

  /** The named devices in the order given, or every device when no name is given. */
  select(names: readonly string[]): BoardRecord[] {
    if (names.length === 0) return [...this.devices];
    return names.map((n) => this.get(n));
  }

  add(input: BoardRecordInput, opts: { replace?: boolean } = {}): BoardRecord {
    const parsed = BoardRecord.safeParse(input);
    if (!parsed.success) throw new InputError(describeIssues('device', parsed.error.issues));
    const device = parsed.data;
    const at = this.devices.findIndex((d) => d.name === device.name);
    if (at >= 0 && !opts.replace) {
      throw new AppError(
        'DEVICE_EXISTS',
        `a device named "${device.name}" already exists (${describeBoard(this.devices[at]!)}); remove it first or pick another name`,
      );
    }
    if (at >= 0) this.devices[at] = device;
    else this.devices.push(device);
    return device;
  }

  remove(name: string): BoardRecord {
    const device = this.get(name);
    this.devices = this.devices.filter((d) => d !== device);
    // A board added again under this name may be another board: its old measurement goes too.
    const { [name]: _gone, ...rest } = this.profiles;
    this.profiles = rest;
    return device;
  }

  /**
   * Loads, changes and saves under the inventory's lock, so edits from several processes (two
   * commands, the app and a command) each build on the other's result: none is lost. `change`
   * throwing leaves the file as it was.
   */
  static async edit<T>(path: string, change: (inv: Inventory) => T): Promise<T> {
    await mkdir(dirname(path), { recursive: true });
    return withFileLock(`${path}.lock`, async () => {
      const inv = await Inventory.load(path);
      const result = change(inv);
      await inv.write();
      return result;
    });
  }

  private async write(): Promise<void> {
    const doc: z.output<typeof InventoryFile> = {
      version: 2,
      devices: this.devices,
      profiles: this.profiles,
    };
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    await writeFileAtomic(this.path, text, 0o600);
  }
}
