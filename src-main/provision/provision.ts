// Provisioning: for every device at once, connect, probe, push what is missing (agent, runtime,
// TLS identity, config, partitions, a Node tarball when needed; files already there with the right
// sha256 are skipped), install the service and check the agent listens. One device's failure
// never stops the others; each ends with a result that says what happened or what to do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { AppError, toWireError } from '../contract/errors';
import type { DeviceProvisionResult } from '../contract/provision';
import type { BoardRecord } from '../inventory/boardRecord';
import type { SecretStore } from '../inventory/secrets';
import type { Logger } from '../log';
import type { Connector } from '../ssh/connector';
import { shCommand, shQuote } from '../ssh/quote';
import type { SshSession } from '../ssh/session';
import { remoteSha256, uploadFile } from '../ssh/upload';
import { APP_VERSION } from '../version';
import { item, modelItems, remoteDirs, runtimeItems, totalBytes, type PushItem } from './bundle';
import { nodeTarballs, type NodeTarball, type NodeTarballs } from './board-node';
import { labIdentity } from './lab-ca';
import { recordAgentVersion, rememberBoardState } from './boardControl';
import { boardMemoryBudget } from './memoryBudget';
import { findProfile } from '../planner/profile';
import { probeDevice, type ProbeReport } from './probe';
import { ProgressTracker, type ProgressListener } from './progress';
import {
  chooseMode,
  installService,
  renderUnit,
  unitName,
  unitPath,
  type ServiceMode,
} from './service';

export interface ProvisionOptions {
  connector: Connector;
  /** The app data folder: the lab CA lives there. */
  dataDir: string;
  /** The app's keychain-sealed store for the lab CA key; headless, the key is pki/ca.key (0600). */
  caKeyStore?: SecretStore;
  agentBundle: string;
  /** A `mchair partition` output folder whose parts every device gets. */
  partitions?: string;
  /**
   * nodejs.org Linux tarballs (one per CPU) for boards without a usable Node; boards of other CPUs
   * get the app's own Node.
   */
  nodeTarballs?: readonly string[];
  /** A system unit instead of a user unit where sudo works without a password. */
  systemService?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  log?: Logger;
}

/** How long a freshly started agent gets to open its port. */
const START_TIMEOUT_MS = 20_000;
/** Space kept free on a board beyond what the upload needs. */
const DISK_MARGIN = 32 * 1024 * 1024;

/** The path the shell and SFTP use for an item: relative paths resolve from the home folder. */
function remotePath(device: BoardRecord, it: PushItem): string {
  return it.fromHome ? it.remote : posix.join(device.remoteDir, it.remote);
}

function absoluteDir(device: BoardRecord, home: string): string {
  return device.remoteDir.startsWith('/') ? device.remoteDir : posix.join(home, device.remoteDir);
}

interface DevicePlan {
  items: PushItem[];
  argv: string[];
  mode: ServiceMode;
  notes: string[];
  agentSha: string;
}

/** The per-device files (TLS identity, agent config, unit), written to a private staging folder. */
async function stageDeviceFiles(
  device: BoardRecord,
  report: ProbeReport,
  opts: ProvisionOptions,
  staging: string,
  base: PushItem[],
): Promise<DevicePlan> {
  const { probe, verdict } = report;
  const dir = absoluteDir(device, probe.home);
  const notes = [...verdict.notes];
  const items = [...base];
  if (verdict.node.action === 'push') {
    const t = verdict.node.tarball;
    items.push(await item('node', t.file, `node-dist/${basename(t.file)}`));
  }
  const node =
    verdict.node.action === 'use' ? verdict.node.path : posix.join(dir, 'node', 'bin', 'node');

  const { dir: pki } = await labIdentity(opts.dataDir, device.name, [device.host], opts.caKeyStore);
  items.push(
    await item('tls', join(pki, 'ca.pem'), 'tls/ca.pem'),
    await item('tls', join(pki, `${device.name}.pem`), `tls/${device.name}.pem`),
    await item('tls', join(pki, `${device.name}.key`), `tls/${device.name}.key`, 0o600),
  );

  const config = {
    id: device.name,
    host: '0.0.0.0',
    port: device.agentPort,
    partsDir: posix.join(dir, 'parts'),
    tlsDir: posix.join(dir, 'tls'),
    backend: verdict.runtime === 'native' ? 'node' : 'wasm',
    memoryBudgetBytes: boardMemoryBudget(findProfile(verdict.profile), probe.memTotalBytes),
  };
  await writeFile(join(staging, 'agent.json'), `${JSON.stringify(config, null, 2)}\n`);
  items.push(await item('config', join(staging, 'agent.json'), 'agent.json'));

  const argv = [
    node,
    posix.join(dir, 'agent', 'mchair-agent.mjs'),
    '--config',
    posix.join(dir, 'agent.json'),
  ];
  const { mode, note } = chooseMode(probe, opts.systemService === true);
  if (note) notes.push(note);
  if (mode !== 'background') {
    await writeFile(
      join(staging, 'unit'),
      renderUnit({ device: device.name, dir, argv, mode, user: device.user }),
    );
    items.push(
      mode === 'systemd-user'
        ? await item('unit', join(staging, 'unit'), unitPath(device, mode), 0o644, true)
        : await item('unit', join(staging, 'unit'), unitName(device)),
    );
  }
  const agentSha = base.find((i) => i.kind === 'agent')?.sha256 ?? '';
  return { items, argv, mode, notes, agentSha };
}

