// The shape of the one contract between the renderer and the core: every command (renderer ->
// core) and event (core -> renderer) is declared once with zod schemas, and the preload bridge,
// the IPC handler, the WebSocket adapter and the renderer's client are all derived from it.
// Nothing here may import Node or DOM APIs: the renderer and the sandboxed preload use it too.
import type { z } from 'zod';
import type { ErrorDetails } from './errors';

export interface CommandSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly summary: string;
  readonly args: A;
  readonly result: R;
}

/** Declares a command; the summary is what `help` and the UI's tooltips say. */
export function command<A extends z.ZodType, R extends z.ZodType>(
  summary: string,
  args: A,
  result: R,
): CommandSpec<A, R> {
  return { summary, args, result };
}

/** Errors cross every adapter as plain data and are rebuilt as a real Error on the other side. */
export interface WireError {
  name: string;
  code: string;
  message: string;
  /** The board the failure is about (AppError.board). */
  board?: string | null;
  /** The code's own fields (AppError.details); a receiver checks them (fromWireError). */
  details?: ErrorDetails | null;
}

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: WireError };
