/**
 * The worker: one process polling one task queue with every workflow (from the prebuilt bundle) and
 * every activity (bound to real GCP or the emulator). Runnable as `node dist/src/worker.js` or as
 * `agents-plane worker`; stops gracefully on SIGTERM/SIGINT (in-flight activities get the grace time,
 * then the process exits with nothing polling).
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { InvalidInputError } from './domain/invalid-input.js';
import { createGcpClients, type GcpClients } from './gcp/clients.js';
import { rateLimiterFor, type RateLimiterStats } from './gcp/rate-limiter.js';
import { defaultWorkflowBundlePath } from './runtime/workflow-bundle.js';
import { encryptingDataConverter } from './temporal/codec.js';
import { codecKeysFor, resolveStack, unreachable, type ResolvedStack } from './temporal/connection.js';
import { workerTuningFromEnv, type WorkerTuning } from './worker-tuning.js';

export const WORKFLOW_BUNDLE_ENV = 'AGENTS_PLANE_WORKFLOW_BUNDLE';

export { defaultWorkflowBundlePath };
export { WORKER_TUNING_ENV, workerTuningFromEnv, type WorkerTuning } from './worker-tuning.js';

export interface AgentsPlaneWorkerOptions extends Partial<WorkerTuning> {
  readonly env?: NodeJS.ProcessEnv;
  /** The prebuilt workflow bundle; default AGENTS_PLANE_WORKFLOW_BUNDLE, else dist/workflow-bundle.js. */
  readonly workflowBundlePath?: string;
}

export interface AgentsPlaneWorker {
  readonly worker: Worker;
  readonly taskQueue: string;
  readonly stack: ResolvedStack;
  /** Polls until shut down (by a signal or `worker.shutdown()`), then releases every connection. */
  run(): Promise<void>;
  /** How the GCP rate limiter paced this worker's calls so far. */
  rateLimiterStats(): RateLimiterStats | undefined;
}

export async function createAgentsPlaneWorker(options: AgentsPlaneWorkerOptions = {}): Promise<AgentsPlaneWorker> {
  const env = options.env ?? process.env;
  const tuning = { ...workerTuningFromEnv(env), ...definedOnly(options) };
  const bundlePath = options.workflowBundlePath ?? (env[WORKFLOW_BUNDLE_ENV]?.trim() || defaultWorkflowBundlePath());
  if (!existsSync(bundlePath)) {
    throw new InvalidInputError(WORKFLOW_BUNDLE_ENV, `no workflow bundle at ${bundlePath}: run \`npm run build\` first`);
  }
  const stack = await resolveStack(env);
  if (stack.temporal.source === 'none') throw unreachable(stack.temporal, stack.stateDir);
  const keys = codecKeysFor(stack.temporal, env);

  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(stack.temporal.connectionOptions);
  } catch (error) {
    throw unreachable(stack.temporal, stack.stateDir, error);
  }
  let gcp: GcpClients | undefined;
  try {
    gcp = createGcpClients({ emulatorUrl: stack.gcpEndpoint }, { limiter: await rateLimiterFor(stack.gcpEndpoint, env) });
    const worker = await Worker.create({
      connection,
      namespace: stack.temporal.namespace,
      taskQueue: tuning.taskQueue,
      workflowBundle: { codePath: bundlePath },
      activities: createActivities(gcp),
      dataConverter: encryptingDataConverter(keys),
      shutdownGraceTime: tuning.shutdownGraceTimeMs,
      ...(tuning.maxConcurrentActivityTaskExecutions !== undefined ? { maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions } : {}),
      ...(tuning.maxConcurrentWorkflowTaskExecutions !== undefined ? { maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions } : {}),
      ...(tuning.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: tuning.maxCachedWorkflows } : {}),
      ...(tuning.stickyQueueTimeoutMs !== undefined ? { stickyQueueScheduleToStartTimeout: tuning.stickyQueueTimeoutMs } : {}),
    });
    const clients = gcp;
    return {
      worker,
      taskQueue: tuning.taskQueue,
      stack,
      rateLimiterStats: () => clients.limiter?.snapshot(),
      async run() {
        try {
          await worker.run();
        } finally {
          await clients.close();
          await connection.close();
        }
      },
    };
  } catch (error) {
    await gcp?.close();
    await connection.close();
    throw error;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** One line saying what the worker serves, for its log. */
export function describeWorker(w: AgentsPlaneWorker): string {
  const gcp = w.stack.gcpEndpoint ?? 'real GCP';
  return `worker polling task queue "${w.taskQueue}" on ${w.stack.temporal.address} (namespace ${w.stack.temporal.namespace}, ${w.stack.temporal.source}); GCP: ${gcp}`;
}

async function main(): Promise<void> {
  const worker = await createAgentsPlaneWorker();
  process.stderr.write(`${describeWorker(worker)}\n`);
  await worker.run();
  // One line a benchmark (or an operator) can read: how often the quotas made calls wait.
  process.stderr.write(`gcp rate limiter: ${JSON.stringify(worker.rateLimiterStats() ?? null)}\n`);
  process.stderr.write('worker stopped\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof InvalidInputError ? 2 : 1;
  });
}
