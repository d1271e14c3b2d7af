// What a view shows for a failure: the contract error's sentence, never a stack trace.
import { AppError } from '../../src-main/contract/errors';

export function errorSentence(err: unknown): string {
  if (err instanceof AppError) return err.message;
  if (err instanceof Error) return `unexpected error: ${err.message}`;
  return `unexpected error: ${String(err)}`;
}
