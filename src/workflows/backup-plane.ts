/**
 * backupPlane — snapshots of a plane's agents' boot disks, on demand (`backup/<plane>/on-demand`) or
 * from the plane's Temporal Schedule (`backup/<plane>/scheduled-<time>`):
 *   1. roster: ask the plane entity for its Ready agents (it answers by signal)
 *   2. snapshots: one per agent, named and labelled by this run's stamp (a few at a time; an agent
 *      removed meanwhile is skipped)
 *   3. retention: per agent whose backup succeeded, delete its backups beyond the newest `keep`
 * An agent that fails does not stop the others; the run then fails with BACKUP_INCOMPLETE, naming it.
 */
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { snapshotStamp, type BackupRequest } from '../domain/backups.js';
import type { AgentSpec } from '../domain/specs.js';
import { planeWorkflowId } from '../domain/workflow-ids.js';
import { batches } from '../domain/upgrade-spec.js';
import { OPERATION, PLANE_NAME } from '../temporal/search-attributes.js';
import type { AgentBackup } from '../activities/backups.js';
import { api, compute } from './activity-policies.js';
import { backupTargetsRequestSignal, backupTargetsSignal, type BackupTargets } from './backup-messages.js';
import { ProgressTracker } from './progress.js';
import { describeFailure } from './saga.js';

export const BACKUP_STEPS = ['roster', 'snapshots', 'retention'] as const;
/** Snapshots taken at once (compute's per-project operation rate is the limit, not the disks). */
const PARALLEL = 5;

export interface AgentBackupResult {
  readonly agent: string;
  readonly snapshot?: string;
  readonly storageBytes?: number;
  readonly skipped?: string;
  readonly pruned: readonly string[];
  readonly error?: { readonly type: string; readonly message: string };
}

export interface BackupResult {
  readonly plane: string;
  readonly stamp: string;
  readonly keep?: number;
  readonly agents: readonly AgentBackupResult[];
}

export async function backupPlane(request: BackupRequest): Promise<BackupResult> {
  const progress = new ProgressTracker('backup-plane', BACKUP_STEPS);
  const stamp = snapshotStamp(Date.now());
  upsertSearchAttributes([
    { key: PLANE_NAME, value: request.plane },
    { key: OPERATION, value: 'backup-plane' },
  ]);

  progress.enter(0);
  let targets: BackupTargets | undefined;
  setHandler(backupTargetsSignal, (t) => {
    targets = t;
  });
  try {
    await getExternalWorkflowHandle(planeWorkflowId(request.plane)).signal(backupTargetsRequestSignal, {
      workflowId: workflowInfo().workflowId,
      ...(request.agent ? { agent: request.agent } : {}),
    });
  } catch (error) {
    progress.compensating(describeFailure(error), false);
    progress.finish(false);
    throw ApplicationFailure.nonRetryable(`plane ${request.plane} does not exist (or is gone): nothing to back up`, 'PLANE_NOT_FOUND');
  }
  if (!(await condition(() => targets !== undefined, '5 minutes')) || !targets) {
    progress.finish(false);
    throw ApplicationFailure.nonRetryable(`plane ${request.plane} did not answer with its roster`, 'PLANE_NOT_READY');
  }
  const { plane, agents } = targets;
  if (targets.notReady) {
    const failure = { type: 'AGENT_NOT_READY', message: `agent ${targets.notReady.agent} is ${targets.notReady.state}; only Ready agents are backed up` };
    progress.compensating(failure, false);
    progress.finish(false);
    throw ApplicationFailure.nonRetryable(failure.message, failure.type);
  }

  const results = new Map<string, AgentBackupResult>(agents.map((a) => [a.name as string, { agent: a.name, pruned: [] }]));
  const record = (agent: AgentSpec, patch: Partial<AgentBackupResult>) => results.set(agent.name, { ...results.get(agent.name)!, ...patch });

  progress.enter(1);
  for (const batch of batches(agents, PARALLEL)) {
    await Promise.all(
      batch.map(async (agent) => {
        try {
          const backup: AgentBackup = await compute.snapshotAgentBackup({ plane, agent }, stamp);
          record(agent, 'skipped' in backup ? { skipped: backup.skipped } : { snapshot: backup.snapshot, storageBytes: backup.storageBytes });
        } catch (error) {
          record(agent, { error: describeFailure(error) });
        }
      }),
    );
  }

  progress.enter(2);
  if (request.keep !== undefined) {
    const keep = request.keep;
    const backedUp = agents.filter((a) => results.get(a.name)?.snapshot);
    for (const batch of batches(backedUp, PARALLEL)) {
      await Promise.all(
        batch.map(async (agent) => {
          try {
            record(agent, { pruned: await api.pruneAgentBackups({ plane, agent }, keep) });
          } catch (error) {
            record(agent, { error: describeFailure(error) });
          }
        }),
      );
    }
  }

  const result: BackupResult = { plane: plane.name, stamp, ...(request.keep !== undefined ? { keep: request.keep } : {}), agents: [...results.values()] };
  const failed = result.agents.filter((a) => a.error);
  if (failed.length > 0) {
    const first = failed[0]!.error!;
    progress.compensating(first, false);
    progress.finish(false);
    throw ApplicationFailure.nonRetryable(
      `backup ${stamp} of plane ${plane.name}: ${failed.length} agent(s) failed (${failed.map((a) => a.agent).join(', ')}): ${first.message}`,
      'BACKUP_INCOMPLETE',
      result,
    );
  }
  progress.finish(true);
  return result;
}
