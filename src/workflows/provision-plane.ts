/**
 * provisionPlane — the plane's shared infrastructure (design §4, per plane):
 *   1. custom-mode VPC                                     undo: delete
 *   2. agent subnet with Private Google Access             undo: delete
 *   3. firewall: deny agent↔agent both ways, SSH from IAP  undo: delete
 *   4. Cloud Router with Cloud NAT (egress only)           undo: delete
 *   5. snapshot schedule for agent disks                   undo: delete
 */
import type { PlaneSpec } from '../domain/specs.js';
import { api } from './activity-policies.js';
import { planeSteps } from './gcp-steps.js';
import { ProgressTracker } from './progress.js';
import { runSaga, runTeardown, type SagaStep } from './saga.js';

export async function provisionPlane(plane: PlaneSpec): Promise<void> {
  const steps = planeSteps(plane);
  await runSaga(steps, new ProgressTracker('provision-plane', steps.map((s) => s.name)));
}

/** deprovisionPlane — the same steps undone newest first, then proof that nothing is left. */
export async function deprovisionPlane(plane: PlaneSpec): Promise<void> {
  const verify: SagaStep = { name: 'verify-nothing-left', run: async () => undefined, undo: () => api.verifyPlaneRemoved(plane) };
  const steps = [verify, ...planeSteps(plane)];
  await runTeardown(steps, new ProgressTracker('deprovision-plane', [...steps].reverse().map((s) => s.name)));
}
