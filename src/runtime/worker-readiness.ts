/** When a worker process is really serving: Temporal lists it among the task queue's pollers. */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { isRunning, logTail, type ProcessRecord } from './processes.js';

const WORKFLOW_TASK_QUEUE = 1; // enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW

export interface PollerWait {
  readonly connectionOptions: ConnectionOptions;
  readonly namespace: string;
  readonly taskQueue: string;
  /** The worker's process; its identity is the SDK default `<pid>@<host>`. */
  readonly worker: Pick<ProcessRecord, 'pid' | 'argv' | 'logFile'>;
  readonly timeoutMs: number;
}

export async function waitForWorkerPolling(wait: PollerWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  const connection = await Connection.connect(wait.connectionOptions);
  try {
    while (Date.now() < deadline) {
      if (!isRunning(wait.worker)) {
        throw new Error(`the worker (pid ${wait.worker.pid}) exited during start-up\n--- ${wait.worker.logFile} ---\n${logTail(wait.worker.logFile)}`);
      }
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: wait.namespace,
        taskQueue: { name: wait.taskQueue },
        taskQueueType: WORKFLOW_TASK_QUEUE,
      });
      if ((pollers ?? []).some((p) => p.identity?.startsWith(`${wait.worker.pid}@`))) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the worker (pid ${wait.worker.pid}) was not polling "${wait.taskQueue}" after ${wait.timeoutMs} ms\n--- ${wait.worker.logFile} ---\n${logTail(wait.worker.logFile)}`);
  } finally {
    await connection.close();
  }
}
