/**
 * `planes status --drift`: what differs between each plane (and its Ready or Paused agents) and design
 * §4. The CLI holds no cloud client for it: it reads the roster from the plane's status Query and runs
 * the read-only inspectPlaneDrift workflow (id `drift/<plane>`; concurrent checks join). Exit 0 whether
 * or not there is drift (it is a report); 1 when the check itself failed.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { DriftItem } from '../../domain/drift.js';
import type { PlaneName } from '../../domain/names.js';
import { driftInspectionWorkflowId } from '../../domain/workflow-ids.js';
import { OPERATION, PLANE_NAME } from '../../temporal/search-attributes.js';
import { taskQueueFromEnv } from '../../temporal/task-queue.js';
import type { DriftReport } from '../../workflows/drift-messages.js';
import type { PlaneStatus } from '../../workflows/plane-messages.js';
import type { inspectPlaneDrift } from '../../workflows/inspect-plane-drift.js';
import { OperationFailedError, table } from '../command.js';
import { runningPlane } from './plane-handle.js';

export interface PlaneDriftView {
  readonly name: string;
  readonly phase: string;
  /** False when the plane is not Ready (being created or destroyed): nothing was checked. */
  readonly inspected: boolean;
  readonly inspectedAt: number | null;
  readonly agentsInspected: readonly string[];
  readonly agentsSkipped: DriftReport['agentsSkipped'];
  readonly drift: readonly DriftItem[];
}

/** The plane's status and, when it is Ready, its drift report. */
export async function inspectPlane(client: Client, name: PlaneName): Promise<{ status: PlaneStatus; report?: DriftReport }> {
  const { status } = await runningPlane(client, name);
  if (status.phase !== 'Ready') return { status };
  const handle = await client.workflow.start<typeof inspectPlaneDrift>('inspectPlaneDrift', {
    workflowId: driftInspectionWorkflowId(name),
    taskQueue: taskQueueFromEnv(),
    args: [{ plane: status.spec, agents: status.agents.map((e) => ({ spec: e.spec, state: e.state })) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowExecutionTimeout: '15m',
    typedSearchAttributes: [
      { key: PLANE_NAME, value: name },
      { key: OPERATION, value: 'inspect-drift' },
    ],
  });
  try {
    return { status, report: await handle.result() };
  } catch (error) {
    const cause = error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : error instanceof Error ? error.message : String(error);
    throw new OperationFailedError(`drift check of plane ${name} failed: ${cause}`, 'DRIFT_CHECK_FAILED');
  }
}

export async function planeDriftView(client: Client, name: PlaneName): Promise<PlaneDriftView> {
  const { status, report } = await inspectPlane(client, name);
  return {
    name,
    phase: status.phase,
    inspected: report !== undefined,
    inspectedAt: report?.inspectedAt ?? null,
    agentsInspected: report?.agentsInspected ?? [],
    agentsSkipped: report?.agentsSkipped ?? [],
    drift: report?.drift ?? [],
  };
}

export function renderDrift(items: readonly DriftItem[], plane: string): string {
  return table(
    ['PLANE', 'AGENT', 'RESOURCE', 'DRIFT', 'DETAIL', 'REPAIR'],
    items.map((d) => [plane, d.agent ?? '-', d.resource, d.kind, d.detail, d.repairable ? 'reconcile' : 'by hand']),
  );
}

export function renderDriftViews(views: readonly PlaneDriftView[]): string {
  if (views.length === 0) return 'no planes (create one with `agents-plane planes create`)';
  return views
    .map((v) => {
      if (!v.inspected) return `plane ${v.name}: ${v.phase}; drift is checked once it is Ready`;
      const skipped = v.agentsSkipped.length ? `; skipped ${v.agentsSkipped.map((s) => `${s.name} (${s.state})`).join(', ')}` : '';
      const head = `plane ${v.name}: ${v.drift.length === 0 ? 'no drift' : `${v.drift.length} drift item(s)`} (${v.agentsInspected.length} agent(s) checked${skipped})`;
      return v.drift.length === 0 ? head : `${head}\n${renderDrift(v.drift, v.name)}`;
    })
    .join('\n\n');
}
