/**
 * Workflow ids are the idempotency keys of whole operations: a repeated command finds the running
 * workflow (a join) instead of starting a second one.
 */
import type { AgentName, PlaneName } from './names.js';

export const planeWorkflowId = (plane: PlaneName) => `plane/${plane}`;
export const planeProvisionWorkflowId = (plane: PlaneName) => `plane/${plane}/provision`;
export const planeDeprovisionWorkflowId = (plane: PlaneName) => `plane/${plane}/deprovision`;
export const agentProvisionWorkflowId = (plane: PlaneName, agent: AgentName) => `agent/${plane}/${agent}/provision`;
export const agentDeprovisionWorkflowId = (plane: PlaneName, agent: AgentName) => `agent/${plane}/${agent}/deprovision`;
export const upgradeWorkflowId = (plane: PlaneName, n: number) => `upgrade/${plane}/${n}`;
/** Drift checks are read-only: concurrent ones join, a later one reuses the id. */
export const driftInspectionWorkflowId = (plane: PlaneName) => `drift/${plane}`;
export const reconcileWorkflowId = (plane: PlaneName, n: number) => `reconcile/${plane}/${n}`;
/** The Temporal Schedule of a plane's upgrade window (a schedule id, not a workflow id; its runs get a time suffix). */
export const upgradeWindowScheduleId = (plane: PlaneName) => `upgrade-window/${plane}`;
/** The Temporal Schedule of a plane's backups, and the workflow ids of its runs (the schedule appends the time). */
export const backupScheduleId = (plane: PlaneName) => `backup/${plane}`;
export const scheduledBackupWorkflowId = (plane: PlaneName) => `backup/${plane}/scheduled`;
/** An on-demand backup: a repeated command while it runs joins it. */
export const onDemandBackupWorkflowId = (plane: PlaneName, agent?: AgentName) => `backup/${plane}/on-demand${agent ? `/${agent}` : ''}`;
/** One restore of an agent, by its stamp (which also names the safety snapshot). */
export const agentRestoreWorkflowId = (plane: PlaneName, agent: AgentName, stamp: string) => `agent/${plane}/${agent}/restore/${stamp}`;
/** An operation on a running agent (pause, resume, restart, rotate-secrets); `n` counts the agent's operations. */
export const agentOperationWorkflowId = (plane: PlaneName, agent: AgentName, operation: string, n: number) =>
  `agent/${plane}/${agent}/${operation}/${n}`;
export const healthWatchWorkflowId = (plane: PlaneName) => `health/${plane}`;
