/**
 * Turning a value into one inert bash word. Single quotes are the only bash quoting with no expansion
 * at all inside; an embedded single quote is closed, escaped and reopened ('\''). Control characters
 * are refused rather than quoted: they have no business in a rendered script (a newline would split a
 * log line, a NUL cannot exist in a bash word) and refusing them keeps every literal on one line.
 */
import { InvalidInputError } from './invalid-input.js';

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export function shellSingleQuote(field: string, value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new InvalidInputError(field, 'must not contain control characters (line breaks, tabs, NUL)');
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