async function prepareFolders(
  session: SshSession,
  device: BoardRecord,
  items: readonly PushItem[],
): Promise<void> {
  const inDir = remoteDirs(items);
  const fromHome = [
    ...new Set(items.filter((i) => i.fromHome).map((i) => posix.dirname(i.remote))),
  ];
  const script = [
    shCommand('mkdir', '-p', '--', device.remoteDir),
    `cd -- ${shQuote(device.remoteDir)}`,
    ...(inDir.length ? [shCommand('mkdir', '-p', '--', ...inDir)] : []),
    // The TLS key is readable by the owner only, and so is the folder that holds it.
    'chmod 700 tls 2>/dev/null || true',
    ...(fromHome.length ? ['cd', shCommand('mkdir', '-p', '--', ...fromHome)] : []),
  ].join(' && ');
  await session.run(script, 'creating the agent folders');
}

/**
 * Uploads what the board lacks. Bytes are counted into `sent` as they go, so a device that fails
 * or is cancelled half-way still reports what it sent.
 */
async function push(
  session: SshSession,
  device: BoardRecord,
  items: readonly PushItem[],
  report: ProbeReport,
  tracker: ProgressTracker,
  sent: { bytes: number; modelBytes: number; nodeBytes: number },
  signal?: AbortSignal,
): Promise<PushItem[]> {
  await prepareFolders(session, device, items);
  const there = await remoteSha256(
    session,
    items.map((i) => remotePath(device, i)),
  );
  const pending = items.filter((i) => there.get(remotePath(device, i)) !== i.sha256);
  const needed = totalBytes(pending);
  const free = report.probe.diskFreeBytes;
  // A pushed Node is unpacked beside its tarball before the tarball goes: count both.
  const node = report.verdict.node.action === 'push' ? report.verdict.node.tarball : null;
  const unpacked = node && pending.some((i) => i.kind === 'node') ? node.nodeBytes : 0;
  if (free !== null && needed + unpacked + DISK_MARGIN > free) {
    throw new AppError(
      'DISK_FULL',
      `${device.name} needs ${((needed + unpacked) / 2 ** 20).toFixed(0)} MB for this upload${unpacked ? ' (Node unpacked included)' : ''} but has ${(free / 2 ** 20).toFixed(0)} MB free; free some space on it or use a smaller model`,
    );
  }
  let done = 0;
  tracker.bytes(device.name, 0, needed);
  for (const it of pending) {
    if (it.kind === 'node' && node) {
      tracker.step(
        device.name,
        'upload',
        needed === 0 ? 1 : done / needed,
        `Node ${node.version ?? ''} for ${report.probe.machine}, ${(it.size / 2 ** 20).toFixed(1)} MB`,
      );
    }
    // The first report is where a resumed upload starts; a restart from 0 moves the mark back.
    let mark: number | null = null;
    await uploadFile(session, it.local, remotePath(device, it), {
      sha256: it.sha256,
      mode: it.mode,
      ...(signal ? { signal } : {}),
      onProgress: (d) => {
        const delta = mark === null ? 0 : Math.max(0, d - mark);
        mark = d;
        sent.bytes += delta;
        if (it.kind === 'model') sent.modelBytes += delta;
        if (it.kind === 'node') sent.nodeBytes += delta;
        tracker.bytes(device.name, done + d, needed);
      },
    });
    done += it.size;
  }
  tracker.bytes(device.name, needed, needed);
  return pending;
}

