/**
 * Messages of the runtime profile (runtime-profile.ts) between the CLI, the plane entity and its health
 * watch: the `updateAgent` Update (`planes update-agent`: a new profile for a running agent, applied in
 * place) and the `budgetAlert` Signal the health watch sends when an agent's reported spend reaches a
 * threshold of its cap. Names and profiles only, never a secret.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BudgetThreshold } from '../domain/budget.js';
import type { AgentRuntimeProfile, RawRuntimeProfile, ReportedSpend } from '../domain/runtime-profile.js';

export interface UpdateAgentRequest {
  readonly agent: string;
  /** The fields to change (flags as given); the rest stays as the agent has it. */
  readonly runtime: RawRuntimeProfile;
}

export interface UpdateAgentResult {
  readonly operationId: string;
  readonly profile: AgentRuntimeProfile;
  /** What the guest reports once it has applied the profile. */
  readonly digest: string;
  /** True when the agent already had exactly this profile (nothing started). */
  readonly unchanged: boolean;
}

export const updateAgentUpdate = defineUpdate<UpdateAgentResult, [UpdateAgentRequest]>('updateAgent');

export interface BudgetAlertMessage {
  readonly agent: string;
  readonly spend: ReportedSpend;
  readonly thresholds: readonly BudgetThreshold[];
}

export const budgetAlertSignal = defineSignal<[BudgetAlertMessage]>('budgetAlert');
