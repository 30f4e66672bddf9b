/**
 * deprovisionAgent — design §4 in reverse: revoke the owner's tunnel and login, delete the VM and its
 * disk, revoke the account grant, delete the secrets, delete the service account; then read every name
 * back to prove nothing is left. Safe to re-run: every undo treats not-found as done.
 */
import type { AgentTarget } from '../domain/targets.js';
import { api } from './activity-policies.js';
import { agentSteps } from './gcp-steps.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { runTeardown, type SagaStep } from './saga.js';

export async function deprovisionAgent(input: AgentTarget): Promise<void> {
  const undoable = agentSteps(input, { bootDeadline: 0 }).filter((s) => s.undo);
  const verify: SagaStep = { name: 'verify-nothing-left', run: async () => undefined, undo: () => api.verifyAgentRemoved(input) };
  // runTeardown walks undos newest first, so the verification (listed first) runs last.
  const steps = [verify, ...undoable];
  const progress = new ProgressTracker('deprovision-agent', [...steps].reverse().map((s) => s.name));
  await reportToPlane(input, 'deprovision', () => runTeardown(steps, progress));
}
