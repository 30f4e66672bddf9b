/**
 * deprovisionAgent — design §4 in reverse: revoke the owner's tunnel and login, delete the VM and its
 * disk, revoke the account grant, delete the secrets, delete the service account, delete the snapshots
 * its upgrades and restores took (backups stay); then read every name back to prove nothing is left. Safe to re-run: every undo treats
 * not-found as done.
 */
import { patched } from '@temporalio/workflow';
import type { AgentTarget } from '../domain/targets.js';
import { api, compute } from './activity-policies.js';
import { agentSteps } from './gcp-steps.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { runTeardown, type SagaStep } from './saga.js';

/** Patch id of the snapshot deletion step (added after histories were recorded without it). */
const DELETE_AGENT_SNAPSHOTS = 'delete-agent-snapshots';

export async function deprovisionAgent(input: AgentTarget): Promise<void> {
  const undoable = agentSteps(input, { bootDeadline: 0 }).filter((s) => s.undo);
  const verify: SagaStep = { name: 'verify-nothing-left', run: async () => undefined, undo: () => api.verifyAgentRemoved(input) };
  // Pre-upgrade and restore-safety snapshots outlive the disk: without this they would be left, and
  // billed. Backups stay (activities/agent-snapshots.ts).
  const snapshots: SagaStep = { name: 'snapshots', run: async () => undefined, undo: () => compute.deleteAgentSnapshots(input) };
  // runTeardown walks undos newest first, so the verification (listed first) runs last. Runs started
  // before the snapshots step existed replay without it.
  const steps = patched(DELETE_AGENT_SNAPSHOTS) ? [verify, snapshots, ...undoable] : [verify, ...undoable];
  const progress = new ProgressTracker('deprovision-agent', [...steps].reverse().map((s) => s.name));
  await reportToPlane(input, 'deprovision', () => runTeardown(steps, progress));
}
