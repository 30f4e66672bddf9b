/**
 * Messages of a resize (an agent's VM moved to another machine type): the plane entity's `resizeAgent`
 * Update (validated there, plane-agent-resize.ts) and the error types its workflow ends with, which
 * decide what the entity shows afterwards. Names and machine types only.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { AgentOperationsResult } from './agent-operation-messages.js';

export interface ResizeAgentRequest {
  readonly agent: string;
  /** The machine type the agent's VM moves to (a type of the plane's catalog). */
  readonly machineType: string;
  /** How long the agent may take to report healthy after its VM starts again (default: the plane's boot timeout). */
  readonly healthTimeoutMs?: number;
}

/** One agent per call: the result names it, with its operation (or `joined` when there was nothing to start). */
export const resizeAgentUpdate = defineUpdate<AgentOperationsResult, [ResizeAgentRequest]>('resizeAgent');

/** The resize failed, and its undos put the old machine type back and the agent runs healthy on it: Ready. */
export const RESIZE_ROLLED_BACK = 'RESIZE_ROLLED_BACK';
/** The resize failed and so did putting the agent back: Unhealthy, for an admin (restart-agent, resize again). */
export const RESIZE_FAILED = 'RESIZE_FAILED';
