// The run store: `runs/<id>/` holds run.json (the summary, rewritten atomically), and
// append-only metrics.jsonl and results.jsonl flushed every second, so a crash loses at most the
// last second and never a finished run.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppError,
  InputError,
  RunId,
  RunMetrics,
  RunSummary,
  type RunState,
} from '../contract/index';
import { writeFileAtomic } from './atomic';

const FLUSH_MS = 1000;

export function runsDir(dataDir: string): string {
  return join(dataDir, 'runs');
}

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Records one run as it goes. */
export class RunRecorder {
  private summary: RunSummary;
  private pending: Record<'metrics.jsonl' | 'results.jsonl', string[]> = {
    'metrics.jsonl': [],
    'results.jsonl': [],
  };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    summary: RunSummary,
  ) {
    this.summary = summary;
  }

  static async create(
    dataDir: string,
    init: { kind: string; model: string; frames: number },
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
    });
    await rec.writeSummary();
    rec.timer = setInterval(() => void rec.flush(), FLUSH_MS);
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
    this.summary.completed = m.completed;
    this.pending['metrics.jsonl'].push(JSON.stringify(m));
  }

  result(r: Record<string, unknown>): void {
    this.pending['results.jsonl'].push(JSON.stringify(r));
  }

  async setState(state: RunState, patch: Partial<RunSummary> = {}): Promise<void> {
    this.summary = { ...this.summary, ...patch, state };
    await this.writeSummary();
  }

  /** Ends the run: flushes everything and writes the final summary. */
  async finish(state: RunState, patch: Partial<RunSummary> = {}): Promise<RunSummary> {
    clearInterval(this.timer);
    await this.flush();
    this.summary = { ...this.summary, ...patch, state, endedAt: new Date().toISOString() };
    await this.writeSummary();
    return this.current;
  }

  /** Appends what is pending; calls are chained so lines keep their order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      for (const name of Object.keys(this.pending) as (keyof RunRecorder['pending'])[]) {
        const lines = this.pending[name];
        if (lines.length === 0) continue;
        this.pending[name] = [];
        await appendFile(join(this.dir, name), `${lines.join('\n')}\n`);
      }
    });
    return this.flushing;
  }

  private async writeSummary(): Promise<void> {
    await writeFileAtomic(join(this.dir, 'run.json'), `${JSON.stringify(this.summary, null, 2)}\n`);
  }
}

async function readSummary(dir: string): Promise<RunSummary | null> {
  try {
    const parsed = RunSummary.safeParse(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
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
  if (!RunId.safeParse(id).success) throw new InputError(`"${id}" is not a run id`);
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
