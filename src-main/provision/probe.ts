// What a board is and what it can run, found with one POSIX shell script over SSH (no tool beyond
// coreutils/busybox, so a fresh Raspberry Pi OS or an L4T image both answer), then turned into a
// plain verdict: which device profile, native onnxruntime or the WebAssembly backend, which Node.
import { AppError } from '../contract/errors';
import type { BoardRecord } from '../inventory/boardRecord';
import type { NodeTarball, NodeTarballs } from './board-node';
import { shQuote } from '../ssh/quote';
import type { SshSession } from '../ssh/session';

export interface Probe {
  /** `uname -m`: aarch64, armv7l, x86_64, ... */
  machine: string;
  /** Node's name for it: arm64, arm, x64, or the raw machine when Node has none. */
  arch: string;
  cpuModel: string | null;
  cores: number | null;
  memTotalBytes: number | null;
  diskFreeBytes: number | null;
  os: { id: string | null; versionId: string | null; prettyName: string | null };
  glibc: string | null;
  nodeVersion: string | null;
  nodePath: string | null;
  board: string | null;
  tegraRelease: string | null;
  systemdUser: boolean;
  /** Whether the board can unpack a .tar.xz (Debian minbase and some images have no xz). */
  xz: boolean;
  /**
   * An arm board that is really qemu-user on an x86 machine (its /proc/cpuinfo is the host's):
   * what it runs is right, how fast it runs says nothing about a board.
   */
  emulated: boolean;
  /** Passwordless sudo; only tried when a system service is asked for, false otherwise. */
  sudo: boolean;
  home: string;
}

export type Runtime = 'native' | 'wasm';

export interface Verdict {
  profile: string;
  runtime: Runtime;
  /** The oldest Node major the agent and its runtime work with on this board. */
  nodeMajor: number;
  /** Use the board's Node, push a tarball (the app's or the user's), or nothing usable. */
  node:
    | { action: 'use'; path: string }
    | { action: 'push'; tarball: NodeTarball }
    | { action: 'missing' };
  notes: string[];
  /** Why provisioning cannot go on, when it cannot. */
  problem: AppError | null;
}

export interface ProbeReport {
  device: string;
  probe: Probe;
  verdict: Verdict;
}

/** The probe script; its output is `@@section` headers each followed by that section's text. */
export function probeScript(remoteDir: string, opts: { sudo?: boolean } = {}): string {
  return [
    // Absolute, so a Node found in the agent folder can go in a unit file or run from elsewhere.
    `AGENTDIR=$(cd -- ${shQuote(remoteDir)} 2>/dev/null && pwd)`,
    's() { printf \'\\n@@%s\\n\' "$1"; }',
    's machine; uname -m',
    's cpuinfo; cat /proc/cpuinfo 2>/dev/null',
    's cores; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null',
    's meminfo; head -n 3 /proc/meminfo 2>/dev/null',
    's df; df -Pk "$HOME" 2>/dev/null | tail -n 1',
    's os; cat /etc/os-release 2>/dev/null',
    // musl systems have no getconf GNU_LIBC_VERSION; ldd then prints "musl libc".
    's glibc; getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1',
    's node; for n in ${AGENTDIR:+"$AGENTDIR/node/bin/node"} node nodejs; do p=$(command -v "$n" 2>/dev/null) && [ -n "$p" ] && v=$("$p" --version 2>/dev/null) && { printf \'%s %s\\n\' "$v" "$p"; break; }; done',
    "s model; tr -d '\\000' 2>/dev/null < /proc/device-tree/model",
    's tegra; head -n 1 /etc/nv_tegra_release 2>/dev/null',
    's xz; if command -v xz >/dev/null 2>&1; then echo yes; else echo no; fi',
    's systemd; if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then echo yes; else echo no; fi',
    // Only when asked: where sudo is refused, trying it gets reported to the board's admin.
    ...(opts.sudo ? ['s sudo; if sudo -n true 2>/dev/null; then echo yes; else echo no; fi'] : []),
    's home; printf \'%s\\n\' "$HOME"',
    's end',
  ].join('\n');
}

