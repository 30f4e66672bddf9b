/**
 * restoreAgent — an agent reprovisioned on a boot disk made from one of its snapshots (id
 * `agent/<plane>/<agent>/restore/<stamp>`, started by the plane entity, which shows the agent as
 * Restoring meanwhile). Same service account, same secrets (fetched again at boot), same instance shape:
 *   1. check-snapshot: it exists, is READY and is this agent's
 *   2. safety-snapshot: a snapshot of the current boot disk (kept afterwards)
 *   3. delete-instance: the VM and its boot disk             undo: the VM again from the safety
 *                                                             snapshot, owner grants, healthy heartbeat
 *   4. instance-from-snapshot: the VM on the snapshot's disk  undo: delete it
 *   5. owner-os-login, 6. owner-iap-tunnel: the owner's grants on the new instance
 *   7. healthy-heartbeat: the restored agent reports healthy on its version
 * A failure after step 2 undoes newest first, so the agent is never left without a VM: it runs again on
 * its previous disk (RESTORE_ROLLED_BACK: the entity keeps it Ready) unless that fails too
 * (RESTORE_FAILED: the entity marks it Failed; the safety snapshot is still there, and restoring it is
 * allowed: with no disk, step 2 keeps nothing and there is nothing to fall back to).
 */
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { api, boot, compute } from './activity-policies.js';
import { RESTORE_FAILED, RESTORE_ROLLED_BACK } from './backup-messages.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { describeFailure, runSaga, type SagaStep } from './saga.js';

export interface RestoreAgentInput extends AgentTarget {
  readonly snapshot: string;
  /** The restore's stamp (names the safety snapshot). */
  readonly stamp: string;
  readonly bootTimeoutMs: number;
}

export interface RestoreAgentResult {
  readonly snapshot: string;
  /** Null when the agent had no disk to keep (restoring an agent a failed restore left without a VM). */
  readonly safetySnapshot: string | null;
  readonly bootDisk: string;
}

/** The safety snapshot, once taken (null: the agent had no disk, so there is nothing to fall back to). */
interface Safety {
  snapshot: string | null;
}

function restoreSteps(input: RestoreAgentInput, safety: Safety): SagaStep[] {
  const t: AgentTarget = { plane: input.plane, agent: input.agent };
  const deadline = () => Date.now() + input.bootTimeoutMs;
  /** The VM on `snapshot`'s disk, with the owner's grants, healthy. */
  const bootFrom = async (snapshot: string) => {
    await compute.ensureAgentInstanceFromSnapshot(t, snapshot);
    await api.grantOwnerInstanceLogin(t);
    await api.grantOwnerTunnelAccess(t);
    await boot.waitForFirstHeartbeat(t, deadline());
  };
  return [
    { name: 'check-snapshot', run: () => api.checkRestoreSnapshot(t, input.snapshot) },
    {
      name: 'safety-snapshot',
      run: async () => {
        safety.snapshot = await compute.snapshotBeforeRestore(t, input.stamp);
      },
    },
    {
      name: 'delete-instance',
      run: () => compute.deleteAgentInstance(t),
      undo: async () => {
        if (safety.snapshot) await bootFrom(safety.snapshot);
      },
    },
    { name: 'instance-from-snapshot', run: () => compute.ensureAgentInstanceFromSnapshot(t, input.snapshot), undo: () => compute.deleteAgentInstance(t) },
    { name: 'owner-os-login', run: () => api.grantOwnerInstanceLogin(t) },
    { name: 'owner-iap-tunnel', run: () => api.grantOwnerTunnelAccess(t) },
    { name: 'healthy-heartbeat', run: () => boot.waitForFirstHeartbeat(t, deadline()) },
  ];
}

export const RESTORE_STEP_NAMES = restoreSteps({ snapshot: '', stamp: '' } as RestoreAgentInput, { snapshot: null }).map((s) => s.name);

export async function restoreAgent(input: RestoreAgentInput): Promise<RestoreAgentResult> {
  const progress = new ProgressTracker('restore-agent', RESTORE_STEP_NAMES);
  const bootDisk = agentResourceNames(input.plane.project, input.plane.name, input.agent.name).bootDisk;
  const safety: Safety = { snapshot: null };
  await reportToPlane(input, 'restore', async () => {
    try {
      await runSaga(restoreSteps(input, safety), progress);
    } catch (error) {
      // The undos have run (and may have failed): whether the agent runs again decides what it is now.
      const health = await CancellationScope.nonCancellable(() => api.readAgentHealth(input));
      const running = health.status === 'RUNNING' && health.health === 'ok';
      const failure = describeFailure(error);
      throw ApplicationFailure.nonRetryable(
        running
          ? `restore of ${input.agent.name} from ${input.snapshot} failed (${failure.type}: ${failure.message}); the agent runs on its previous disk again`
          : `restore of ${input.agent.name} from ${input.snapshot} failed (${failure.type}: ${failure.message}) and the agent is not running; ${safety.snapshot ? `its previous disk is in snapshot ${safety.snapshot}` : 'it had no disk before'}`,
        running ? RESTORE_ROLLED_BACK : RESTORE_FAILED,
      );
    }
  });
  return { snapshot: input.snapshot, safetySnapshot: safety.snapshot, bootDisk };
}
