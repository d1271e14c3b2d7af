// Reads a run's folder into a RunFolder for reporting. run.json and metrics.jsonl come through
// the store; plan.json, power.json and power.csv are optional (a run without meters has none)
// and validated, so a damaged file is named instead of drawn.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, describeIssues } from '../contract/index';
import { Plan } from '../contract/plan';
import { parsePowerCsv } from '../power/powercsv';
import { PowerSummary } from '../power/summary';
import { readRun, runsDir } from '../store/runs';
import type { RunFolder } from './run';

async function optionalText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError(
      'RUN_UNREADABLE',
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
}

function parseJson<S extends typeof Plan | typeof PowerSummary>(
  path: string,
  text: string,
  schema: S,
): ReturnType<S['parse']> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('RUN_DAMAGED', `${path} is not JSON; remove it or restore it from a backup`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new AppError('RUN_DAMAGED', describeIssues(path, parsed.error.issues));
  return parsed.data as ReturnType<S['parse']>;
}

export async function loadRunFolder(dataDir: string, id: string): Promise<RunFolder> {
  // readRun refuses what is not a run id, naming a file given instead for what it is.
  const { run, metrics } = await readRun(dataDir, id);
  const dir = join(runsDir(dataDir), run.id);
  const planText = await optionalText(join(dir, 'plan.json'));
  const powerText = await optionalText(join(dir, 'power.json'));
  const csvText = await optionalText(join(dir, 'power.csv'));
  return {
    summary: run,
    metrics,
    plan: planText === null ? null : parseJson(join(dir, 'plan.json'), planText, Plan),
    power: powerText === null ? null : parseJson(join(dir, 'power.json'), powerText, PowerSummary),
    samples: csvText === null ? new Map() : parsePowerCsv(csvText),
  };
}
