/**
 * The embedded stack's state folder and the stack file in it: what `dev up` started, where it listens,
 * and where its codec key lives. Clients and workers read the stack file when no TEMPORAL_ADDRESS is
 * set; `dev down` and `dev status` read it to find the processes.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRecord } from './processes.js';
import { projectRoot } from './project-root.js';

/** `$AGENTS_PLANE_HOME/dev`, else `<project root>/.agents-plane/dev`. */
export function devStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.AGENTS_PLANE_HOME?.trim();
  return join(home || join(projectRoot(), '.agents-plane'), 'dev');
}

export type ComponentName = 'temporal' | 'codec' | 'emulator' | 'worker' | 'dashboard';

export interface StackFile {
  readonly version: 1;
  /** `starting` while `dev up` is still bringing components up (the worker reads the file then). */
  readonly phase: 'starting' | 'running';
  readonly stateDir: string;
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly webUiUrl: string;
  readonly codecEndpoint: string;
  readonly codecKeysFile: string;
  readonly emulatorUrl?: string;
  readonly dashboardUrl?: string;
  readonly taskQueue: string;
  readonly components: Partial<Record<ComponentName, ProcessRecord>>;
  readonly startedAt: string;
}

export function stackFilePath(stateDir: string): string {
  return join(stateDir, 'stack.json');
}

export function readStackFile(stateDir: string): StackFile | undefined {
  let text: string;
  try {
    text = readFileSync(stackFilePath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as StackFile;
  if (parsed.version !== 1) throw new Error(`${stackFilePath(stateDir)} has unknown version ${String(parsed.version)}`);
  return parsed;
}

/** Written whole to a temporary name and renamed, so a reader never sees half a file. */
export async function writeStackFile(stack: StackFile): Promise<void> {
  await mkdir(stack.stateDir, { recursive: true });
  const path = stackFilePath(stack.stateDir);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(stack, null, 2)}\n`);
  await rename(temporary, path);
}

export async function removeStackFile(stateDir: string): Promise<void> {
  await rm(stackFilePath(stateDir), { force: true });
}
