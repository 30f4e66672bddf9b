/**
 * A plane's backup schedule: one Temporal Schedule per plane (`backup/<plane>`) whose action starts
 * backupPlane on this deployment's task queue with the retention to apply. Setting it again updates it
 * in place; removing an absent one is done. The cron expression is kept in the action's memo, since
 * Temporal describes a schedule's times as calendars rather than the cron it was given.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { BackupRequest } from '../../domain/backups.js';
import type { PlaneName } from '../../domain/names.js';
import { backupScheduleId, scheduledBackupWorkflowId } from '../../domain/workflow-ids.js';
import { OPERATION, PLANE_NAME } from '../../temporal/search-attributes.js';
import { taskQueueFromEnv } from '../../temporal/task-queue.js';
import type { backupPlane } from '../../workflows/backup-plane.js';

const CRON_MEMO = 'backupCron';

export interface BackupScheduleView {
  readonly scheduleId: string;
  readonly cron: string;
  readonly keep: number | null;
  readonly agent: string | null;
  readonly taskQueue: string;
  readonly paused: boolean;
  readonly nextRuns: readonly string[];
  readonly recentRuns: readonly { readonly workflowId: string; readonly scheduledAt: string }[];
}

function action(request: BackupRequest, cron: string): ScheduleOptionsStartWorkflowAction<typeof backupPlane> {
  return {
    type: 'startWorkflow',
    workflowType: 'backupPlane',
    workflowId: scheduledBackupWorkflowId(request.plane),
    taskQueue: taskQueueFromEnv(),
    args: [request],
    memo: { [CRON_MEMO]: cron },
    typedSearchAttributes: [
      { key: PLANE_NAME, value: request.plane },
      { key: OPERATION, value: 'backup-plane' },
    ],
  };
}

/** Creates the plane's schedule, or updates it when it exists. Answers whether it was created. */
export async function setBackupSchedule(client: Client, request: BackupRequest, cron: string): Promise<boolean> {
  const scheduleId = backupScheduleId(request.plane);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { cronExpressions: [cron] },
      action: action(request, cron),
      // A run still going when the next is due: the next is skipped, never stacked.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      typedSearchAttributes: [{ key: PLANE_NAME, value: request.plane }],
    });
    return true;
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec: { cronExpressions: [cron] },
    action: action(request, cron),
  }));
  return false;
}

/** Deletes the plane's schedule; answers false when there was none. */
export async function deleteBackupSchedule(client: Client, plane: PlaneName): Promise<boolean> {
  try {
    await client.schedule.getHandle(backupScheduleId(plane)).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

export async function describeBackupSchedule(client: Client, plane: PlaneName): Promise<BackupScheduleView | null> {
  const scheduleId = backupScheduleId(plane);
  let d;
  try {
    d = await client.schedule.getHandle(scheduleId).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
  if (d.action.type !== 'startWorkflow') return null;
  const [request] = (d.action.args ?? []) as [BackupRequest | undefined];
  return {
    scheduleId,
    cron: String(d.action.memo?.[CRON_MEMO] ?? ''),
    keep: request?.keep ?? null,
    agent: request?.agent ?? null,
    taskQueue: d.action.taskQueue,
    paused: d.state.paused,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      workflowId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : '',
      scheduledAt: a.scheduledAt.toISOString(),
    })),
  };
}
