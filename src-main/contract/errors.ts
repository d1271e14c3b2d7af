// One error type per failure a user can act on: a stable code plus a sentence that says what to
// do. Anything that is not an AppError is a bug, reported as INTERNAL without its stack.
import type { WireError } from './define';

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    // Messages quote names and bytes from files and peers: kept to one line wherever shown.
    super(oneLine(message));
  }
}

/** A bad argument, flag, file or message: the user fixes their input. */
export class InputError extends AppError {
  constructor(message: string) {
    super('BAD_INPUT', message);
  }
}

/** The lab's virtual farm is asked for and none is up: the way to start one. */
export class FarmNotUpError extends AppError {
  constructor() {
    super(
      'FARM_NOT_UP',
      'no virtual farm is up; start one with "mchair farm up --emulate pi3:6" or the Farm view',
    );
  }
}

/**
 * A board's inference backend cannot load a part (no kernel for an operator or type): the deploy
 * is refused before any frame is sent, naming the board, the backend and the operator.
 */
export class BackendCannotRunError extends AppError {
  constructor(
    readonly board: string,
    readonly refusal: {
      readonly part: string;
      readonly backend: string;
      readonly op: string | null;
      readonly node: string | null;
      readonly reason: string;
    },
  ) {
    const r = refusal;
    const backend =
      r.backend === 'wasm' ? 'WebAssembly (onnxruntime-web)' : `${r.backend} (onnxruntime-node)`;
    super(
      'BACKEND_CANNOT_RUN',
      r.op
        ? `board ${board} cannot run part ${r.part}: its ${backend} backend has no kernel for operator ${r.op}${r.node ? ` in node "${r.node}"` : ''}; put that part on a board with another backend, or export the model without that operator`
        : `board ${board} cannot load part ${r.part} on its ${backend} backend: ${r.reason}`,
    );
  }
}

export function toWireError(err: unknown): WireError {
  if (err instanceof AppError) return { name: err.name, code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'InternalError', code: 'INTERNAL', message: `internal error: ${message}` };
}

export function fromWireError(e: WireError): AppError {
  return new AppError(e.code, e.message);
}

/**
 * Messages quote what the user gave (file contents, names, bytes): escapes their control
 * characters so an error stays one line and cannot drive the user's terminal.
 */
export function oneLine(message: string): string {
  return message.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Turns a zod issue list into one line that names the field to fix. */
export function describeIssues(
  where: string,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string {
  const first = issues[0];
  if (!first) return `${where}: invalid`;
  const path = first.path.map(String).join('.');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${where}${path ? `.${path}` : ''}: ${first.message}${more}`;
}
