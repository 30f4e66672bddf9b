/**
 * Reconfiguring a running agent in place (`planes update-agent`): write its runtime profile into the
 * instance metadata (the guest's runtime follower patches OpenClaw's config and restarts the gateway,
 * no new VM), then wait until the guest reports the profile's digest.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { readGuestReport } from '../gcp/guest-health.js';
import { METADATA } from '../domain/guest-contract.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import { renderRuntime, runtimeMetadataItems } from '../domain/runtime-metadata.js';
import type { AppliedRuntime } from '../domain/runtime-profile.js';
import { agentSecretKeys } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import { bootScriptFor } from './boot-script.js';
import { asActivity, ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';
import type { PollTiming } from './service-accounts.js';

export function agentRuntimeActivities(clients: GcpClients, timing: PollTiming) {
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);
  const where = (t: AgentTarget) => ({ project: t.plane.project, zone: t.plane.zone, instance: names(t).instance });
  const labelsOf = (t: AgentTarget) => agentLabels(t.plane.name, t.agent.name, t.agent.owner);

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
        for (;;) {
          const [instance] = await gcpCall('read instance', () => clients.instances.get(where(t)));
          if (!labelsMatch(instance.labels as Record<string, string>, labelsOf(t))) throw ownershipConflict(`instance ${names(t).instance}`);
          const items = (instance.metadata?.items ?? []).map((i) => ({ key: i.key ?? '', value: i.value ?? '' }));
          const current = new Map(items.map((i) => [i.key, i.value]));
          if (Object.entries(wanted).every(([k, v]) => current.get(k) === v)) return digest;
          const fingerprint = instance.metadata?.fingerprint ?? '';
          const next = [...items.filter((i) => !(i.key in wanted)), ...Object.entries(wanted).map(([key, value]) => ({ key, value }))];
          try {
            const [op] = await clients.instances.setMetadata({
              ...where(t),
              // Per profile and fingerprint: a retry of this very write is replayed, a new write is new.
              requestId: requestIdFor(`agent-runtime ${digest} ${fingerprint}`, names(t).instance),
              metadataResource: { items: next, fingerprint },
            });
            await waitForOperation(clients, t.plane.project, op, 'set agent runtime');
            return digest;
          } catch (error) {
            if (error instanceof OperationError) retireRequestIds();
            const e = normalizeGcpError(error, 'set agent runtime');
            if (e.kind !== 'PRECONDITION') throw e;
          }
        }
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
