/**
 * Activity proxies grouped by timeout policy. Every activity heartbeats (see activities/failure.ts), so
 * a worker that dies is noticed within the heartbeat timeout and the activity resumes on another worker.
 * Transient errors retry with backoff; permanent ones are non-retryable failures and never retry.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' } as const;

/** Single API calls and short read-modify-write cycles. */
export const api = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '15s',
  scheduleToCloseTimeout: '30m',
  retry,
});

/** Compute mutations that wait for their operation (instance create/delete take up to minutes). */
export const compute = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '15s',
  scheduleToCloseTimeout: '60m',
  retry,
});

/** Waiting for a booting agent: bounded by the deadline the workflow passes in. */
export const boot = proxyActivities<Activities>({
  startToCloseTimeout: '60m',
  heartbeatTimeout: '15s',
  retry,
});

/** The health watch's periodic read: a check that cannot finish soon is skipped, the next one comes. */
export const watch = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '15s',
  scheduleToCloseTimeout: '10m',
  retry: { ...retry, maximumAttempts: 3 },
});
