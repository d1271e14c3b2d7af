// What a file given on the command line is, told from its content: an inventory, a farm file, a
// planner farm file, a plan, a manifest, a run record, a report or an ONNX model. Every file
// option reads its file through here, so one given to the wrong option is named for what it is,
// with the option it belongs to ("inventory.json is an inventory ... give it to --inventory"),
// instead of failing the schema of the file that was expected; and a file of the right kind that
// does not hold together is described in plain words, never as a schema path.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../contract/index';

export type FileKind =
  'inventory' | 'farm' | 'planner-farm' | 'plan' | 'manifest' | 'run' | 'report' | 'onnx';

interface KindInfo {
  /** What it is, in words, with its article. */
  what: string;
  /** Where it goes instead. */
  belongs: string;
}

const KINDS: Record<FileKind, KindInfo> = {
  inventory: {
    what: 'an inventory (the boards "mchair devices add" keeps)',
    belongs: 'give it to --inventory',
  },
  farm: {
    what: 'a farm file (the agents "mchair farm up" started)',
    belongs: 'give it to --farm',
  },
  'planner-farm': {
    what: 'a planner farm file (boards and their profiles, with no agents to reach)',
    belongs: 'give it to "mchair plan --farm", or run on it with --emulate',
  },
  plan: { what: 'a plan (from "mchair plan --out")', belongs: 'give it to --plan' },
  manifest: {
    what: 'a manifest (the parts "mchair partition" wrote)',
    belongs: 'give its folder to --partitions',
  },
  run: {
    what: "a run's record (run.json)",
    belongs: 'name the run by its id (see "mchair runs list")',
  },
  report: {
    what: 'a report (from "mchair report --format json")',
    belongs: 'reports are read, not given back: name runs by their ids (see "mchair runs list")',
  },
  onnx: { what: 'an ONNX model', belongs: 'give it to --model' },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const firstOf = (v: unknown): Record<string, unknown> | null =>
  Array.isArray(v) && isObject(v[0]) ? v[0] : null;

/**
 * The kind of a parsed JSON document, by the fields only that kind has (loosely: a damaged file
 * of a kind is still that kind, so it is described as one rather than as something else).
 */
export function jsonKind(doc: unknown): FileKind | null {
  if (!isObject(doc)) return null;
  if ('tlsDir' in doc || 'coordinatorId' in doc) return 'farm';
  if (Array.isArray(doc.runs) && ('groups' in doc || 'paper' in doc)) return 'report';
  if (typeof doc.id === 'string' && 'state' in doc && 'startedAt' in doc) return 'run';
  // A plan lists its devices' roles too: its prediction and objective tell it from a farm.
  if ('prediction' in doc || 'objective' in doc) return 'plan';
  if (Array.isArray(doc.stages)) {
    const part = firstOf(firstOf(doc.stages)?.parts);
    if (part && 'devices' in part) return 'plan';
    if (isObject(doc.input) || 'output' in doc || (part && 'file' in part)) return 'manifest';
    return 'plan';
  }
  const device = firstOf(doc.devices);
  if (device && ('user' in device || 'auth' in device || 'name' in device)) return 'inventory';
  if (device && 'profile' in device) return 'planner-farm';
  if (Array.isArray(doc.devices) && 'version' in doc) return 'inventory';
  return null;
}

/**
 * An ONNX file is a ModelProto: protobuf, whose first field on every exporter is ir_version
 * (field 1, varint: tag byte 0x08) followed by a small version number.
 */
function looksOnnx(bytes: Buffer): boolean {
  return bytes.length > 2 && bytes[0] === 0x08 && bytes[1]! > 0 && bytes[1]! < 64;
}

export function kindOfBytes(bytes: Buffer): FileKind | null {
  if (looksOnnx(bytes)) return 'onnx';
  try {
    return jsonKind(JSON.parse(bytes.toString('utf8')));
  } catch {
    return null;
  }
}

/**
 * What an existing file is, for a command that takes names rather than files ("report.json is
 * a report ...; name the run by its id"); null when it is no file or none of ours.
 */
export function fileGivenAsName(file: string, wanted: string): string | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const got = kindOfBytes(bytes);
  return got && `${basename(file)} is ${KINDS[got].what}, not ${wanted}; ${KINDS[got].belongs}`;
}

function wrongKind(option: string, file: string, got: FileKind, want: FileKind): InputError {
  return new InputError(
    `${option}: ${basename(file)} is ${KINDS[got].what}, not ${KINDS[want].what}; ${KINDS[got].belongs}`,
  );
}

