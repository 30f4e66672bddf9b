/**
 * What test files use to reach the run's real Temporal: `testEnv()` for the shared settings, clients
 * and in-process workers with the codec, worker subprocesses that can be SIGKILLed and restarted, and
 * private dev servers for tests that stop the server. Every test uses its own task queue and workflow
 * ids (`uniqueName`). Everything spawned here is recorded and stopped by the global teardown even when a
 * test fails half-way.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { isRunning, spawnDetached, stopProcess, waitUntilGone, type ProcessRecord } from '../../src/runtime/processes.js';
import { projectRoot } from '../../src/runtime/project-root.js';
import { waitForWorkerPolling } from '../../src/runtime/worker-readiness.js';
import { encryptingDataConverter } from '../../src/temporal/codec.js';
import { parseCodecKeys, CODEC_KEYS_ENV, type CodecKeySet } from '../../src/temporal/codec-keys.js';
import { connectClient } from '../../src/temporal/connection.js';
import { startTestDevServer, type TestDevServer } from './dev-server.js';
import type { TestEnv } from './test-env.js';

export type { TestEnv } from './test-env.js';
export type { TestDevServer } from './dev-server.js';

export function testEnv(): TestEnv {
  const env = inject('agentsPlaneTestEnv');
  if (!env) throw new Error('no test environment: run through vitest with test/setup/global-setup.ts (npm test)');
  return env;
}

/** A name no other test (or earlier run on the same server) uses: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function codecKeySet(): CodecKeySet {
  return parseCodecKeys(testEnv().codecKeys, CODEC_KEYS_ENV);
}

/** A private folder for one test (state files, logs). */
export async function testDir(name: string): Promise<string> {
  const dir = join(testEnv().runDir, uniqueName(name));
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The environment the project's own code sees in a test: the run's Temporal through TEMPORAL_ADDRESS,
 * the run's codec key, and no embedded stack (AGENTS_PLANE_HOME points into the run folder). An
 * override set to undefined removes that variable.
 */
export function projectEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = testEnv();
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('TEMPORAL_') || name.startsWith('AGENTS_PLANE_')) continue;
    base[name] = value;
  }
  const merged: NodeJS.ProcessEnv = {
    ...base,
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_NAMESPACE: env.namespace,
    [CODEC_KEYS_ENV]: env.codecKeys,
    AGENTS_PLANE_HOME: join(env.runDir, 'home'),
    ...overrides,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  return merged;
}

/** A client with the codec, resolved exactly as the CLI resolves it (TEMPORAL_ADDRESS + codec key). */
export async function connectTestClient(overrides: Record<string, string | undefined> = {}): Promise<Client> {
  return connectClient({ env: projectEnv(overrides) });
}

/** A client WITHOUT the codec: sees what Temporal stores (for asserting that payloads are ciphertext). */
export async function connectRawClient(address = testEnv().temporalAddress): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: testEnv().namespace });
}

export interface InProcessWorkerOptions {
  readonly taskQueue: string;
  /** Default: the fixture bundle. */
  readonly workflowBundlePath?: string;
  readonly activities?: WorkerOptions['activities'];
  readonly address?: string;
  readonly extra?: Partial<WorkerOptions>;
}

/** A worker inside the test process (fast; for tests that need no process boundary). Call `worker.runUntil`. */
export async function createInProcessWorker(options: InProcessWorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: options.address ?? testEnv().temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: testEnv().namespace,
    taskQueue: options.taskQueue,
    workflowBundle: { codePath: options.workflowBundlePath ?? testEnv().fixtureBundlePath },
    ...(options.activities ? { activities: options.activities } : {}),
    dataConverter: encryptingDataConverter(codecKeySet()),
    ...options.extra,
  });
  return { worker, close: () => connection.close() };
}

export interface WorkerProcess {
  readonly record: ProcessRecord;
  readonly pid: number;
  /** Resolves once Temporal lists this process among the task queue's pollers. */
  waitUntilPolling(timeoutMs?: number): Promise<void>;
  /** SIGKILL: no graceful shutdown, no chance to finish anything. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after the grace time. */
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  readonly taskQueue: string;
  /** Default: the fixture bundle. */
  readonly workflowBundlePath?: string;
  readonly address?: string;
  /** More environment for the worker (AGENTS_PLANE_GCP_ENDPOINT, AGENTS_PLANE_WORKER_*...). */
  readonly env?: Record<string, string | undefined>;
}

/** `node dist/src/worker.js` as a real separate process (needs `npm run build`, which `npm test` does). */
export async function spawnWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const env = testEnv();
  const address = options.address ?? env.temporalAddress;
  const record = await spawnDetached({
    name: 'worker',
    command: process.execPath,
    args: [join(projectRoot(), 'dist', 'src', 'worker.js')],
    env: projectEnv({
      TEMPORAL_ADDRESS: address,
      AGENTS_PLANE_TASK_QUEUE: options.taskQueue,
      AGENTS_PLANE_WORKFLOW_BUNDLE: options.workflowBundlePath ?? env.fixtureBundlePath,
      ...options.env,
    }),
    cwd: env.runDir,
    logFile: join(env.runDir, 'logs', `worker-${options.taskQueue}-${Date.now()}.log`),
  });
  await writeFile(join(env.processDir, `${record.pid}.json`), JSON.stringify(record));
  return {
    record,
    pid: record.pid,
    waitUntilPolling: (timeoutMs = 60_000) =>
      waitForWorkerPolling({ connectionOptions: { address }, namespace: env.namespace, taskQueue: options.taskQueue, worker: record, timeoutMs }),
    async kill() {
      if (!isRunning(record)) return;
      process.kill(record.pid, 'SIGKILL');
      if (!(await waitUntilGone(record, 10_000))) throw new Error(`worker ${record.pid} survived SIGKILL`);
    },
    async stop() {
      await stopProcess(record, 15_000);
    },
  };
}

/**
 * A dev server of the test's own, for tests that stop or restart Temporal (the shared one must stay
 * up for the other files running in parallel). `dbFile` defaults to a new SQLite file in a test folder.
 */
export async function startPrivateDevServer(options: { dbFile?: string; port?: number; uiPort?: number } = {}): Promise<TestDevServer> {
  const env = testEnv();
  const dir = await testDir('dev-server');
  return startTestDevServer({
    temporalBin: env.temporalBin,
    dbFile: options.dbFile ?? join(dir, 'temporal.sqlite'),
    logFile: join(dir, 'temporal.log'),
    processDir: env.processDir,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.uiPort !== undefined ? { uiPort: options.uiPort } : {}),
  });
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
