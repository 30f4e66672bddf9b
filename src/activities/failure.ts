/**
 * How activities fail. A permanent cloud error (quota, permission, invalid request) becomes a
 * non-retryable ApplicationFailure typed with its kind, so the workflow compensates at once; a transient
 * one is retried by Temporal with backoff. Messages come from GcpError, which never carries raw bodies.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { GcpError, normalizeGcpError } from '../gcp/errors.js';

export function toActivityFailure(error: unknown): Error {
  if (error instanceof ApplicationFailure) return error;
  const e = error instanceof GcpError ? error : normalizeGcpError(error);
  return e.retryable
    ? ApplicationFailure.retryable(e.message, e.kind)
    : ApplicationFailure.nonRetryable(e.message, e.kind);
}

/** A resource with our name exists but is not ours: never adopt or delete it. */
export function ownershipConflict(what: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${what} exists but is not managed by this plane (labels or description do not match); rename the agent or remove it by hand`,
    'OWNERSHIP_CONFLICT',
  );
}

/** State an activity keeps across its attempts, carried in heartbeat details. */
const saved = new WeakMap<Context, unknown>();

export function attemptState<S>(): Partial<S> {
  const ctx = Context.current();
  const state = saved.has(ctx) ? saved.get(ctx) : ctx.info.heartbeatDetails;
  return (state ?? {}) as Partial<S>;
}

export function saveAttemptState<S>(state: S): void {
  const ctx = Context.current();
  saved.set(ctx, state);
  ctx.heartbeat(state);
}

/** How often a running activity tells Temporal it is alive (the proxies' heartbeat timeout is 15 s). */
const HEARTBEAT_EVERY_MS = 3000;

/**
 * Wraps an activity body: every error leaves it in the typed shape above, and the activity heartbeats
 * while it runs, so a worker killed mid-call is detected in seconds rather than at the start-to-close
 * timeout. (The SDK throttles heartbeats, so this costs little.)
 */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  if (!saved.has(ctx)) saved.set(ctx, ctx.info.heartbeatDetails);
  // Every heartbeat carries the saved state: a bare heartbeat would erase it for the next attempt.
  const ticker = setInterval(() => ctx.heartbeat(saved.get(ctx)), HEARTBEAT_EVERY_MS);
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(ticker);
  }
}