function readBytes(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'a folder' : e.message;
    throw new InputError(`${option}: cannot read ${file} (${why})`);
  }
}

/**
 * Reads the JSON file an option names, refusing a file of another kind in one line that says
 * what it is and where it goes. The caller validates the document with its schema, through
 * `plainIssues` when it fails.
 */
export function readJsonAs(
  option: string,
  file: string,
  want: FileKind,
  /** Other kinds this option takes as well (a farm file is also a planner farm file). */
  also: readonly FileKind[] = [],
): unknown {
  return jsonAs(option, file, readBytes(option, file), want, also);
}

/** As readJsonAs, for a file its caller has read already. */
export function jsonAs(
  option: string,
  file: string,
  bytes: Buffer,
  want: FileKind,
  also: readonly FileKind[] = [],
): unknown {
  if (looksOnnx(bytes)) throw wrongKind(option, file, 'onnx', want);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InputError(
      `${option}: ${basename(file)} is not JSON (${(err as Error).message.split('\n')[0]}); it should be ${KINDS[want].what}`,
    );
  }
  const got = jsonKind(doc);
  if (got !== null && got !== want && !also.includes(got)) throw wrongKind(option, file, got, want);
  return doc;
}

/**
 * Refuses a JSON file of a known kind given where an ONNX model belongs. Only a file that opens
 * like JSON is read whole: a model of hundreds of megabytes is told by its first bytes.
 */
export function expectOnnx(option: string, file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return; // the model loader names a missing or unreadable file
  }
  const head = Buffer.alloc(16);
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!/^\s*[{[]/.test(head.subarray(0, n).toString('latin1'))) return;
  const got = kindOfBytes(readBytes(option, file));
  if (got !== null && got !== 'onnx') throw wrongKind(option, file, got, 'onnx');
}

/** "the 2nd device (pi-2)": an array item named by its position and its name or id. */
function itemName(key: string, index: number, item: unknown): string {
  const singular = key.replace(/ies$/, 'y').replace(/s$/, '');
  const label = isObject(item) ? (item.name ?? item.id ?? item.file) : undefined;
  return `${singular} ${index + 1}${typeof label === 'string' ? ` (${label})` : ''}`;
}

function valueAt(doc: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = doc;
  for (const k of path) v = isObject(v) || Array.isArray(v) ? (v as never)[k as never] : undefined;
  return v;
}

/** Where in the document, in words: `"version"`, `device 2 (pi-2): "host"`. */
function placeOf(doc: unknown, path: ReadonlyArray<PropertyKey>): string {
  const words: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const k = path[i]!;
    const next = path[i + 1];
    if (typeof next === 'number') {
      words.push(itemName(String(k), next, valueAt(doc, path.slice(0, i + 2))));
      i++;
    } else words.push(`"${String(k)}"`);
  }
  return words.join(': ');
}

/**
 * One zod failure of a file, in plain words: what the file is, the field by name, and what is
 * wrong with it ("inv.json, an inventory: "version" is 3; this mchair reads version 1 or 2").
 */
export function plainIssues(file: string, kind: FileKind, doc: unknown, error: z.ZodError): string {
  const issue = error.issues[0];
  // The whole path: a file the user did not name (the data folder's inventory) is found by it.
  const head = `${file}, ${KINDS[kind].what.replace(/ \(.*\)$/, '')}`;
  if (!issue) return `${head}: does not hold together`;
  const place = issue.path.length ? placeOf(doc, issue.path) : 'the file';
  const value = valueAt(doc, issue.path);
  const more = error.issues.length > 1 ? `; ${error.issues.length - 1} more to fix after it` : '';
  let what: string;
  if (value === undefined && issue.code === 'invalid_type') what = `${place} is missing`;
  else if (issue.code === 'invalid_value' && 'values' in issue && issue.values.length > 0)
    what = `${place} is ${JSON.stringify(value)}; this mchair reads ${String(issue.path.at(-1))} ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
  else if (issue.code === 'unrecognized_keys' && 'keys' in issue)
    what = `${place} has ${issue.keys.map((k) => `"${k}"`).join(', ')}, which ${issue.keys.length > 1 ? 'are' : 'is'} not part of ${KINDS[kind].what.replace(/ \(.*\)$/, '')}`;
  else
    what = `${place} ${value === undefined ? '' : `(${JSON.stringify(value).slice(0, 40)}) `}${issue.message.replace(/^Invalid input: /, '')}`;
  return `${head}: ${what}${more}`;
}
