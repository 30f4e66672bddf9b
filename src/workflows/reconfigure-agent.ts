/**
 * reconfigureAgent (id `agent/<plane>/<agent>/reconfigure/<n>`) — a new runtime profile for a running
 * agent, applied in place, started by the plane entity (`planes update-agent`, or a budget's degrade):
 *   1. secrets: the containers of its channels' credentials (a new channel brings TELEGRAM_BOT_TOKEN's),
 *      with their grants (idempotent, the provisioning step's own activity);
 *   2. metadata: the profile, its rendered OpenClaw config, the secret list and startup script
 *      (fingerprint-safe read-modify-write; the guest's runtime follower re-applies, no new VM);
 *   3. the guest reports the profile's digest applied.
 * Nothing is undone on failure: each step is safe to repeat and the VM keeps running; the plane records
 * the error and keeps the agent Ready.
 */
import type { AgentTarget } from '../domain/targets.js';
import { api, boot } from './activity-policies.js';
import { reportToPlane } from './plane-messages.js';
import { ProgressTracker } from './progress.js';
import { runSaga } from './saga.js';

export interface ReconfigureAgentInput extends AgentTarget {
  /** How long the guest may take to report the profile applied. */
  readonly applyTimeoutMs: number;
  /** Why it runs (`planes update-agent`, `budget: 100% of $10 reached`), for the Web UI and logs. */
  readonly reason: string;
}

export async function reconfigureAgent(input: ReconfigureAgentInput): Promise<void> {
  const progress = new ProgressTracker('reconfigure-agent', ['channel-secrets', 'set-runtime-metadata', 'runtime-applied']);
  let digest = '';
  await reportToPlane(input, 'reconfigure', () =>
    runSaga(
      [
        { name: 'channel-secrets', run: () => api.ensureAgentSecrets(input) },
        { name: 'set-runtime-metadata', run: async () => (digest = await api.setAgentRuntime(input)) },
        { name: 'runtime-applied', run: () => boot.waitForAgentRuntime(input, digest, Date.now() + input.applyTimeoutMs) },
      ],
      progress,
    ),
  );
}
