/**
 * Finding a plane's entity workflow and turning its failures into CLI errors: a missing plane is bad
 * input (exit 2), an Update a validator rejected as INVALID_INPUT is bad input naming its field, any
 * other rejection is a failed operation (exit 1).
 */
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidInputError } from '../../domain/invalid-input.js';
import type { PlaneName } from '../../domain/names.js';
import { planeWorkflowId } from '../../domain/workflow-ids.js';
import { planeStatusQuery, type PlaneStatus } from '../../workflows/plane-messages.js';
import type { plane } from '../../workflows/plane.js';
import { OperationFailedError } from '../command.js';

export type PlaneHandle = WorkflowHandle<typeof plane>;

/** The running entity of `name`, or exit 2 when there is no such plane. */
export async function runningPlane(client: Client, name: PlaneName, field = '--plane'): Promise<{ handle: PlaneHandle; status: PlaneStatus }> {
  const handle = client.workflow.getHandle<typeof plane>(planeWorkflowId(name));
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') throw new InvalidInputError(field, `no plane named ${name} (see \`agents-plane planes list\`)`);
    return { handle, status: await handle.query(planeStatusQuery) };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new InvalidInputError(field, `no plane named ${name} (see \`agents-plane planes list\`)`);
    throw error;
  }
}

/** Maps an Update's failure (validator rejection or handler error) to the CLI's error types. */
export function updateError(error: unknown): Error {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const failure = error.cause;
    if (failure.type === 'INVALID_INPUT') {
      const [details] = failure.details ?? [];
      const { field, rule } = (details ?? {}) as { field?: string; rule?: string };
      if (field && rule) return new InvalidInputError(field, rule);
    }
    return new OperationFailedError(failure.message, failure.type ?? 'FAILED');
  }
  return error instanceof Error ? error : new Error(String(error));
}
