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
import { isNotFound } from '../gcp/errors.js';
import { readGuestReport, type GuestReport } from '../gcp/guest-health.js';
import { METADATA } from '../domain/guest-contract.js';
import { diskSnapshotName, PRE_UPGRADE_LABEL } from '../domain/backups.js';
import { agentLabels } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { ensureDiskSnapshot } from './disk-snapshots.js';
import { asActivity } from './failure.js';
import type { PollTiming } from './service-accounts.js';
import { setAgentMetadataItems } from './instance-metadata.js';

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
      return asActivity(() => setAgentMetadataItems(clients, t, { [METADATA.agentVersion]: version }, `agent-version ${version}`, 'set agent version'));
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
