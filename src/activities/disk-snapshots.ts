/**
 * Snapshots of a disk under a deterministic name, shared by the pre-upgrade snapshot, backups and a
 * restore's safety snapshot: a retry adopts the snapshot an earlier attempt made (only when its labels
 * say it is ours), and a snapshot still being created is waited for rather than made twice. Deleting
 * one (backup retention, an agent's removal) is shared too: gone already counts as done.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { GcpClients } from '../gcp/clients.js';
import { isNotFound, normalizeGcpError, OperationError } from '../gcp/errors.js';
import { waitForOperation } from '../gcp/operations.js';
import { labelsMatch, type Labels } from '../domain/labels.js';
import { ownershipConflict } from './failure.js';
import { requestIdFor, retireRequestIds } from './request-id.js';

export interface DiskSnapshotRequest {
  readonly project: string;
  readonly zone: string;
  readonly disk: string;
  readonly name: string;
  readonly labels: Labels;
  readonly description: string;
  /** The requestId's step (per kind of snapshot). */
  readonly step: string;
}

/** Ensures the snapshot exists and is READY; runs inside an activity (its requestId comes from there). */
export async function ensureDiskSnapshot(clients: GcpClients, r: DiskSnapshotRequest): Promise<string> {
  const adopt = async (): Promise<boolean> => {
    try {
      const [existing] = await clients.snapshots.get({ project: r.project, snapshot: r.name });
      if (!labelsMatch(existing.labels as Record<string, string>, r.labels)) throw ownershipConflict(`snapshot ${r.name}`);
      return existing.status === 'READY';
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
  if (await adopt()) return r.name;
  try {
    const [op] = await clients.disks.createSnapshot({
      project: r.project,
      zone: r.zone,
      disk: r.disk,
      requestId: requestIdFor(r.step, r.name),
      snapshotResource: { name: r.name, labels: { ...r.labels }, description: r.description },
    });
    await waitForOperation(clients, r.project, op, 'snapshot boot disk');
  } catch (error) {
    if (error instanceof OperationError) retireRequestIds();
    const e = normalizeGcpError(error, 'snapshot boot disk');
    if (e.kind !== 'ALREADY_EXISTS') throw e;
    // Made by an earlier attempt (still creating, or done): ours only if the labels say so.
    if (!(await adopt())) throw ApplicationFailure.retryable(`snapshot ${r.name} is still being created`, 'TRANSIENT');
  }
  return r.name;
}

/**
 * Deletes one snapshot and waits for it; not found is done. Runs inside an activity. A failed delete
 * operation retires the attempt's requestIds, since GCP would replay the failure for the same id.
 */
export async function deleteSnapshot(clients: GcpClients, project: string, snapshot: string, step: string): Promise<void> {
  try {
    const [op] = await clients.snapshots.delete({ project, snapshot, requestId: requestIdFor(step, snapshot) });
    await waitForOperation(clients, project, op, 'delete snapshot');
  } catch (error) {
    if (error instanceof OperationError) retireRequestIds();
    if (!isNotFound(error)) throw normalizeGcpError(error, 'delete snapshot');
  }
}
