/**
 * Operations on a running agent, each started by the plane entity (id
 * `agent/<plane>/<agent>/<operation>/<n>`) and reporting its end back to it:
 *   pauseAgent          1. stop the VM (already TERMINATED is done)
 *   resumeAgent         1. start the VM (already RUNNING is done)  2. healthy heartbeat on its version
 *   restartAgent        1. reset the VM (a stopped one is started)  2. healthy heartbeat on its version
 *   rotateAgentSecrets  1. new versions of the generated secrets (made and written inside the activity)
 *                       2. reset the VM: the guest reads the latest versions at boot
 *                       3. healthy heartbeat on its version   4. disable the older versions
 * A heartbeat counts only when it is newer than the VM's start or reset, so a value published before
 * the restart cannot pass for recovery. Nothing here is undone on failure: each step is safe to repeat,
 * and the plane marks a failed agent Unhealthy for an admin (or a later healthy heartbeat) to clear.
 */
import type { AgentTarget } from '../domain/targets.js';
import { boot, compute, api } from './activity-policies.js';
import type { RotationResult, RotatedSecret } from './agent-operation-messages.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { runSaga } from './saga.js';

export interface AgentOperationInput extends AgentTarget {
  /** How long the agent may take to report healthy after its VM starts or resets. */
  readonly healthTimeoutMs: number;
  /** Why it runs (e.g. `automatic: last heartbeat 95s ago`), for the Web UI and logs. */
  readonly reason?: string;
}

export async function pauseAgent(input: AgentOperationInput): Promise<void> {
  const progress = new ProgressTracker('pause-agent', ['stop-vm']);
  await reportToPlane(input, 'pause', () => runSaga([{ name: 'stop-vm', run: () => compute.stopAgentInstance(input) }], progress));
}

/** A VM that just started or reset (at `since`, epoch ms) must report healthy on its version in time. */
const healthy = (input: AgentOperationInput, since: () => number) => ({
  name: 'healthy-heartbeat',
  run: () => boot.waitForHealthyHeartbeat(input, input.agent.agentVersion, since(), since() + input.healthTimeoutMs),
});

export async function resumeAgent(input: AgentOperationInput): Promise<void> {
  const progress = new ProgressTracker('resume-agent', ['start-vm', 'healthy-heartbeat']);
  let since = 0;
  await reportToPlane(input, 'resume', () =>
    runSaga([{ name: 'start-vm', run: async () => (since = await compute.startAgentInstance(input)) }, healthy(input, () => since)], progress),
  );
}

export async function restartAgent(input: AgentOperationInput): Promise<void> {
  const progress = new ProgressTracker('restart-agent', ['reset-vm', 'healthy-heartbeat']);
  let since = 0;
  await reportToPlane(input, 'restart', () =>
    runSaga([{ name: 'reset-vm', run: async () => (since = await compute.resetAgentInstance(input)) }, healthy(input, () => since)], progress),
  );
}

export async function rotateAgentSecrets(input: AgentOperationInput): Promise<RotationResult> {
  const progress = new ProgressTracker('rotate-secrets', ['new-secret-versions', 'reset-vm', 'healthy-heartbeat', 'disable-old-versions']);
  // Fixed before the first attempt: a retry adopts a version made after it instead of adding another.
  const startedAt = Date.now();
  let since = 0;
  let added: readonly RotatedSecret[] = [];
  const disabled = new Map<string, readonly number[]>();
  await reportToPlane(input, 'rotate-secrets', () =>
    runSaga(
      [
        { name: 'new-secret-versions', run: async () => (added = await api.addGeneratedSecretVersions(input, startedAt)) },
        { name: 'reset-vm', run: async () => (since = await compute.resetAgentInstance(input)) },
        healthy(input, () => since),
        {
          name: 'disable-old-versions',
          run: async () => {
            for (const s of added) disabled.set(s.key, await api.disableSecretVersionsBefore(input, s.key, s.version));
          },
        },
      ],
      progress,
    ),
  );
  return { secrets: added.map((s) => ({ ...s, disabled: disabled.get(s.key) ?? [] })) };
}
