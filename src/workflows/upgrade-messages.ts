/**
 * Messages of a rolling upgrade. To the plane entity: the `startUpgrade` Update (validated there; the
 * entity owns the upgrade counter and refuses a second upgrade while one runs), the `activeUpgrade`
 * Query, and the `upgradeReport` Signal the upgrade sends as agents change version. To the upgrade
 * workflow: `pause`, `resume` and `abort` Updates and the `progress` Query (OperationProgress plus
 * canary, waves, per-agent state and the unavailable intervals). Names and versions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RawUpgradeRequest } from '../domain/upgrade-spec.js';
import type { OperationProgress } from './progress.js';

export interface StartUpgradeResult {
  readonly workflowId: string;
  /** Agents the upgrade will touch (Ready and not already on the version). */
  readonly agents: number;
}

export interface ActiveUpgrade {
  readonly workflowId: string | null;
}

export interface UpgradeReport {
  readonly workflowId: string;
  /** Agents whose desired version changed (upgraded, or rolled back to their previous version). */
  readonly versions: readonly { readonly agent: string; readonly version: string }[];
  /** Set once, when the upgrade ends: completed means every agent runs `toVersion`. */
  readonly finished?: {
    readonly completed: boolean;
    readonly toVersion: string;
    /** An upgrade of named agents only (`agents` in the request): the plane keeps its own version. */
    readonly subset?: boolean;
  };
}

export const startUpgradeUpdate = defineUpdate<StartUpgradeResult, [RawUpgradeRequest]>('startUpgrade');
export const activeUpgradeQuery = defineQuery<ActiveUpgrade>('activeUpgrade');
export const upgradeReportSignal = defineSignal<[UpgradeReport]>('upgradeReport');

export type StageState = 'pending' | 'running' | 'done' | 'failed' | 'rolled-back';
export type AgentUpgradeState =
  | 'pending'
  | 'snapshotting'
  | 'upgrading'
  | 'upgraded'
  | 'failed'
  | 'rolling-back'
  | 'rolled-back'
  | 'rollback-failed';

/** Workflow time (epoch ms) from the version change until the agent reported healthy again. */
export interface UnavailableInterval {
  readonly from: number;
  /** Absent while the agent is still unavailable. */
  readonly to?: number;
}

/**
 * How a touched agent is (being) rolled back: `metadata` sets its previous version back in instance
 * metadata (in place, nothing lost); `restore` rebuilds its VM from the pre-upgrade snapshot, because
 * the new version changed its on-disk state (the old version cannot be trusted with migrated state).
 */
export interface AgentRollback {
  readonly kind: 'metadata' | 'restore';
  /** Why this kind, e.g. "state format unchanged", "state format changed (a -> b)". */
  readonly reason: string;
  /** restore: the restore workflow, and the safety snapshot it kept of the migrated disk. */
  readonly restoreWorkflowId?: string;
  readonly safetySnapshot?: string;
}

export interface AgentUpgradeProgress {
  readonly name: string;
  readonly fromVersion: string;
  readonly state: AgentUpgradeState;
  /** The pre-upgrade snapshot of its boot disk. */
  readonly snapshot?: string;
  /** The state format its guest published just before the upgrade (absent: none published). */
  readonly stateFormat?: string;
  readonly rollback?: AgentRollback;
  readonly unavailable: readonly UnavailableInterval[];
  readonly error?: { readonly type: string; readonly message: string };
}

export interface UpgradeProgress extends OperationProgress {
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly maxUnavailable: number;
  readonly canary: { readonly agents: readonly string[]; readonly state: StageState } | null;
  readonly waves: readonly { readonly index: number; readonly agents: readonly string[]; readonly state: StageState }[];
  readonly agents: readonly AgentUpgradeProgress[];
  readonly paused: boolean;
  readonly aborted: boolean;
  readonly halted: boolean;
  readonly haltReason?: string;
  readonly rolledBack: boolean;
}

export const upgradeProgressQuery = defineQuery<UpgradeProgress>('progress');
export const pauseUpgradeUpdate = defineUpdate<UpgradeProgress, []>('pause');
export const resumeUpgradeUpdate = defineUpdate<UpgradeProgress, []>('resume');
export const abortUpgradeUpdate = defineUpdate<UpgradeProgress, []>('abort');
