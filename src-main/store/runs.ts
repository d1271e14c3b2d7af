// The run store: `runs/<id>/` holds run.json (the summary, rewritten atomically), and
// append-only metrics.jsonl, results.jsonl and checks.jsonl (`--check` verdicts, which come
// behind the results) flushed twice a second (a timer late on a busy machine still leaves the
// second's margin), each flush followed by run.json with the count of results stored, so a crash
// loses at most the last second and never a finished run. run.json names the process that records
// the run; a run left starting or running by a process that has died is marked failed, saying
// so, by whichever program reads it next.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppError,
  describeOwner,
  InputError,
  RunId,
  RunMetrics,
  RunSummary,
  type RunRepeat,
  type RunState,
} from '../contract/index';
import { fileGivenAsName } from '../files/kind';
import { writeFileAtomic } from './atomic';
import { ownedElsewhere, ownerGone, thisOwner } from './owner';

const FLUSH_MS = 500;

export function runsDir(dataDir: string): string {
  return join(dataDir, 'runs');
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Records one run as it goes. */
export class RunRecorder {
  private summary: RunSummary;
  private pending: Record<'metrics.jsonl' | 'results.jsonl' | 'checks.jsonl', string[]> = {
    'metrics.jsonl': [],
    'results.jsonl': [],
    'checks.jsonl': [],
  };
  private timer: NodeJS.Timeout | undefined;
  /**
   * run.json writes, in order (each takes the summary as it is when it starts, so a later state
   * never lands before an earlier one). Apart from the appends, which must not wait for it.
   */
  private summaries: Promise<void> = Promise.resolve();
  /** A progress write is queued and has not started: one is enough. */
  private progressQueued = false;
  /** Results appended to results.jsonl; run.json's `completed` during the run. */
  private stored = 0;

  private constructor(
    readonly dir: string,
    summary: RunSummary,
  ) {
    this.summary = summary;
  }

  static async create(
    dataDir: string,
    init: { kind: string; model: string; frames: number; repeat?: RunRepeat },
  ): Promise<RunRecorder> {
    const now = new Date();
    const id = newRunId(now);
    const dir = join(runsDir(dataDir), id);
    await mkdir(dir, { recursive: true });
    const rec = new RunRecorder(dir, {
      id,
      kind: init.kind,
      model: init.model,
      state: 'starting',
      startedAt: now.toISOString(),
      endedAt: null,
      frames: init.frames,
      completed: 0,
      ips: null,
      maxAbsDiff: null,
      message: null,
      ...(init.repeat ? { repeat: init.repeat } : {}),
      owner: thisOwner(),
    });
    await rec.writeSummary();
    rec.timer = setInterval(() => rec.flush(), FLUSH_MS);
    rec.timer.unref();
    return rec;
  }

  get id(): string {
    return this.summary.id;
  }

  get current(): RunSummary {
    return { ...this.summary };
  }

  async writeFile(name: string, data: string | Uint8Array): Promise<void> {
    await writeFileAtomic(join(this.dir, name), data);
  }

  metrics(m: RunMetrics): void {
    this.pending['metrics.jsonl'].push(JSON.stringify(m));
  }

  /** Results handed over so far (on disk within a flush). */
  get handed(): number {
    return this.stored + this.pending['results.jsonl'].length;
  }

  result(r: Record<string, unknown>): void {
    this.pending['results.jsonl'].push(JSON.stringify(r));
  }

  /** A `--check` verdict on a result recorded before. */
  check(c: { frameId: number; maxAbsDiff: number }): void {
    this.pending['checks.jsonl'].push(JSON.stringify(c));
  }

  async setState(state: RunState, patch: Partial<RunSummary> = {}): Promise<void> {
    this.summary = { ...this.summary, ...patch, state };
    await this.writeSummary();
  }

  /** Ends the run: flushes everything and writes the final summary. */
  async finish(state: RunState, patch: Partial<RunSummary> = {}): Promise<RunSummary> {
    clearInterval(this.timer);
    this.flush();
    this.summary = { ...this.summary, ...patch, state, endedAt: new Date().toISOString() };
    await this.writeSummary();
    return this.current;
  }

  /**
   * Appends what is pending, then records the progress in run.json when results came. The
   * appends are synchronous on purpose: an asynchronous one costs three trips through the event
   * loop (open, write, close), and a coordinator busy with a fast farm under --check on a loaded
   * machine took 0.1-0.5 s a file that way, so flushes fell seconds behind the results handed
   * over; a few kilobytes appended to the page cache take microseconds.
   */
  flush(): void {
    const batch = Object.entries(this.pending).filter(([, lines]) => lines.length > 0);
    for (const [name, lines] of batch) {
      this.pending[name as keyof RunRecorder['pending']] = [];
      appendFileSync(join(this.dir, name), `${lines.join('\n')}\n`);
    }
    const results = batch.find(([name]) => name === 'results.jsonl')?.[1].length ?? 0;
    this.stored += results;
    if (results > 0 && this.summary.endedAt === null && !this.progressQueued) {
      this.progressQueued = true;
      void this.writeSummary(() => {
        this.progressQueued = false;
        if (this.summary.endedAt === null) this.summary.completed = this.stored;
      }).catch(() => undefined);
    }
  }

  /** Writes run.json after the writes before it; `before` runs just as it starts. */
  private writeSummary(before?: () => void): Promise<void> {
    const done = this.summaries.then(async () => {
      before?.();
      await writeFileAtomic(
        join(this.dir, 'run.json'),
        `${JSON.stringify(this.summary, null, 2)}\n`,
      );
    });
    this.summaries = done.catch(() => undefined);
    return done;
  }
}

const LIVE: readonly RunState[] = ['starting', 'running'];

/**
 * A run whose owner died before finishing it (SIGKILL, a crash, a power cut), recorded as failed:
 * ended when run.json was last written (its progress is flushed twice a second), with why.
 */
async function settle(dir: string, run: RunSummary): Promise<RunSummary> {
  if (!LIVE.includes(run.state) || !run.owner || !ownerGone(run.owner)) return run;
  const last = await stat(join(dir, 'run.json'));
  const failed: RunSummary = {
    ...run,
    state: 'failed',
    endedAt: last.mtime.toISOString(),
    message: `${describeOwner(run.owner)} ended while the run was ${run.state}; the ${run.completed} results recorded until then are kept`,
  };
  await writeFileAtomic(join(dir, 'run.json'), `${JSON.stringify(failed, null, 2)}\n`);
  return failed;
}

async function readSummary(dir: string): Promise<RunSummary | null> {
  let parsed;
  try {
    parsed = RunSummary.safeParse(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')));
  } catch {
    return null;
  }
  return parsed.success ? settle(dir, parsed.data) : null;
}

/** The recorded runs, newest first; folders that are not runs are passed over. */
export async function listRuns(dataDir: string): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = await readdir(runsDir(dataDir));
  } catch {
    return [];
  }
  const runs = await Promise.all(
    names
      .filter((n) => RunId.safeParse(n).success)
      .map((n) => readSummary(join(runsDir(dataDir), n))),
  );
  return runs
    .filter((r): r is RunSummary => r !== null)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** One run with its metrics; a torn last line (a crash mid-append) is passed over. */
export async function readRun(
  dataDir: string,
  id: string,
): Promise<{ run: RunSummary; metrics: RunMetrics[] }> {
  if (!RunId.safeParse(id).success)
    throw new InputError(
      fileGivenAsName(id, 'a run') ?? `"${id}" is not a run id (see \`mchair runs list\`)`,
    );
  const dir = join(runsDir(dataDir), id);
  const run = await readSummary(dir);
  if (!run) throw new AppError('RUN_NOT_FOUND', `no run "${id}" in ${runsDir(dataDir)}`);
  let text = '';
  try {
    text = await readFile(join(dir, 'metrics.jsonl'), 'utf8');
  } catch {
    // A run that has not flushed metrics yet has none.
  }
  const metrics: RunMetrics[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const m = RunMetrics.safeParse(JSON.parse(line));
      if (m.success) metrics.push(m.data);
    } catch {
      // torn line
    }
  }
  return { run, metrics };
}

/**
 * Refuses to act on a run another live process is recording (RUN_ELSEWHERE, naming it): only its
 * owner can stop it, and its files are still being written. `what` says what to do instead.
 */
export async function refuseRunElsewhere(dataDir: string, id: string, what: string): Promise<void> {
  if (!RunId.safeParse(id).success) return;
  const run = await readSummary(join(runsDir(dataDir), id));
  if (run && LIVE.includes(run.state) && ownedElsewhere(run.owner))
    throw new AppError(
      'RUN_ELSEWHERE',
      `run "${id}" is ${run.state} in ${describeOwner(run.owner)}: ${what}`,
    );
}
