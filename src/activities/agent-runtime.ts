/**
 * Reconfiguring a running agent in place (`planes update-agent`): write its runtime profile into the
 * instance metadata (the guest's runtime follower patches OpenClaw's config and restarts the gateway,
 * no new VM), then wait until the guest reports the profile's digest.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { GcpClients } from '../gcp/clients.js';
import { readGuestReport } from '../gcp/guest-health.js';
import { METADATA } from '../domain/guest-contract.js';
import { agentResourceNames } from '../domain/resource-names.js';
import { renderRuntime, runtimeMetadataItems } from '../domain/runtime-metadata.js';
import type { AppliedRuntime } from '../domain/runtime-profile.js';
import { agentSecretKeys } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { bootScriptFor } from './boot-script.js';
import { asActivity } from './failure.js';
import type { PollTiming } from './service-accounts.js';
import { setAgentMetadataItems } from './instance-metadata.js';

export function agentRuntimeActivities(clients: GcpClients, timing: PollTiming) {
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);
  const where = (t: AgentTarget) => ({ project: t.plane.project, zone: t.plane.zone, instance: names(t).instance });

  return {
    /**
     * The profile's metadata keys, plus the secret list and startup script (a new channel brings its
     * credential's secret), in one read-modify-write under the metadata fingerprint (412: read again).
     * Already there → nothing to do. Returns the digest the guest will report.
     */
    async setAgentRuntime(t: AgentTarget): Promise<string> {
      return asActivity(async () => {
        const profile = t.agent.runtime;
        if (!profile) throw ApplicationFailure.nonRetryable(`agent ${t.agent.name} has no runtime profile to apply`, 'INVALID_SPEC');
        const wanted: Record<string, string> = {
          ...runtimeMetadataItems(profile),
          [METADATA.secretNames]: agentSecretKeys(t.agent).map((k) => names(t).secretName(k)).join(','),
          [METADATA.startupScript]: bootScriptFor(t),
        };
        const digest = renderRuntime(profile).digest;
        await setAgentMetadataItems(clients, t, wanted, `agent-runtime ${digest}`, 'set agent runtime');
        return digest;
      });
    },

    /** Done when the guest reports `digest` applied. `deadline` (epoch ms) is fixed by the workflow. */
    async waitForAgentRuntime(t: AgentTarget, digest: string, deadline: number): Promise<AppliedRuntime> {
      return asActivity(async () => {
        for (;;) {
          const report = await readGuestReport(clients, where(t));
          if (report.runtime?.digest === digest) return report.runtime;
          if (Date.now() > deadline) {
            throw ApplicationFailure.nonRetryable(
              `agent ${t.agent.name} did not report runtime profile ${digest} applied within the timeout ` +
                `(last: ${report.runtime?.digest ?? 'none'}); its VM is unchanged, see \`agents-plane planes logs\``,
              'RUNTIME_NOT_APPLIED',
            );
          }
          await Context.current().sleep(timing.pollIntervalMs);
        }
      });
    },

  };
}
