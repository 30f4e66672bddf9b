/**
 * The single wrapper every CLI command runs through: it owns `--json` output, human tables, hints on
 * stderr, error printing and exit codes (0 success, 1 operation failed, 2 bad input). Commands return
 * data and never call process.exit or print their own errors.
 */
import type { Command } from 'commander';
import { InvalidInputError } from '../domain/invalid-input.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** An operation that ran and failed (a workflow that failed, a stack that would not start). */
export class OperationFailedError extends Error {
  constructor(
    message: string,
    readonly code = 'OPERATION_FAILED',
  ) {
    super(message);
    this.name = 'OperationFailedError';
  }
}

export interface Output {
  readonly json: boolean;
  /** Progress and hints: stderr, never under --json. */
  info(line: string): void;
  /** Live progress line (rewritten in place on a TTY). */
  progress(line: string): void;
}

export interface CommandResult<T> {
  readonly data: T;
  /** How a person sees `data`; defaults to pretty JSON. */
  readonly human?: (data: T) => string;
}

export function createOutput(json: boolean, stream: NodeJS.WriteStream = process.stderr): Output {
  let live = false;
  const clearLive = () => {
    if (live) {
      stream.write('\n');
      live = false;
    }
  };
  return {
    json,
    info(line) {
      if (json) return;
      clearLive();
      stream.write(`${line}\n`);
    },
    progress(line) {
      if (json) return;
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${line}`);
        live = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
  };
}

/** Whether `--json` was given anywhere on the command line (global or on the subcommand). */
function wantsJson(command: Command): boolean {
  for (let c: Command | null = command; c; c = c.parent) {
    if (c.opts().json) return true;
  }
  return false;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof InvalidInputError) return EXIT_BAD_INPUT;
  if (isCommanderUsageError(error)) return EXIT_BAD_INPUT;
  return EXIT_FAILED;
}

function isCommanderUsageError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code?.toString().startsWith('commander.') === true;
}

function errorCode(error: unknown): string {
  if (error instanceof InvalidInputError || isCommanderUsageError(error)) return 'INVALID_INPUT';
  if (error instanceof OperationFailedError) return error.code;
  return 'FAILED';
}

/**
 * Wraps a command's action. The action receives its parsed options and an Output; whatever it returns
 * is printed as JSON (with --json) or through `human`.
 */
export function runCommand<O, T>(
  action: (options: O, out: Output, command: Command) => Promise<CommandResult<T>>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const options = command.opts() as O;
    const json = wantsJson(command);
    const out = createOutput(json);
    try {
      const result = await action(options, out, command);
      if (json) process.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
      else process.stdout.write(`${result.human ? result.human(result.data) : JSON.stringify(result.data, null, 2)}\n`);
      process.exitCode = EXIT_OK;
    } catch (error) {
      reportError(error, json);
    }
  };
}

export function reportError(error: unknown, json: boolean): void {
  // Commander phrases its usage errors for a terminal ("error: unknown option ..."); the envelope has its own.
  const raw = error instanceof Error ? error.message : String(error);
  const message = isCommanderUsageError(error) ? raw.replace(/^error: /, '') : raw;
  const code = exitCodeFor(error);
  if (json) {
    const body: Record<string, unknown> = { code: errorCode(error), message };
    if (error instanceof InvalidInputError) body.field = error.field;
    process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  } else {
    process.stderr.write(`error: ${message}\n`);
  }
  process.exitCode = code;
}

/** A plain text table for people: columns sized to content. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