export function splitSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = output.split(/^@@([a-z]+)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!.trim());
  return sections;
}

const NODE_ARCH: Record<string, string> = {
  aarch64: 'arm64',
  arm64: 'arm64',
  armv7l: 'arm',
  armv6l: 'arm',
  armv8l: 'arm',
  x86_64: 'x64',
  amd64: 'x64',
};

// ARM cores by MIDR part number (the arm64 /proc/cpuinfo has no model name).
const ARM_PARTS: Record<string, string> = {
  '0xb76': 'ARM1176',
  '0xc07': 'Cortex-A7',
  '0xd03': 'Cortex-A53',
  '0xd04': 'Cortex-A35',
  '0xd05': 'Cortex-A55',
  '0xd07': 'Cortex-A57',
  '0xd08': 'Cortex-A72',
  '0xd09': 'Cortex-A73',
  '0xd0b': 'Cortex-A76',
  '0x003': 'Denver 2',
  '0x004': 'Carmel',
};

function field(text: string, name: string): string | null {
  const m = new RegExp(`^${name}\\s*:\\s*(.+)$`, 'mi').exec(text);
  return m ? m[1]!.trim() : null;
}

function cpuModelOf(cpuinfo: string): string | null {
  const named = field(cpuinfo, 'model name');
  if (named && !/^ARMv\d/.test(named)) return named;
  const parts = [
    ...new Set(
      [...cpuinfo.matchAll(/^CPU part\s*:\s*(0x[0-9a-f]+)/gim)].map((m) => m[1]!.toLowerCase()),
    ),
  ];
  if (parts.length > 0) return parts.map((p) => ARM_PARTS[p] ?? `ARM part ${p}`).join(' + ');
  return named ?? field(cpuinfo, 'Hardware');
}

function osRelease(text: string): Probe['os'] {
  const get = (k: string): string | null => {
    const m = new RegExp(`^${k}=(?:"([^"]*)"|(.*))$`, 'm').exec(text);
    return m ? (m[1] ?? m[2] ?? '').trim() : null;
  };
  return { id: get('ID'), versionId: get('VERSION_ID'), prettyName: get('PRETTY_NAME') };
}

function tegraReleaseOf(line: string): { release: string; board: string | null } | null {
  // "# R32 (release), REVISION: 5.1, GCID: 27362550, BOARD: t186ref, EABI: aarch64, ..."
  const m = /R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(line);
  if (!m) return null;
  return { release: `R${m[1]}.${m[2]}`, board: /BOARD:\s*(\w+)/.exec(line)?.[1] ?? null };
}

const TEGRA_BOARDS: Record<string, string> = {
  t186ref: 'NVIDIA Jetson TX2',
  t210ref: 'NVIDIA Jetson Nano/TX1',
  t194ref: 'NVIDIA Jetson AGX Xavier/Xavier NX',
};