/**
 * Why a freshly unpacked Node does not start on the board, as one line saying what to install:
 * official builds need libstdc++ and, for armv7l, libatomic (Raspberry Pi OS has both; a Debian
 * minimal image may not).
 */
export function nodeDoesNotRun(device: string, version: string, stderr: string): AppError {
  const lib = /error while loading shared libraries: ([^:\s]+)/.exec(stderr)?.[1];
  const packages: Record<string, string> = {
    'libatomic.so.1': 'libatomic1',
    'libstdc++.so.6': 'libstdc++6',
  };
  const detail = stderr.trim().split('\n').at(-1) ?? '';
  return new AppError(
    'NODE_DOES_NOT_RUN',
    lib
      ? `Node ${version} does not run on ${device}: it needs ${lib}, which the board lacks; install it (\`sudo apt install ${packages[lib] ?? `the package with ${lib}`}\`) and provision again`
      : `Node ${version} does not run on ${device} (${detail || 'no reason given'}); install Node on the board yourself and provision again`,
  );
}

async function installNode(
  session: SshSession,
  device: BoardRecord,
  item: PushItem,
  tarball: NodeTarball,
  fresh: boolean,
): Promise<void> {
  const flag = tarball.compression === 'xz' ? 'J' : 'z';
  // Unpack beside the old copy and swap only once the new one starts: a failed unpack or a Node
  // the board cannot run leaves the previous Node working and nothing half-installed.
  const unpack = [
    `cd -- ${shQuote(device.remoteDir)}`,
    `${fresh ? 'false' : 'test -x node/bin/node'} || { rm -rf node.new && mkdir node.new && tar -x${flag}f ${shQuote(item.remote)} -C node.new --strip-components=1; }`,
  ].join(' && ');
  await session.run(unpack, 'unpacking the Node tarball');
  const check = await session.exec(
    `cd -- ${shQuote(device.remoteDir)} && if [ -d node.new ]; then node.new/bin/node --version; else node/bin/node --version; fi`,
  );
  if (check.code !== 0) {
    await session.exec(
      `cd -- ${shQuote(device.remoteDir)} && ${shCommand('rm', '-rf', '--', 'node.new', item.remote)}`,
    );
    throw nodeDoesNotRun(device.name, tarball.version ?? '', check.stderr);
  }
  await session.run(
    [
      `cd -- ${shQuote(device.remoteDir)}`,
      'if [ -d node.new ]; then rm -rf node && mv node.new node; fi',
      // Unpacked, the tarball only takes space: the probe finds node/bin/node from now on.
      shCommand('rm', '-f', '--', item.remote),
    ].join(' && '),
    'installing the unpacked Node',
  );
}

/** Waits for the agent's port; returns a note when the board does not let us look. */
async function waitListening(
  session: SshSession,
  device: BoardRecord,
  signal?: AbortSignal,
): Promise<string | null> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (signal?.aborted)
      throw new AppError('CANCELLED', `provisioning ${device.name} was cancelled`);
    const listening = await session.listens(device.agentPort);
    if (listening) return null;
    if (listening === null) {
      return `the board's sshd forbids TCP forwarding, so the agent's port could not be checked; see \`mchair devices logs ${device.name}\` if runs cannot reach it`;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new AppError(
    'AGENT_START_FAILED',
    `the agent on ${device.name} did not open port ${device.agentPort} within ${START_TIMEOUT_MS / 1000} s; see \`mchair devices logs ${device.name}\``,
  );
}

