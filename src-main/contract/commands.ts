// Every command the renderer can send the core. Adding a command is this one edit plus its
// handler in the core (the type checker refuses a core that lacks one).
import { z } from 'zod';
import { command } from './define';
import { runCommands } from './runCommands';
import { reportCommands } from './reportCommands';
import { paperDemoCommands } from './paperDemo';
import { boardCommands, HostKeyAnswers } from './boardCommands';
import { modelCommands } from './modelCommands';
import { RunId, RunMetrics, RunSummary } from './run';
import {
  AnnouncedHost,
  DeviceForm,
  DeviceRow,
  FoundHost,
  ModelCosts,
  PlanChoices,
  PlanFarmOrFile,
  ZooEntry,
} from './lab';
import { BoardMeterReading, BoardReadings, FarmSpec, VirtualFarm } from './farm';
import { DemoSkeleton } from './runReport';
import { ErrorBars, FigureId } from './figure';
import { MeterName, SavedMeter } from './meters';
import { ModelCard } from './modelCard';
import { Manifest } from './manifest';
import {
  onePartitionSpec,
  PartitionArgs,
  partitionSpecBoth,
  VerifyReport,
  WeightSeed,
} from './partition';
import { PlanObjective } from './plan';
import { DeviceProvisionResult } from './provision';
import { CatalogueId, CatalogueRow, MirrorList, MirrorUrl } from './download';
import { BoardProfileSource, ProfileFarm } from './profile';

/** An inventory file other than the data folder's (the CLI's --inventory). */
const OtherInventory = { inventory: z.string().min(1).max(4096).optional() };

