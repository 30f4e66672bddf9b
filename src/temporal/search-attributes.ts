/**
 * Search attributes every workflow carries, so the Web UI and `temporal workflow list` filter by plane,
 * agent, owner and operation, and show the current step. The dev server registers them at start; a
 * self-hosted or Cloud namespace needs them registered once (README).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PLANE_NAME = defineSearchAttributeKey('PlaneName', SearchAttributeType.KEYWORD);
export const AGENT_NAME = defineSearchAttributeKey('AgentName', SearchAttributeType.KEYWORD);
export const AGENT_OWNER = defineSearchAttributeKey('AgentOwner', SearchAttributeType.KEYWORD);
export const OPERATION = defineSearchAttributeKey('Operation', SearchAttributeType.KEYWORD);
export const OPERATION_STEP = defineSearchAttributeKey('OperationStep', SearchAttributeType.KEYWORD);

/** What a workflow about one agent carries: its plane, the agent, its owner, and the operation. */
export function agentSearchAttributes(plane: string, agent: { readonly name: string; readonly owner: string }, operation: string) {
  return [
    { key: PLANE_NAME, value: plane },
    { key: AGENT_NAME, value: agent.name },
    { key: AGENT_OWNER, value: agent.owner },
    { key: OPERATION, value: operation },
  ];
}

/** Name → type, as `temporal server start-dev --search-attribute Name=Type` wants them. */
export const SEARCH_ATTRIBUTES = [PLANE_NAME, AGENT_NAME, AGENT_OWNER, OPERATION, OPERATION_STEP] as const;

export const TASK_QUEUE = 'agents-plane';
