/**
 * Follows an operation workflow to its close, however it closes, showing its progress meanwhile; answers
 * its result, or raises its failure as a failed operation (exit 1) with the failure's type.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { OperationFailedError, type Output } from '../command.js';
import { ProgressView, sleep } from './progress.js';

export async function followWorkflow<T>(client: Client, workflowId: string, out: Output, label: string): Promise<T> {
  const view = new ProgressView(client, out, label);
  let closed = false;
  const outcome = client.workflow
    .getHandle(workflowId)
    .result()
    .then(
      (result: T) => ({ result }),
      (error: unknown) => ({ error }),
    );
  void outcome.finally(() => (closed = true));
  while (!closed) {
    await view.show(workflowId);
    await Promise.race([sleep(500), outcome]);
  }
  const end = await outcome;
  if ('result' in end) return end.result;
  const cause = end.error instanceof WorkflowFailedError ? end.error.cause : undefined;
  if (cause instanceof ApplicationFailure) throw new OperationFailedError(cause.message, cause.type ?? 'FAILED');
  throw new OperationFailedError(`${workflowId} ended: ${end.error instanceof Error ? end.error.message : String(end.error)}`);
}
