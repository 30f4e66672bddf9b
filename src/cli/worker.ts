/** `agents-plane worker`: runs a worker in the foreground until SIGTERM/SIGINT. */
import type { Command } from 'commander';
import type { AgentsPlaneWorkerOptions } from '../worker.js';
import { parseWholeNumber } from '../worker-tuning.js';
import { runCommand } from './command.js';

interface WorkerFlags {
  taskQueue?: string;
  maxConcurrentActivities?: string;
  maxConcurrentWorkflowTasks?: string;
  maxCachedWorkflows?: string;
  shutdownGraceMs?: string;
  stickyQueueTimeoutMs?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker (workflows + activities) on the resolved Temporal until SIGTERM/SIGINT')
    .option('--task-queue <name>', 'task queue to poll (env AGENTS_PLANE_TASK_QUEUE, default agents-plane)')
    .option('--max-concurrent-activities <n>', 'activity slots (env AGENTS_PLANE_WORKER_MAX_CONCURRENT_ACTIVITIES)')
    .option('--max-concurrent-workflow-tasks <n>', 'workflow task slots, ≥ 2 (env AGENTS_PLANE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS)')
    .option('--max-cached-workflows <n>', 'workflows kept in memory, 0 disables the cache (env AGENTS_PLANE_WORKER_MAX_CACHED_WORKFLOWS)')
    .option('--shutdown-grace-ms <ms>', 'time in-flight activities get after SIGTERM, default 10000 (env AGENTS_PLANE_WORKER_SHUTDOWN_GRACE_MS)')
    .option('--sticky-queue-timeout-ms <ms>', 'how long a cached workflow waits for this worker before any may take it, default 10000 (env AGENTS_PLANE_WORKER_STICKY_QUEUE_TIMEOUT_MS)')
    .action(
      runCommand<WorkerFlags, { taskQueue: string; stopped: true }>(async (flags, out) => {
        const options: AgentsPlaneWorkerOptions = {
          ...(flags.taskQueue !== undefined ? { taskQueue: flags.taskQueue } : {}),
          ...optionalNumber('maxConcurrentActivityTaskExecutions', '--max-concurrent-activities', flags.maxConcurrentActivities, 1),
          ...optionalNumber('maxConcurrentWorkflowTaskExecutions', '--max-concurrent-workflow-tasks', flags.maxConcurrentWorkflowTasks, 2),
          ...optionalNumber('maxCachedWorkflows', '--max-cached-workflows', flags.maxCachedWorkflows, 0),
          ...optionalNumber('shutdownGraceTimeMs', '--shutdown-grace-ms', flags.shutdownGraceMs, 0),
          ...optionalNumber('stickyQueueTimeoutMs', '--sticky-queue-timeout-ms', flags.stickyQueueTimeoutMs, 1),
        };
        // Loaded on use: the worker pulls in every Google client, which other commands should not pay for.
        const { createAgentsPlaneWorker, describeWorker } = await import('../worker.js');
        const worker = await createAgentsPlaneWorker(options);
        // On stderr even under --json: it is the log line of a long-running process, not its result.
        process.stderr.write(`${describeWorker(worker)}\n`);
        await worker.run();
        out.info('worker stopped');
        return { data: { taskQueue: worker.taskQueue, stopped: true as const }, human: () => 'worker stopped' };
      }),
    );
}

function optionalNumber<K extends string>(key: K, flag: string, text: string | undefined, min: number): Partial<Record<K, number>> {
  return text === undefined ? {} : ({ [key]: parseWholeNumber(flag, text, min) } as Partial<Record<K, number>>);
}
