/**
 * Live progress of an operation workflow in the terminal: `[4/7] instance` lines from its progress
 * Query, plus the pending activity's retry state from describe (attempt n, last error kind), so a person
 * sees that a rate limit is being waited out rather than a hang.
 */
import type { Client } from '@temporalio/client';
import { progressQuery, type OperationProgress } from '../../workflows/progress.js';
import type { Output } from '../command.js';

export async function readProgress(client: Client, workflowId: string): Promise<OperationProgress | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).query(progressQuery);
  } catch {
    // Not started yet, or its first workflow task has not run.
    return undefined;
  }
}

async function retryNote(client: Client, workflowId: string): Promise<string> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    const pending = d.raw.pendingActivities?.[0];
    if (!pending || (pending.attempt ?? 1) <= 1) return '';
    const reason = pending.lastFailure?.applicationFailureInfo?.type ?? pending.lastFailure?.message ?? '';
    return ` (attempt ${pending.attempt}${reason ? `, last: ${reason}` : ''})`;
  } catch {
    return '';
  }
}

export function formatProgress(p: OperationProgress): string {
  if (p.state === 'compensating') return `[${p.step}/${p.totalSteps}] ${p.stepName} failed: undoing ${p.undoing ?? ''}`.trimEnd();
  return `[${p.step}/${p.totalSteps}] ${p.stepName || 'starting'}`;
}

/** Renders the progress of `workflowId` whenever it changes, until `done()` says stop. */
export class ProgressView {
  private last = '';
  constructor(
    private readonly client: Client,
    private readonly out: Output,
    private readonly label: string,
  ) {}

  async show(workflowId: string | undefined): Promise<void> {
    if (!workflowId || this.out.json) return;
    const p = await readProgress(this.client, workflowId);
    if (!p) return;
    const line = `${this.label} ${formatProgress(p)}${p.state === 'running' ? await retryNote(this.client, workflowId) : ''}`;
    if (line !== this.last) {
      this.out.progress(line);
      this.last = line;
    }
  }
}

export { setTimeout as sleep } from 'node:timers/promises';