export function parseProbe(output: string): Probe {
  const s = splitSections(output);
  const get = (k: string): string => s.get(k) ?? '';
  const machine = get('machine').split('\n')[0]!.trim() || 'unknown';
  const kb = (text: string, name: string): number | null => {
    const v = field(text, name);
    return v ? Number.parseInt(v, 10) * 1024 : null;
  };
  const df = get('df').split(/\s+/);
  const glibc = /(\d+\.\d+)/.exec(get('glibc'));
  const node = /^v(\d+\.\d+\.\d+)\s+(.+)$/m.exec(get('node'));
  const tegra = tegraReleaseOf(get('tegra'));
  const model = get('model') || null;
  const cores = Number.parseInt(get('cores'), 10);
  return {
    machine,
    arch: NODE_ARCH[machine] ?? machine,
    cpuModel: cpuModelOf(get('cpuinfo')),
    cores: Number.isFinite(cores) ? cores : null,
    memTotalBytes: kb(get('meminfo'), 'MemTotal'),
    // df -P: Filesystem 1024-blocks Used Available Capacity Mounted-on
    diskFreeBytes: df.length >= 4 && /^\d+$/.test(df[3]!) ? Number(df[3]) * 1024 : null,
    os: osRelease(get('os')),
    glibc: glibc && !/musl/i.test(get('glibc')) ? glibc[1]! : null,
    nodeVersion: node ? node[1]! : null,
    nodePath: node ? node[2]!.trim() : null,
    // L4T R32 reports the carrier board's code name ("quill" on a TX2 dev kit); the BOARD
    // field of nv_tegra_release names the module reliably.
    board: (tegra?.board && TEGRA_BOARDS[tegra.board]) ?? model,
    tegraRelease: tegra?.release ?? null,
    systemdUser: get('systemd') === 'yes',
    xz: get('xz') === 'yes',
    emulated:
      !/^(x86_64|amd64|i[3-6]86)$/.test(machine) &&
      /^vendor_id\s*:\s*(GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls)/m.test(
        get('cpuinfo'),
      ),
    sudo: get('sudo') === 'yes',
    home: get('home'),
  };
}

function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

export function profileFor(p: Probe): string {
  const board = p.board ?? '';
  const pi = /Raspberry Pi (\d)/.exec(board);
  if (pi && ['3', '4', '5'].includes(pi[1]!)) return `pi${pi[1]}`;
  if (/TX2/.test(board)) return 'tx2';
  if (/Jetson Nano/.test(board)) return 'jetson-nano';
  return `generic-${p.arch}`;
}

/** Node's official builds and onnxruntime >= 1.17 both need glibc 2.28 (Debian 10, Ubuntu 20.04). */
export const MODERN_GLIBC = '2.28';

function whose(t: NodeTarball): string {
  return `${t.source === 'app' ? "the app's" : 'the given'} Node${t.version ? ` ${t.version}` : ''}`;
}

/** The oldest Node line the agent runs on: what a board's own Node must be at least. */
const AGENT_NODE_MAJOR = 18;

/**
 * What the board runs and which Node the agent gets. `tarball` is the Node the laptop could push
 * for this board's CPU (the user's, else the app's own), or null when it has none.
 */
