/**
 * provisionAgent — the runbook of design §4 for one agent:
 *   1. service account (and wait until IAM shows it)   undo: delete it
 *   2. secrets, their grants, the generated token        undo: delete them
 *   3. owner may act as the account (OS Login)           undo: revoke
 *   4. the VM                                            undo: delete it and its disk
 *   5. owner's OS Login on the instance                  undo: revoke
 *   6. owner's IAP tunnel to port 22                     undo: revoke
 *   7. first healthy heartbeat: only then is it Ready
 * Any failure or cancellation undoes what was done, newest first. The parent plane is told the outcome.
 */
import type { AgentTarget } from '../domain/targets.js';
import { agentSteps, AGENT_STEP_NAMES } from './gcp-steps.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { runSaga } from './saga.js';

export interface ProvisionAgentInput extends AgentTarget {
  /** How long the agent may take to boot and report healthy. */
  readonly bootTimeoutMs: number;
}

export async function provisionAgent(input: ProvisionAgentInput): Promise<void> {
  const progress = new ProgressTracker('provision-agent', AGENT_STEP_NAMES);
  const bootDeadline = Date.now() + input.bootTimeoutMs;
  await reportToPlane(input, 'provision', () => runSaga(agentSteps(input, { bootDeadline }), progress));
}
