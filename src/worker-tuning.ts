/**
 * The worker's tuning knobs, from the environment (AGENTS_PLANE_WORKER_*) and `agents-plane worker`
 * flags. Kept apart from the worker itself so that parsing them loads no Temporal or Google code.
 */
import { InvalidInputError } from './domain/invalid-input.js';
import { taskQueueFromEnv } from './temporal/task-queue.js';

export interface WorkerTuning {
  readonly taskQueue: string;
  readonly maxConcurrentActivityTaskExecutions?: number;
  readonly maxConcurrentWorkflowTaskExecutions?: number;
  readonly maxCachedWorkflows?: number;
  /** How long in-flight activities may run on after a shutdown signal. */
  readonly shutdownGraceTimeMs: number;
  /**
   * How long a workflow task waits for the worker that has the workflow cached before any worker may
   * take it. The SDK's 10 s is also how long a crashed worker's workflows stall.
   */
  readonly stickyQueueTimeoutMs?: number;
}

/** Environment names of the tuning knobs (flags of `agents-plane worker` override them). */
export const WORKER_TUNING_ENV = {
  maxConcurrentActivityTaskExecutions: 'AGENTS_PLANE_WORKER_MAX_CONCURRENT_ACTIVITIES',
  maxConcurrentWorkflowTaskExecutions: 'AGENTS_PLANE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
  maxCachedWorkflows: 'AGENTS_PLANE_WORKER_MAX_CACHED_WORKFLOWS',
  shutdownGraceTimeMs: 'AGENTS_PLANE_WORKER_SHUTDOWN_GRACE_MS',
  stickyQueueTimeoutMs: 'AGENTS_PLANE_WORKER_STICKY_QUEUE_TIMEOUT_MS',
} as const;

/** A whole number ≥ min from a flag or variable, or InvalidInputError naming it. */
export function parseWholeNumber(field: string, text: string, min: number): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidInputError(field, `must be a whole number ≥ ${min}, got "${text}"`);
  }
  return value;
}

export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const read = (key: keyof typeof WORKER_TUNING_ENV, min: number): number | undefined => {
    const name = WORKER_TUNING_ENV[key];
    const text = env[name];
    return text === undefined || text.trim() === '' ? undefined : parseWholeNumber(name, text, min);
  };
  const tuning: WorkerTuning = {
    taskQueue: taskQueueFromEnv(env),
    maxConcurrentActivityTaskExecutions: read('maxConcurrentActivityTaskExecutions', 1),
    maxConcurrentWorkflowTaskExecutions: read('maxConcurrentWorkflowTaskExecutions', 2),
    maxCachedWorkflows: read('maxCachedWorkflows', 0),
    shutdownGraceTimeMs: read('shutdownGraceTimeMs', 0) ?? 10_000,
    stickyQueueTimeoutMs: read('stickyQueueTimeoutMs', 1),
  };
  return tuning;
}