export function judge(
  p: Probe,
  opts: { profile?: string | undefined; tarball: NodeTarball | null },
): Verdict {
  const notes: string[] = [];
  let problem: AppError | null = null;
  // CPUs onnxruntime-node has binaries for; any other CPU with a Node runs the WebAssembly one.
  const nativeArch = p.arch === 'arm64' || p.arch === 'x64';
  const modernGlibc = p.glibc !== null && versionAtLeast(p.glibc, MODERN_GLIBC);
  let runtime: Runtime = 'native';
  if (p.arch === 'arm') {
    runtime = 'wasm';
    notes.push(
      '32-bit OS: onnxruntime has no native build for it, so the WebAssembly backend is used (slower; a 64-bit OS runs native)',
    );
  } else if (!nativeArch) {
    runtime = 'wasm';
    notes.push(
      `${p.machine}: onnxruntime has no native build for it, so the WebAssembly backend is used`,
    );
  } else if (p.glibc === null) {
    runtime = 'wasm';
    notes.push(
      'no glibc found (musl?): native onnxruntime needs glibc, so the WebAssembly backend is used',
    );
  } else if (!modernGlibc) {
    runtime = 'wasm';
    notes.push(
      `glibc ${p.glibc} is older than ${MODERN_GLIBC}${p.tegraRelease ? ` (L4T ${p.tegraRelease})` : ''}: current Node and onnxruntime do not load, so Node 16 and the WebAssembly backend are used`,
    );
  }
  if (p.emulated) {
    notes.push(
      `${p.machine} emulated by qemu-user on an x86 machine: it runs like the board, but its timings are not the board's speed (profiles measured on it are labelled emulated)`,
    );
  }
  // Node 16 is the last line whose official builds run on glibc 2.17..2.27.
  const nodeMajor = modernGlibc ? AGENT_NODE_MAJOR : 16;
  const nodeMax = modernGlibc ? Infinity : 17;
  const fits = (version: string): boolean => {
    const major = Number(version.split('.')[0]);
    return major >= nodeMajor && major <= nodeMax;
  };
  const distArch = p.arch === 'arm' ? 'armv7l' : p.arch;
  const tarballName = `node-v${modernGlibc ? '20.x' : '16.20.2'}-linux-${distArch}.tar.xz`;
  const t = opts.tarball;
  // An armv6l board (Pi Zero, Pi 1) shares Node's "arm" with armv7l, whose binaries it cannot run.
  const tarballFits =
    t !== null &&
    (t.version === null || fits(t.version)) &&
    (p.machine !== 'armv6l' || t.source === 'given');
  let node: Verdict['node'];
  if (p.nodeVersion && p.nodePath && fits(p.nodeVersion)) {
    node = { action: 'use', path: p.nodePath };
  } else if (tarballFits && t.compression === 'xz' && !p.xz) {
    node = { action: 'missing' };
    problem = new AppError(
      'NO_XZ',
      `the board has no xz to unpack ${t.file}; pass the .tar.gz of the same Node, install xz-utils on the board, or leave out --node-tarball to push the app's own Node`,
    );
  } else if (tarballFits) {
    node = { action: 'push', tarball: t };
    notes.push(
      `${p.nodeVersion ? `Node ${p.nodeVersion} does not fit` : 'no Node.js found'}: ${whose(t)} (linux-${distArch}) is installed for the agent`,
    );
  } else {
    node = { action: 'missing' };
    const have = p.nodeVersion
      ? `Node ${p.nodeVersion} cannot run the agent here`
      : 'the board has no Node.js';
    const want = `Node ${nodeMajor}${nodeMax === Infinity ? ' or newer' : ''}`;
    if (p.machine === 'armv6l' || !['arm64', 'arm', 'x64'].includes(p.arch)) {
      problem = new AppError(
        'UNSUPPORTED_ARCH',
        `${have}, and the app carries Node for arm64, armv7l and x86_64 only, not ${p.machine}${p.machine === 'armv6l' ? ' (Pi Zero / Pi 1)' : ''}: install ${want} built for ${p.machine} on it (unofficial-builds.nodejs.org has some), then provision again; it will use the WebAssembly backend`,
      );
    } else {
      const why = t ? ` (${whose(t)} is not ${want})` : '';
      problem = new AppError(
        'NO_NODE',
        `${have}${why}: install ${want} on it, or pass --node-tarball ${tarballName} (from nodejs.org/dist) to push one`,
      );
    }
  }
  return { profile: opts.profile ?? profileFor(p), runtime, nodeMajor, node, notes, problem };
}

export async function probeDevice(
  session: SshSession,
  device: BoardRecord,
  opts: { nodes?: NodeTarballs; checkSudo?: boolean; signal?: AbortSignal } = {},
): Promise<ProbeReport> {
  const r = await session.exec(
    probeScript(device.remoteDir, { sudo: opts.checkSudo === true }),
    opts.signal ? { signal: opts.signal } : {},
  );
  if (!r.stdout.includes('@@end')) {
    throw new AppError(
      'PROBE_FAILED',
      `the probe did not finish on ${session.label} (exit ${r.code}: ${r.stderr.trim().split('\n').at(-1) ?? ''}); is its login shell a POSIX shell?`,
    );
  }
  const probe = parseProbe(r.stdout);
  let tarball: NodeTarball | null = null;
  let refused: AppError | null = null;
  try {
    tarball = opts.nodes ? await opts.nodes(probe.arch) : null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    refused = err;
  }
  const verdict = judge(probe, { profile: device.profile, tarball });
  // A tarball for another CPU matters only to a board that needs one.
  if (refused && verdict.node.action === 'missing') verdict.problem = refused;
  return { device: device.name, probe, verdict };
}
