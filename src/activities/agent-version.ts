/**
 * What a rolling upgrade does to one agent: snapshot its boot disk (deterministic name per upgrade,
 * labelled as ours), change the version in its instance metadata (the guest's version follower installs
 * it in place), and wait until its heartbeat reports that version and healthy. Also the state-format
 * marker its guest publishes, read before the upgrade and at rollback to tell whether the new version
 * migrated the agent's on-disk state.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { readGuestReport, type GuestReport } from '../gcp/guest-health.js';
import { METADATA } from '../domain/guest-contract.js';
import { diskSnapshotName, PRE_UPGRADE_LABEL } from '../domain/backups.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { ensureDiskSnapshot } from './disk-snapshots.js';
import { asActivity, ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';
import type { PollTiming } from './service-accounts.js';

/** Label on a pre-upgrade snapshot: which upgrade of the plane took it. */
export const UPGRADE_LABEL = PRE_UPGRADE_LABEL;

/** `<disk>-u<n>`, shortened with a hash when it would pass GCP's 63 characters. */
export function upgradeSnapshotName(disk: string, upgradeNumber: number): string {
  return diskSnapshotName(disk, `-u${upgradeNumber}`);
}

export function agentVersionActivities(clients: GcpClients, timing: PollTiming) {
  const names = ({ plane, agent }: AgentTarget) => agentResourceNames(plane.project, plane.name, agent.name);
  const where = (t: AgentTarget) => ({ project: t.plane.project, zone: t.plane.zone, instance: names(t).instance });
  const labelsOf = (t: AgentTarget) => agentLabels(t.plane.name, t.agent.name, t.agent.owner);

  return {
    /** Step 1 of each agent's upgrade: a snapshot of its boot disk; a retry adopts the one it made. */
    async snapshotAgentDisk(t: AgentTarget, upgradeNumber: number): Promise<string> {
      return asActivity(async () => {
        const disk = names(t).bootDisk;
        return ensureDiskSnapshot(clients, {
          project: t.plane.project,
          zone: t.plane.zone,
          disk,
          name: upgradeSnapshotName(disk, upgradeNumber),
          labels: { ...labelsOf(t), [UPGRADE_LABEL]: String(upgradeNumber) },
          description: `before upgrade ${upgradeNumber} of plane ${t.plane.name} to a new agent version`,
          step: 'pre-upgrade-snapshot',
        });
      });
    },

    /**
     * Step 2: the version key in instance metadata, read-modify-write under the metadata fingerprint
     * (a 412 means someone else wrote in between: read again). Already on `version` → nothing to do.
     */
    async setAgentVersion(t: AgentTarget, version: string): Promise<void> {
      return asActivity(async () => {
        for (;;) {
          const [instance] = await gcpCall('read instance', () => clients.instances.get(where(t)));
          if (!labelsMatch(instance.labels as Record<string, string>, labelsOf(t))) throw ownershipConflict(`instance ${names(t).instance}`);
          const items = (instance.metadata?.items ?? []).map((i) => ({ key: i.key ?? '', value: i.value ?? '' }));
          if (items.find((i) => i.key === METADATA.agentVersion)?.value === version) return;
          const fingerprint = instance.metadata?.fingerprint ?? '';
          const next = [...items.filter((i) => i.key !== METADATA.agentVersion), { key: METADATA.agentVersion, value: version }];
          try {
            const [op] = await clients.instances.setMetadata({
              ...where(t),
              // Per version and fingerprint: a retry of this very write is replayed, a new write is new.
              requestId: requestIdFor(`agent-version ${version} ${fingerprint}`, names(t).instance),
              metadataResource: { items: next, fingerprint },
            });
            await waitForOperation(clients, t.plane.project, op, 'set agent version');
            return;
          } catch (error) {
            if (error instanceof OperationError) retireRequestIds();
            const e = normalizeGcpError(error, 'set agent version');
            if (e.kind !== 'PRECONDITION') throw e;
          }
        }
      });
    },

    /**
     * The format of the agent's OpenClaw state as its guest last published it (guest-contract.ts), or
     * null when it publishes none (a guest from before the marker, or no heartbeat yet). A read only.
     */
    async readAgentStateFormat(t: AgentTarget): Promise<string | null> {
      return asActivity(async () => (await readGuestReport(clients, where(t))).stateFormat ?? null);
    },

    /**
     * Step 3: done when the guest's heartbeat reports `version` and health ok. `deadline` (epoch ms,
     * fixed by the workflow) makes every attempt end the same way after a worker restart.
     */
    async waitForAgentVersion(t: AgentTarget, version: string, deadline: number): Promise<GuestReport> {
      return asActivity(async () => {
        for (;;) {
          const health = await readGuestReport(clients, where(t));
          if (health.heartbeatAt && health.health === 'ok' && health.version === version) return health;
          if (Date.now() > deadline) {
            throw ApplicationFailure.nonRetryable(
              `agent ${t.agent.name} did not report healthy on version ${version} within the health timeout ` +
                `(last: health=${health.health ?? 'none'}, version=${health.version ?? 'none'}); see \`agents-plane planes logs\``,
              'AGENT_NOT_HEALTHY',
            );
          }
          await Context.current().sleep(timing.pollIntervalMs);
        }
      });
    },
  };
}
