// The subcommands, one registration per area, each module loaded only when asked for: a command
// names its area first (`mchair plan ...`), so a process loads that area's module (and the rooms
// it reaches: the planner, onnxruntime, ssh2, ...) and no other. Help, a mistyped name or no name
// at all loads every area, so commander can list them or suggest the nearest.
import type { Command } from 'commander';

type Register = (program: Command) => void;

/** Areas in the order `mchair --help` lists them. */
const AREAS: Record<string, () => Promise<Register>> = {
  demo: async () => (await import('./demo')).registerDemo,
  run: async () => (await import('./run')).registerRun,
  farm: async () => (await import('./farm')).registerFarm,
  bench: async () => (await import('./bench')).registerBench,
  info: async () => (await import('./info')).registerInfo,
  runs: async () => (await import('./runs')).registerRuns,
  serve: async () => (await import('./serve')).registerServe,
  model: async () => (await import('./model')).registerModel,
  partition: async () => (await import('./partition')).registerPartition,
  plan: async () => (await import('./plan')).registerPlan,
  profile: async () => (await import('./profile')).registerProfile,
  verify: async () => (await import('./verify')).registerVerify,
  devices: async () => (await import('./devices')).registerDevices,
  provision: async () => (await import('./provision')).registerProvision,
  power: async () => (await import('./power')).registerPower,
  report: async () => (await import('./report')).registerReport,
  classify: async () => (await import('./classify')).registerClassify,
};

/** The root options that take a value: the word after them is not a command's name. */
const ROOT_VALUE_OPTIONS = new Set(['--data-dir', '--log-level']);

/** The area a command line names: its first word that is neither an option nor an option's value. */
export function areaOf(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (ROOT_VALUE_OPTIONS.has(word)) i++;
    else if (!word.startsWith('-')) return word;
  }
  return null;
}

/** Registers the area `argv` names, or every area when it names none of them. */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const area = areaOf(argv);
  const wanted = area !== null && Object.hasOwn(AREAS, area) ? [area] : Object.keys(AREAS);
  const registers = await Promise.all(wanted.map((name) => AREAS[name]!()));
  for (const register of registers) register(program);
}
