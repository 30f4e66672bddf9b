/**
 * upgradeWindow — what an upgrade window's schedule (`upgrade-window/<plane>`) runs at each firing: it asks
 * the plane entity to start the upgrade and ends. The entity decides (it owns the upgrade counter and
 * refuses a second upgrade while one runs) and records the outcome (`lastScheduledUpgrade` Query); the
 * upgrade itself is the entity's child like any other, followed with `planes status` or `upgrade-control`.
 */
import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { planeWorkflowId } from '../domain/workflow-ids.js';
import { requestScheduledUpgradeSignal, type UpgradeWindowInput } from './upgrade-window-messages.js';

export async function upgradeWindow(input: UpgradeWindowInput): Promise<{ readonly plane: string; readonly requested: unknown }> {
  // A plane that no longer runs fails this run (ExternalWorkflowExecutionNotFound): the window outlived it.
  await getExternalWorkflowHandle(planeWorkflowId(input.plane)).signal(requestScheduledUpgradeSignal, {
    request: input.request,
    requestedBy: workflowInfo().workflowId,
  });
  return { plane: input.plane, requested: input.request.toVersion };
}
