// One error type per failure a user can act on: a stable code plus a sentence that says what to
// do. Anything that is not an AppError is a bug, reported as INTERNAL without its stack. The data
// a caller acts on (fingerprints, board names, sizes) travels in fields beside the sentence, so
// no adapter or view reads it back out of English.
import { z } from 'zod';
import type { WireError } from './define';

/** A host key as OpenSSH shows it: `ssh-ed25519 SHA256:<43 base64 chars>`. */
export const HostKey = z.object({ keyType: z.string(), fingerprint: z.string() });
export type HostKey = z.infer<typeof HostKey>;

const presentedAt = { host: z.string(), port: z.number().int(), presented: HostKey };

/** What an error carries in fields, by its code. */
export const ErrorDetails = z.discriminatedUnion('code', [
  z.object({ code: z.literal('HOST_KEY_UNKNOWN'), ...presentedAt }),
  z.object({ code: z.literal('HOST_KEY_CHANGED'), ...presentedAt, known: z.array(HostKey) }),
  z.object({ code: z.literal('HOST_KEY_REVOKED'), ...presentedAt }),
  z.object({ code: z.literal('HOST_KEY_REJECTED'), ...presentedAt }),
  z.object({
    code: z.literal('BACKEND_CANNOT_RUN'),
    part: z.string(),
    backend: z.string(),
    op: z.string().nullable(),
    node: z.string().nullable(),
  }),
  z.object({ code: z.literal('MODEL_TOO_BIG'), maxBytes: z.number().int() }),
]);
export type ErrorDetails = z.infer<typeof ErrorDetails>;

/** Data beside the sentence: the board the failure is about, and the code's own fields. */
export interface ErrorFields {
  board?: string | null;
  details?: ErrorDetails | null;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  /** The board the failure is about, when it is about one. */
  readonly board: string | null;
  /** The code's own fields (ErrorDetails), for the codes that have them. */
  readonly details: ErrorDetails | null;

  constructor(
    readonly code: string,
    message: string,
    fields: ErrorFields = {},
  ) {
    // Messages quote names and bytes from files and peers: kept to one line wherever shown.
    super(oneLine(message));
    if (fields.details && fields.details.code !== code)
      throw new Error(`an ${code} error cannot carry ${fields.details.code} details`);
    this.board = fields.board ?? null;
    this.details = fields.details ?? null;
  }

  /** The same failure, said of `board` (a farm's loop over boards knows which one failed). */
  about(board: string, message = this.message): AppError {
    return new AppError(this.code, message, { board, details: this.details });
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
    board: string,
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
      {
        board,
        details: {
          code: 'BACKEND_CANNOT_RUN',
          part: r.part,
          backend: r.backend,
          op: r.op,
          node: r.node,
        },
      },
    );
  }
}

export function toWireError(err: unknown): WireError {
  if (err instanceof AppError)
    return {
      name: err.name,
      code: err.code,
      message: err.message,
      board: err.board,
      details: err.details,
    };
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'InternalError', code: 'INTERNAL', message: `internal error: ${message}` };
}

/**
 * The AppError a WireError stands for. Its fields crossed a process (IPC, WebSocket), so they are
 * checked here: a board that is not a string, or details that do not match their code (a core of
 * another build), are left out rather than trusted; the code and the sentence still stand.
 */
export function fromWireError(e: WireError): AppError {
  const details = ErrorDetails.safeParse(e.details);
  return new AppError(e.code, e.message, {
    board: typeof e.board === 'string' ? e.board : null,
    details: details.success && details.data.code === e.code ? details.data : null,
  });
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
