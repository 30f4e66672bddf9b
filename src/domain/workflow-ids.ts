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
/** An operation on a running agent (pause, resume, restart, rotate-secrets); `n` counts the agent's operations. */
export const agentOperationWorkflowId = (plane: PlaneName, agent: AgentName, operation: string, n: number) =>
  `agent/${plane}/${agent}/${operation}/${n}`;
export const healthWatchWorkflowId = (plane: PlaneName) => `health/${plane}`;
