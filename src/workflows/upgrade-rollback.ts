/**
 * Which rollback a touched agent gets when an upgrade halts, and the heavier of the two. The guest
 * publishes the format of OpenClaw's on-disk state (guest-contract.ts `stateFormat`); the upgrade reads
 * it just before snapshotting the agent, and again at rollback:
 * - unchanged (or never published): the new version did not migrate the state, so setting the previous
 *   version back in metadata is enough (in place, fast, nothing written since the upgrade is lost);
 * - changed: the new version migrated the state, which the previous version may not read. The agent is
 *   rebuilt from its pre-upgrade snapshot by a restoreAgent child (same service account, secrets and
 *   shape; a safety snapshot of the migrated disk is kept), then checked healthy on the previous version.
 */
import { executeChild, ParentClosePolicy } from '@temporalio/workflow';
import { snapshotStamp } from '../domain/backups.js';
import type { AgentTarget } from '../domain/targets.js';
import { agentRestoreWorkflowId } from '../domain/workflow-ids.js';
import { agentSearchAttributes } from '../temporal/search-attributes.js';
import { api } from './activity-policies.js';
import { restoreAgent } from './restore-agent.js';
import type { AgentRollback } from './upgrade-messages.js';

/** Compares the state format recorded before the upgrade with the one the guest publishes now. */
export async function chooseRollback(t: AgentTarget, before: string | null): Promise<AgentRollback> {
  if (before === null) return { kind: 'metadata', reason: 'the guest published no state format before the upgrade' };
  const now = await api.readAgentStateFormat(t);
  if (now === null) return { kind: 'metadata', reason: 'the guest publishes no state format now' };
  if (now === before) return { kind: 'metadata', reason: `state format unchanged (${before})` };
  return { kind: 'restore', reason: `state format changed (${before} -> ${now})` };
}

/**
 * Rebuilds the agent's VM from its pre-upgrade snapshot as a restoreAgent child (which reports to the
 * plane entity like any restore, and ends only once the agent runs healthy on `t.agent`'s version, the
 * previous one). Abandoned rather than terminated with the upgrade: a restore never leaves an agent
 * without a VM once it has started. Fails as the restore does (RESTORE_ROLLED_BACK, RESTORE_FAILED).
 */
export async function restorePreUpgradeSnapshot(
  t: AgentTarget,
  snapshot: string,
  bootTimeoutMs: number,
): Promise<{ readonly restoreWorkflowId: string; readonly safetySnapshot?: string }> {
  const stamp = snapshotStamp(Date.now());
  const restoreWorkflowId = agentRestoreWorkflowId(t.plane.name, t.agent.name, stamp);
  const result = await executeChild(restoreAgent, {
    workflowId: restoreWorkflowId,
    args: [{ plane: t.plane, agent: t.agent, snapshot, stamp, bootTimeoutMs }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: agentSearchAttributes(t.plane.name, t.agent, 'restore-agent'),
  });
  return { restoreWorkflowId, ...(result.safetySnapshot ? { safetySnapshot: result.safetySnapshot } : {}) };
}
