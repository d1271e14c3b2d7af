// Every string that reaches a remote shell goes through here: POSIX single quotes make all of it
// literal (spaces, `;`, `$(...)`, backticks, globs), and a single quote inside is closed, escaped
// and reopened. NUL cannot be passed to a shell at all, so it is refused.
import { InputError } from '../contract/errors';

export function shQuote(value: string): string {
  if (value.includes('\0')) throw new InputError('a remote argument cannot contain a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line from a program and its arguments, each quoted. */
export function shCommand(...words: readonly string[]): string {
  return words.map(shQuote).join(' ');
}