export const commands = {
  'app/info': command(
    'What is running: version, mode (electron, serve or the cli), data folder.',
    z.object({}).strict(),
    z.object({
      version: z.string(),
      mode: z.enum(['electron', 'serve', 'cli']),
      dataDir: z.string(),
      platform: z.string(),
      /** The core's process: runs whose owner is another process are shown as theirs. */
      pid: z.number().int(),
    }),
  ),
  'settings/data-folder': command(
    'Make another folder the data folder: move what is in it there, or point to a folder that holds (or will hold) a lab; every program follows from its next start.',
    z
      .object({
        path: z.string().min(1).max(4096),
        how: z.enum(['move', 'point']),
      })
      .strict(),
    z.object({
      dataDir: z.string(),
      how: z.enum(['move', 'point']),
      /** What was moved there, or what was found there. */
      entries: z.array(z.string()),
      /** The app restarts itself; serve is started again by the user. */
      restart: z.enum(['app', 'serve']),
    }),
  ),
  'demo/start': command(
    'Start the walking-skeleton run: a small CNN cut in 2 stages over 2 local agents.',
    z
      .object({
        frames: z.number().int().min(1).max(100_000).default(200),
        /** Answer once the run has ended, with its figures (`mchair demo` waits on it). */
        wait: z.boolean().default(false),
      })
      .strict(),
    z.object({ runId: RunId, skeleton: DemoSkeleton.optional() }),
  ),
  'run/list': command(
    'The recorded runs, newest first.',
    z.object({}).strict(),
    z.object({ runs: z.array(RunSummary) }),
  ),
  'run/get': command(
    'One run: its summary and the metrics recorded so far.',
    z.object({ runId: RunId }).strict(),
    z.object({ run: RunSummary, metrics: z.array(RunMetrics) }),
  ),
  'run/stop': command(
    'Stop a live run; frames already sent are still collected.',
    z.object({ runId: RunId }).strict(),
    z.object({ stopped: z.boolean() }),
  ),
  'devices/list': command(
    "The farm's boards, as the inventory holds them.",
    z
      .object({
        ...OtherInventory,
        /** Each row's whole inventory entry too (`mchair devices list --json`). */
        full: z.boolean().default(false),
      })
      .strict(),
    z.object({ devices: z.array(DeviceRow) }),
  ),
  'devices/add': command(
    'Add a board to the inventory; the row comes back with its whole entry.',
    z
      .object({
        device: DeviceForm,
        /** Replace a board of the same name instead of refusing it. */
        replace: z.boolean().default(false),
        ...OtherInventory,
      })
      .strict(),
    z.object({ device: DeviceRow }),
  ),
  'devices/remove': command(
    'Remove a board from the inventory (it is not touched).',
    z
      .object({
        name: z.string().min(1).max(64),
        ...OtherInventory,
      })
      .strict(),
    z.object({ removed: z.string() }),
  ),
  'devices/import': command(
    'Add boards from a CSV file or an ssh config file (its text; the name tells the format).',
    z
      .object({
        /** Its name or path: errors name it, and it tells the format. */
        fileName: z.string().min(1).max(4096),
        text: z.string().max(1_000_000),
        replace: z.boolean().default(false),
        /** A file listing no board adds none instead of failing (`mchair devices import`). */
        allowEmpty: z.boolean().default(false),
        ...OtherInventory,
      })
      .strict(),
    z.object({ added: z.array(z.string()) }),
  ),
  'devices/scan': command(
    'Look for SSH servers on a subnet of the lab (at most a /22).',
    z
      .object({
        subnet: z.string().min(1).max(32),
        port: z.number().int().min(1).max(65_535).default(22),
        /** How long each address gets to answer with an SSH banner. */
        timeoutMs: z.number().int().min(50).max(30_000).default(1500),
      })
      .strict(),
    z.object({
      found: z.array(FoundHost),
      /** True when the user stopped the scan: `found` is what answered until then. */
      stopped: z.boolean(),
    }),
  ),
  'devices/discover': command(
    'Listen for boards announcing themselves over mDNS (avahi on Raspberry Pi OS and Jetson Ubuntu).',
    z
      .object({
        /** The address of this computer's interface on the lab network; the system's choice when absent. */
        interfaceAddress: z.ipv4('is not an IPv4 address of this computer').optional(),
        timeoutMs: z.number().int().min(200).max(30_000).default(3000),
      })
      .strict(),
    z.object({ found: z.array(AnnouncedHost) }),
  ),
  'devices/stop-scan': command(
    'Stop the LAN scan under way; it returns what it found so far.',
    z.object({}).strict(),
    z.object({ stopped: z.boolean() }),
  ),
  'models/list': command(
    'The built-in CNNs and the ones imported into this lab.',
    z.object({}).strict(),
    z.object({ zoo: z.array(ZooEntry), imported: z.array(ZooEntry) }),
  ),
  'models/inspect': command(
    "A CNN's layers with their MACs, parameters and activation sizes: a model of the lab by name, or an ONNX file's path.",
    z
      .object({
        name: z.string().min(1).max(4096),
        /** Each layer's input and output tensor names too (`mchair model inspect --json`). */
        tensors: z.boolean().default(false),
      })
      .strict(),
    ModelCosts,
  ),
  'models/upload': command(
    'Import an ONNX file into the lab, in chunks of at most 512 KiB sent in order; the last one checks it and returns its costs.',
    z
      .object({
        uploadId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'is not an upload id'),
        name: z.string().min(1).max(64),
        offset: z.number().int().min(0),
        chunk: z.string().max(700_000),
        last: z.boolean(),
        /** The model's card, for a file whose sha256 the catalogue does not know. */
        card: ModelCard.optional(),
      })
      .strict(),
    z.object({ received: z.number().int(), model: ModelCosts.nullable() }),
  ),
  'models/cuts': command(
    'The tensors a model (a zoo name or an ONNX file) can be cut at, in graph order.',
    z.object({ model: z.string().min(1).max(4096), seed: WeightSeed }).strict(),
    z.object({ cuts: z.array(z.string()) }),
  ),
  'models/partition': command(
    "Cut a model (a zoo name or an ONNX file) into stages and parts, by cut tensors and channel splits or by a plan file's stages: one standalone ONNX file per part plus manifest.json in a folder.",
    z
      .object({ ...PartitionArgs, out: z.string().min(1).max(4096) })
      .strict()
      .refine(onePartitionSpec, partitionSpecBoth),
    z.object({ dir: z.string(), manifest: Manifest }),
  ),
  'models/verify': command(
    'Partition a model as models/partition does, run random frames through the whole model and through the parts with onnxruntime, and say by how much they differ (ok: within the tolerance).',
    z
      .object({
        ...PartitionArgs,
        frames: z.number().int().min(1).max(1000).default(3),
        /** The largest relative difference allowed; 1e-5, or 1e-3 for a float16 model, when absent. */
        tolerance: z.number().positive().optional(),
        /** Where to keep the parts; a scratch folder, removed after, when absent. */
        out: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .refine(onePartitionSpec, partitionSpecBoth),
    VerifyReport,
  ),
  'models/catalogue': command(
    "The trained models the lab can get by name (the ONNX Model Zoo's ImageNet classifiers): size, sha256, card and whether each is in the library.",
    z.object({}).strict(),
    z.object({ entries: z.array(CatalogueRow) }),
  ),
  'models/get': command(
    "Download a catalogue model (the lab's mirrors first, then the zoo's hosts), check its size and sha256 and add it to the library; progress comes as models/get-progress events.",
    z
      .object({
        name: CatalogueId,
        /** Mirrors tried before the saved ones, for this download only. */
        mirrors: MirrorList.default([]),
      })
      .strict(),
    z.object({
      name: z.string(),
      /** Where the bytes came from; null when the library had the model already. */
      source: z.string().nullable(),
      /** Bytes this download fetched (less than the size after a resume). */
      fetched: z.number().int(),
      bytes: z.number().int(),
    }),
  ),
  'models/cancel-get': command(
    'Stop a model download under way; the bytes fetched so far are kept and the next get resumes from them.',
    z.object({ name: CatalogueId }).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
  'mirrors/list': command(
    "The lab's model mirrors, tried in order before the zoo's own hosts.",
    z.object({}).strict(),
    z.object({ mirrors: z.array(z.string()) }),
  ),
  'mirrors/add': command(
    "Add a model mirror: a base URL holding a copy of the zoo's tree (<base>/validated/vision/...) or a folder of model files.",
    z.object({ url: MirrorUrl }).strict(),
    z.object({ mirrors: z.array(z.string()) }),
  ),
  'mirrors/remove': command(
    'Remove a model mirror.',
    z.object({ url: z.string().min(1).max(2000) }).strict(),
    z.object({ mirrors: z.array(z.string()) }),
  ),
  'run/delete': command(
    'Delete a recorded run and everything in its folder.',
    z.object({ runId: RunId }).strict(),
    z.object({ deleted: z.string() }),
  ),
  'reports/export': command(
    'One report over the runs given (side by side when several), as a file to save.',
    z
      .object({
        runIds: z.array(RunId).min(1).max(12),
        format: z.enum(['html', 'pdf', 'csv', 'json']),
      })
      .strict(),
    z.object({ fileName: z.string(), mime: z.string(), base64: z.string() }),
  ),
  'reports/figure': command(
    "One of the report's paper-style figures over the runs given, as SVG (null when no run has it and the paper has no figure for their models).",
    z
      .object({
        runIds: z.array(RunId).min(1).max(12),
        figure: FigureId,
        errorBars: ErrorBars.default('range'),
      })
      .strict(),
    z.object({ svg: z.string().nullable() }),
  ),
  'reports/paper': command(
    "The Musical Chair paper's published figures for the model a run used (AlexNet or VGG16), to draw beside it.",
    z.object({ model: z.string().min(1).max(256) }).strict(),
    z.object({
      paperModel: z.string().nullable(),
      figures: z.array(
        z.object({
          system: z.string(),
          ips: z.number(),
          staticJ: z.number(),
          dynamicJ: z.number(),
          totalJ: z.number(),
        }),
      ),
    }),
  ),
  'meters/test': command(
    'Read a power meter for a few seconds: samples, average, min and max watts, energy; meters/stop-test ends it early with what was read.',
    z
      .object({
        uri: z.string().min(1).max(500),
        /** null: as long as the meter has samples (a CSV log: all of it), or until stopped. */
        seconds: z.number().positive().max(86_400).nullable().default(3),
        /** The sample interval, within what the instrument allows (`mchair power read`). */
        intervalS: z.number().positive().max(3600).optional(),
        /** agent:// meters: the farm file whose agents to reach; the lab's virtual farm when absent. */
        farm: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    z.object({
      meter: z.string(),
      emulated: z.boolean(),
      intervalMs: z.number(),
      samples: z.number().int(),
      avgW: z.number(),
      minW: z.number(),
      maxW: z.number(),
      energyJ: z.number(),
      durationS: z.number(),
    }),
  ),
  'meters/stop-test': command(
    'End the meter readings under way (meters/test answers with what was read so far).',
    z.object({}).strict(),
    z.object({ stopped: z.number().int() }),
  ),
  'meters/list': command(
    "The lab's saved power meters; runs started from the app read every one of them.",
    z.object({}).strict(),
    z.object({ meters: z.array(SavedMeter) }),
  ),
  'meters/save': command(
    'Save a power meter (its URI is checked first); with `replaces`, edit the one of that name.',
    z.object({ meter: SavedMeter, replaces: MeterName.optional() }).strict(),
    z.object({ meters: z.array(SavedMeter) }),
  ),
  'meters/remove': command(
    'Remove a saved power meter.',
    z.object({ name: MeterName }).strict(),
    z.object({ meters: z.array(SavedMeter) }),
  ),
  'provision/start': command(
    'Install or update the agent, its runtime and model parts on boards, all at once; progress comes as provision/progress events.',
    z
      .object({
        devices: z.array(z.string().min(1).max(64)).min(1).max(256),
        ...HostKeyAnswers,
        // What `mchair provision` sets that the app leaves at their defaults.
        /** Another inventory than the data folder's (--inventory). */
        inventory: z.string().min(1).max(4096).optional(),
        /** Trust and remember host keys never seen before (--accept-new). */
        acceptNew: z.boolean().default(false),
        /** An agent bundle to push instead of the one built with the app. */
        agentBundle: z.string().min(1).max(4096).optional(),
        /** A `mchair partition` folder whose parts go to every board. */
        partitions: z.string().min(1).max(4096).optional(),
        /** nodejs.org Linux tarballs for boards without a usable Node, one per CPU. */
        nodeTarballs: z.array(z.string().min(1).max(4096)).max(16).default([]),
        /** A system unit where sudo works without a password, instead of a user unit. */
        systemService: z.boolean().default(false),
        /** Boards provisioned at the same time. */
        concurrency: z.number().int().min(1).max(64).default(8),
      })
      .strict(),
    z.object({ devices: z.array(DeviceProvisionResult) }),
  ),
  'provision/cancel': command(
    'Stop the provisioning under way between two chunks; partial uploads resume next time.',
    z.object({}).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
  'profile/start': command(
    "Measure boards through their agents (each layer family's probe, link, memory, power) and keep each one's profile with it; progress comes as profile/progress events.",
    z
      .object({
        farm: ProfileFarm,
        devices: z.array(z.string().min(1).max(64)).min(1, 'name at least one board').max(256),
        ...HostKeyAnswers,
        // What `mchair profile` sets that the app leaves at their defaults.
        /** virtual: emulated boards started for the measurement instead of the lab's farm. */
        emulate: FarmSpec.optional(),
        /** virtual: this farm file's farm instead of the lab's. */
        farmFile: z.string().min(1).max(4096).optional(),
        /** inventory: another inventory than the data folder's, where the profiles are kept. */
        inventory: z.string().min(1).max(4096).optional(),
        /** inventory: trust and remember host keys never seen before. */
        acceptNew: z.boolean().default(false),
        /** inventory: probe each board first, naming those that are qemu-user on an x86 machine. */
        probeQemu: z.boolean().default(false),
        /** Frames each board computes per probe. */
        frames: z.number().int().min(2).max(1000).default(4),
        /** Also write a planner farm file with the measured profiles inline, here. */
        out: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    z.object({ devices: z.array(BoardProfileSource) }),
  ),
  'profile/cancel': command(
    'Stop the profiling under way after the probe that is running; nothing is kept.',
    z.object({}).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
  'profile/list': command(
    "Where each board's profile comes from (built in, measured on a date), the virtual farm's and the inventory's.",
    z.object({ farm: ProfileFarm }).strict(),
    z.object({ devices: z.array(BoardProfileSource) }),
  ),
  'devices/save-password': command(
    "Keep a board's SSH password for its logins: sealed by the OS keychain in the app; in the browser UI only in memory until serve stops.",
    z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict(),
    z.object({ saved: z.boolean(), persistent: z.boolean() }),
  ),
  'devices/save-passphrase': command(
    "Keep the passphrase of a board's SSH key, checked against the key first: sealed by the OS keychain in the app; in the browser UI only in memory until serve stops.",
    z.object({ name: z.string().min(1).max(64), passphrase: z.string().min(1).max(1024) }).strict(),
    z.object({ saved: z.boolean(), persistent: z.boolean() }),
  ),
  'plan/make': command(
    "The planner's best plans of a CNN on a farm, with the paper's presets beside them; progress comes as plan/progress events, and plan/cancel stops it.",
    z
      .object({
        /** A model of the lab (the zoo's or the library's) by name, or an ONNX file's path. */
        model: z.string().min(1).max(4096),
        farm: PlanFarmOrFile,
        objective: PlanObjective.default('ips'),
        top: z.number().int().min(1).max(50).default(3),
        /** Plans slower than this from frame to result are refused. */
        maxLatencyMs: z.number().positive().max(3_600_000).optional(),
        /** One of the paper's distributions (paper-5, ...) instead of a search. */
        preset: z.string().min(1).max(32).optional(),
        /** Whether to draw the paper's presets beside the plans (the CLI prints none). */
        presets: z.boolean().default(true),
        /** The inventory whose measured profiles count, when not the data folder's (--inventory). */
        inventory: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    PlanChoices,
  ),
  'plan/cancel': command(
    'Stop the plan/make search under way (it then fails with PLAN_CANCELLED).',
    z.object({}).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
  'farm/up': command(
    'Start the virtual farm: emulated boards by profile and count (e.g. pi3:4) as local agents that keep running until farm/down.',
    z.object({ spec: FarmSpec }).strict(),
    VirtualFarm,
  ),
  'farm/add': command(
    "Start more emulated boards (e.g. pi4:1, named after those there: pi4-5) in the lab's running virtual farm; a run on it offers them a chair when the planner predicts 5% more IPS with them.",
    z.object({ spec: FarmSpec }).strict(),
    VirtualFarm,
  ),
  'farm/status': command(
    "Health-ping every agent of the lab's virtual farm (up is false when none was started).",
    z.object({}).strict(),
    VirtualFarm,
  ),
  'devices/readings': command(
    "CPU %, memory, temperature and power of the inventory's provisioned boards, from their agents (a board that does not answer says why), and each board's own saved meter (a plug saved with device=NAME).",
    z.object({}).strict(),
    z.object({
      devices: z.array(
        z.object({
          name: z.string(),
          readings: BoardReadings.nullable(),
          /** Why there are no readings: not provisioned yet, unreachable, an old agent. */
          error: z.string().nullable(),
          /** The saved meter on this board alone (a plug saved with device=NAME), if any. */
          plug: BoardMeterReading.nullable(),
        }),
      ),
    }),
  ),
  'farm/down': command(
    "Stop the virtual farm's agents and remove its files.",
    z.object({}).strict(),
    z.object({ stopped: z.number().int() }),
  ),
  ...runCommands,
  ...reportCommands,
  ...paperDemoCommands,
  ...boardCommands,
  ...modelCommands,
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandArgs<K extends CommandName> = z.input<Commands[K]['args']>;
export type CommandResult<K extends CommandName> = z.output<Commands[K]['result']>;
export const commandNames = Object.keys(commands) as CommandName[];
