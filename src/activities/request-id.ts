/**
 * Compute's requestId makes a retried insert or delete a no-op on the server. It must be a UUID and must
 * be the same on every attempt, so it is derived from the workflow id, the run's step and the resource,
 * never drawn at random inside the activity.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { attemptState, saveAttemptState } from './failure.js';

interface RequestState {
  /** Bumped when an operation under the current id failed: GCP replays a failed operation for its id. */
  requestGeneration: number;
}

export function requestIdFor(step: string, resource: string): string {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? info.activityId;
  const generation = attemptState<RequestState>().requestGeneration ?? 0;
  const h = createHash('sha256').update(`${workflowId}\n${step}\n${resource}\n${generation}`).digest('hex');
  // Shape it as an RFC 4122 version-5-style UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * After an operation failed, the next attempt must ask again under a new id: the same id would get
 * the failed operation back. Saved in the activity's heartbeat details, so it survives the retry.
 */
export function retireRequestIds(): void {
  const state = attemptState<RequestState>();
  saveAttemptState<RequestState>({ ...state, requestGeneration: (state.requestGeneration ?? 0) + 1 });
}
