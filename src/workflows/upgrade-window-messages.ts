/**
 * Messages of scheduled upgrades (maintenance windows). A Temporal Schedule `upgrade-window/<plane>` starts
 * an `upgradeWindow` workflow, which asks the plane entity to start the upgrade with the
 * `requestScheduledUpgrade` Signal: a workflow cannot send an Update, so the entity runs its usual start
 * path (same validation, same counter, same one-at-a-time rule) and, where an Update would be rejected,
 * records the refusal. `lastScheduledUpgrade` answers what the latest window did. Names and versions only.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PlaneName } from '../domain/names.js';
import type { RawUpgradeRequest } from '../domain/upgrade-spec.js';

export interface ScheduledUpgradeRequest {
  readonly request: RawUpgradeRequest;
  /** The window run that asked (its workflow id), for the record. */
  readonly requestedBy: string;
}

export interface ScheduledUpgradeOutcome {
  readonly requestedBy: string;
  /** Workflow time (epoch ms) the plane handled the request. */
  readonly at: number;
  readonly toVersion: string;
  readonly outcome: 'started' | 'refused';
  /** The upgrade started (outcome `started`). */
  readonly workflowId?: string;
  readonly agents?: number;
  /** Why it was refused (UPGRADE_RUNNING, PLANE_NOT_READY, INVALID_INPUT). */
  readonly reason?: { readonly type: string; readonly message: string };
}

/** What the schedule's action passes to each window run. */
export interface UpgradeWindowInput {
  readonly plane: PlaneName;
  readonly request: RawUpgradeRequest;
}

export const requestScheduledUpgradeSignal = defineSignal<[ScheduledUpgradeRequest]>('requestScheduledUpgrade');
export const lastScheduledUpgradeQuery = defineQuery<ScheduledUpgradeOutcome | null>('lastScheduledUpgrade');