async function provisionOne(
  device: BoardRecord,
  base: PushItem[],
  nodes: NodeTarballs,
  opts: ProvisionOptions,
  tracker: ProgressTracker,
): Promise<DeviceProvisionResult> {
  const result: DeviceProvisionResult = {
    name: device.name,
    status: 'failed',
    code: null,
    message: '',
    details: null,
    bytesUploaded: 0,
    modelBytesUploaded: 0,
    nodeBytesUploaded: 0,
    agentVersion: null,
    service: null,
    runtime: null,
    profile: null,
    notes: [],
  };
  const staging = await mkdtemp(join(tmpdir(), 'mchair-stage-'));
  const sent = { bytes: 0, modelBytes: 0, nodeBytes: 0 };
  let session: SshSession | null = null;
  try {
    tracker.step(device.name, 'connect');
    session = await opts.connector.open(device, opts.signal);
    tracker.step(device.name, 'probe');
    const report = await probeDevice(session, device, {
      nodes,
      checkSudo: opts.systemService === true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    Object.assign(result, {
      runtime: report.verdict.runtime,
      profile: report.verdict.profile,
      notes: report.verdict.notes,
    });
    if (report.verdict.problem) throw report.verdict.problem;

    const runtime = await runtimeItems(report.verdict.runtime, report.probe.arch);
    const plan = await stageDeviceFiles(device, report, opts, staging, [...base, ...runtime]);
    result.notes = plan.notes;
    const changed = await push(session, device, plan.items, report, tracker, sent, opts.signal);

    tracker.step(device.name, 'install');
    const pushed = plan.items.find((i) => i.kind === 'node');
    if (pushed && report.verdict.node.action === 'push') {
      const { tarball } = report.verdict.node;
      await installNode(session, device, pushed, tarball, changed.includes(pushed));
    }
    if (plan.mode === 'systemd-system') {
      await session.run(
        `cd -- ${shQuote(device.remoteDir)} && ${shCommand('sudo', '-n', 'install', '-m', '0644', '--', unitName(device), unitPath(device, plan.mode))}`,
        'installing the system unit',
      );
    }
    tracker.step(device.name, 'start');
    const installed = await installService(
      session,
      device,
      plan.mode,
      plan.argv,
      changed.length > 0,
    );
    if (installed.lingerNote) result.notes.push(installed.lingerNote);
    result.service = installed.mode;

    tracker.step(device.name, 'verify');
    const unchecked = await waitListening(session, device, opts.signal);
    if (unchecked) result.notes.push(unchecked);
    result.agentVersion = `${APP_VERSION}+${plan.agentSha.slice(0, 12)}`;
    await recordAgentVersion(session, device, result.agentVersion);
    // The Farm table shows what the board now says about itself, after a restart too.
    await rememberBoardState(session, device, opts.dataDir).catch((err: unknown) =>
      result.notes.push(`could not read the board's state back: ${toWireError(err).message}`),
    );
    result.status = 'ok';
    result.message =
      changed.length === 0
        ? `up to date; agent ${unchecked ? 'started' : 'listening'} on port ${device.agentPort} (${installed.mode})`
        : `${changed.length} file(s) updated; agent ${unchecked ? 'started' : 'listening'} on port ${device.agentPort} (${installed.mode})`;
    tracker.finish(device.name, true, result.message);
  } catch (err) {
    const wire = toWireError(err);
    if (wire.code === 'INTERNAL')
      opts.log?.error({ device: device.name, err }, 'provisioning failed');
    result.code = wire.code;
    result.message = wire.message;
    result.details = wire.details ?? null;
    tracker.finish(device.name, false, wire.message);
  } finally {
    result.bytesUploaded = sent.bytes;
    result.modelBytesUploaded = sent.modelBytes;
    result.nodeBytesUploaded = sent.nodeBytes;
    session?.close();
    await rm(staging, { recursive: true, force: true });
  }
  return result;
}

/** Provisions every device, `concurrency` at a time; resolves with one result per device, in order. */
export async function provisionFarm(
  devices: readonly BoardRecord[],
  opts: ProvisionOptions,
): Promise<DeviceProvisionResult[]> {
  const tracker = new ProgressTracker(
    devices.map((d) => d.name),
    opts.onProgress,
  );
  // Node tarballs the user gave are checked (CPU, format) before any board is touched.
  const nodes = await nodeTarballs(opts.nodeTarballs ?? []);
  // Files shared by every device are hashed once, before any connection.
  const base = [
    await item('agent', opts.agentBundle, 'agent/mchair-agent.mjs'),
    ...(opts.partitions ? (await modelItems(opts.partitions)).items : []),
  ];
  const results: DeviceProvisionResult[] = new Array(devices.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < devices.length) {
      const i = next++;
      results[i] = await provisionOne(devices[i]!, base, nodes, opts, tracker);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, devices.length)) }, worker),
  );
  return results;
}
