/**
 * Background processes the project starts and must be able to stop later from another process: each
 * runs detached in its own process group with its output appended to a log file, and is described by
 * a record (pid + exact argv) so that a pid reused by an unrelated program is never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** The command line as started (executable first), compared against /proc to detect pid reuse. */
  readonly argv: readonly string[];
  readonly logFile: string;
  readonly startedAt: string;
}

export interface DetachedSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly logFile: string;
}

export async function spawnDetached(spec: DetachedSpec): Promise<ProcessRecord> {
  await mkdir(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`cannot start ${spec.name} (${spec.command}): ${error.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    // The starter may exit while the process runs on; it must not hold the starter's event loop.
    child.unref();
    return { name: spec.name, pid, argv: [spec.command, ...spec.args], logFile: spec.logFile, startedAt: new Date().toISOString() };
  } finally {
    closeSync(log);
  }
}

/** Whether a pid exists (zombies included); see `isRunning` for the check that a record is still ours. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the record's process still runs: alive, not a zombie, and (on Linux) the same command line. */
export function isRunning(record: Pick<ProcessRecord, 'pid' | 'argv'>): boolean {
  if (!processAlive(record.pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${record.pid}/stat`, 'utf8'))) return false;
  } catch (error) {
    // No procfs (macOS): the pid alone has to do.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !procfsAvailable()) return true;
    return false;
  }
  const actual = cmdline.replace(/\0$/, '').split('\0');
  // argv[0] may be rewritten by the runtime (node shows its resolved path); the arguments may not.
  const expected = record.argv.slice(1);
  return actual.length >= expected.length && expected.every((arg, i) => actual[actual.length - expected.length + i] === arg);
}

let procfs: boolean | undefined;
function procfsAvailable(): boolean {
  if (procfs === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procfs = true;
    } catch {
      procfs = false;
    }
  }
  return procfs;
}

export type StopOutcome = 'not-running' | 'stopped' | 'killed';

/**
 * SIGTERM to the process group, then SIGKILL once `graceMs` has passed; resolves when the process is
 * gone and throws if even SIGKILL did not remove it.
 */
export async function stopProcess(record: ProcessRecord, graceMs: number): Promise<StopOutcome> {
  if (!isRunning(record)) return 'not-running';
  signalGroup(record.pid, 'SIGTERM');
  if (await waitUntilGone(record, graceMs)) return 'stopped';
  signalGroup(record.pid, 'SIGKILL');
  if (await waitUntilGone(record, 5_000)) return 'killed';
  throw new Error(`${record.name} (pid ${record.pid}) is still running after SIGKILL`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole group the detached process leads, so its own children go too.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export async function waitUntilGone(record: Pick<ProcessRecord, 'pid' | 'argv'>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(record)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** The last lines of a log, to explain a process that failed to start. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
