/**
 * Backups and restores of an agent's boot disk. A backup is a snapshot named and labelled by its stamp
 * (plus the agent's cost labels, so cost reports price it); retention deletes an agent's backups beyond
 * the newest N, and only backups (never pre-upgrade or safety snapshots, never anything not ours). A
 * restore checks the snapshot it is given, keeps a safety snapshot of the disk it replaces, and uses
 * the instance activities for the rest.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { GcpClients } from '../gcp/clients.js';
import { gcpCall, isNotFound, normalizeGcpError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { listPlaneSnapshots } from '../gcp/plane-snapshots.js';
import {
  backupLabels,
  backupSnapshotName,
  backupsBeyond,
  safetyLabels,
  safetySnapshotName,
} from '../domain/backups.js';
import { agentLabels, labelsMatch } from '../domain/labels.js';
import { agentResourceNames } from '../domain/resource-names.js';
import type { AgentTarget } from '../domain/targets.js';
import { deleteSnapshot, ensureDiskSnapshot } from './disk-snapshots.js';
import { asActivity } from './failure.js';
import { requestIdFor } from './request-id.js';

export type AgentBackup =
  | { readonly snapshot: string; readonly storageBytes: number; readonly diskSizeGb: number }
  | { readonly skipped: string };

export function backupActivities(clients: GcpClients) {
  const disk = (t: AgentTarget) => agentResourceNames(t.plane.project, t.plane.name, t.agent.name).bootDisk;
  const labelsOf = (t: AgentTarget) => agentLabels(t.plane.name, t.agent.name, t.agent.owner);

  return {
    /** One backup of the agent's boot disk; a retry adopts the snapshot it made. A disk that is gone is skipped. */
    async snapshotAgentBackup(t: AgentTarget, stamp: string): Promise<AgentBackup> {
      return asActivity(async () => {
        const name = backupSnapshotName(disk(t), stamp);
        try {
          await ensureDiskSnapshot(clients, {
            project: t.plane.project,
            zone: t.plane.zone,
            disk: disk(t),
            name,
            labels: backupLabels(labelsOf(t), stamp),
            description: `backup ${stamp} of agent ${t.agent.name} of plane ${t.plane.name}`,
            step: 'backup-snapshot',
          });
        } catch (error) {
          // Removed (or being restored) since the roster was read: nothing to back up.
          if (isNotFound(error)) return { skipped: `boot disk ${disk(t)} not found` };
          throw error;
        }
        const [snapshot] = await gcpCall('read snapshot', () => clients.snapshots.get({ project: t.plane.project, snapshot: name }));
        return { snapshot: name, storageBytes: Number(snapshot.storageBytes ?? 0), diskSizeGb: Number(snapshot.diskSizeGb ?? 0) };
      });
    },

    /** Retention: deletes the agent's backups beyond the newest `keep`; answers what it deleted. */
    async pruneAgentBackups(t: AgentTarget, keep: number): Promise<string[]> {
      return asActivity(async () => {
        const mine = labelsOf(t);
        const backups = (await listPlaneSnapshots(clients, t.plane.project, t.plane.name, t.agent.name)).filter(
          (s) => s.kind === 'backup' && labelsMatch(s.labels, mine),
        );
        const doomed = backupsBeyond(backups, keep);
        for (const name of doomed) {
          if (backups.find((s) => s.name === name)?.status === 'DELETING') continue;
          await deleteSnapshot(clients, t.plane.project, name, 'prune-backup');
        }
        return doomed;
      });
    },

    /** The snapshot a restore starts from: it must exist, be READY and be one of this agent's. */
    async checkRestoreSnapshot(t: AgentTarget, snapshot: string): Promise<void> {
      return asActivity(async () => {
        let found;
        try {
          [found] = await clients.snapshots.get({ project: t.plane.project, snapshot });
        } catch (error) {
          if (isNotFound(error)) throw ApplicationFailure.nonRetryable(`snapshot ${snapshot} does not exist`, 'SNAPSHOT_NOT_FOUND');
          throw normalizeGcpError(error, 'read snapshot');
        }
        if (!labelsMatch(found.labels as Record<string, string>, labelsOf(t))) {
          throw ApplicationFailure.nonRetryable(`snapshot ${snapshot} is not a snapshot of agent ${t.agent.name} of plane ${t.plane.name}`, 'INVALID_SNAPSHOT');
        }
        if (found.status !== 'READY') throw ApplicationFailure.retryable(`snapshot ${snapshot} is ${found.status ?? 'not ready'}`, 'TRANSIENT');
      });
    },

    /**
     * Before a restore replaces the boot disk: a snapshot of it, to fall back to (and kept afterwards).
     * Null when there is no disk (an agent a failed restore left without a VM): nothing to keep.
     */
    async snapshotBeforeRestore(t: AgentTarget, stamp: string): Promise<string | null> {
      return asActivity(async () => {
        try {
          return await ensureDiskSnapshot(clients, {
            project: t.plane.project,
            zone: t.plane.zone,
            disk: disk(t),
            name: safetySnapshotName(disk(t), stamp),
            labels: safetyLabels(labelsOf(t), stamp),
            description: `agent ${t.agent.name}'s boot disk before restore ${stamp}`,
            step: 'restore-safety-snapshot',
          });
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      });
    },
  };
}
