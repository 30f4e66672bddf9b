/**
 * Messages between backups, restores and the plane entity. A backup run (scheduled or on demand) does
 * not carry a roster: it asks the entity for the plane's Ready agents and the entity answers by signal,
 * so a scheduled run always backs up the agents of that moment. A restore is an Update of the entity
 * (validated there, so it cannot race an upgrade or a removal). Names and specs only.
 */
import { defineSignal, defineUpdate, getExternalWorkflowHandle, log } from '@temporalio/workflow';
import type { AgentName } from '../domain/names.js';
import type { RestoreRequest } from '../domain/backups.js';
import type { AgentSpec, PlaneSpec } from '../domain/specs.js';
import type { PlanePhase, RosterEntry } from './plane-messages.js';
import { describeFailure } from './saga.js';

export interface BackupTargetsRequest {
  /** The backup workflow to answer. */
  readonly workflowId: string;
  readonly agent?: AgentName;
}

export interface BackupTargets {
  readonly plane: PlaneSpec;
  readonly phase: PlanePhase;
  /** The Ready agents (or the one asked for, when Ready), in name order. */
  readonly agents: readonly AgentSpec[];
  /** The agent asked for, when it is not Ready (or not in the roster): its state. */
  readonly notReady?: { readonly agent: AgentName; readonly state: string };
}

export const backupTargetsRequestSignal = defineSignal<[BackupTargetsRequest]>('backupTargetsRequest');
export const backupTargetsSignal = defineSignal<[BackupTargets]>('backupTargets');

export interface RestoreAgentResult {
  readonly workflowId: string;
  readonly safetySnapshotStamp: string;
}

export const restoreAgentUpdate = defineUpdate<RestoreAgentResult, [RestoreRequest]>('restoreAgent');

/** The entity's answer to a backup run: its Ready agents, by signal to that run. */
export async function answerBackupTargets(
  request: BackupTargetsRequest,
  plane: PlaneSpec,
  phase: PlanePhase,
  roster: Iterable<RosterEntry>,
): Promise<void> {
  const entries = [...roster].filter((e) => !request.agent || e.spec.name === request.agent);
  const agents = entries
    .filter((e) => e.state === 'Ready')
    .map((e) => e.spec)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const asked = request.agent ? entries[0] : undefined;
  const notReady = request.agent && asked?.state !== 'Ready' ? { agent: request.agent, state: asked?.state ?? 'Absent' } : undefined;
  try {
    await getExternalWorkflowHandle(request.workflowId).signal(backupTargetsSignal, { plane, phase, agents, ...(notReady ? { notReady } : {}) });
  } catch (error) {
    // The backup run ended meanwhile (it waits a bounded time): nothing to answer.
    log.warn('could not answer a backup run', { workflowId: request.workflowId, error: describeFailure(error) });
  }
}

/** Outcome types of a failed restore: the agent runs again on its previous disk, or it does not. */
export const RESTORE_ROLLED_BACK = 'RESTORE_ROLLED_BACK';
export const RESTORE_FAILED = 'RESTORE_FAILED';
