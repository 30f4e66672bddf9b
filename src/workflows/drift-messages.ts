/**
 * Messages of drift inspection and reconcile. To the plane entity: the `startReconcile` Update (the
 * entity owns the counter, picks the agents, joins a reconcile already running, and refuses while an
 * upgrade runs). The reports the two workflows return. Names and rule text only.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { DriftItem } from '../domain/drift.js';
import type { AgentSpec, PlaneSpec } from '../domain/specs.js';

/** An agent of the roster as the inspection sees it: its spec and roster state. */
export interface InspectedAgent {
  readonly spec: AgentSpec;
  readonly state: string;
}

export interface DriftInspectionInput {
  readonly plane: PlaneSpec;
  readonly agents: readonly InspectedAgent[];
}

export interface DriftReport {
  readonly plane: string;
  /** Epoch ms when the inspection ended. */
  readonly inspectedAt: number;
  /** Agents whose resources were checked (roster state Ready or Paused). */
  readonly agentsInspected: readonly string[];
  /** Agents in flux (Provisioning, Removing) or Failed: not checked. */
  readonly agentsSkipped: readonly { readonly name: string; readonly state: string }[];
  readonly drift: readonly DriftItem[];
}

export interface ReconcileFailure {
  readonly agent?: string;
  readonly step: string;
  readonly error: { readonly type: string; readonly message: string };
}

export interface ReconcileReport {
  readonly plane: string;
  readonly workflowId: string;
  readonly before: readonly DriftItem[];
  /** Items found before and gone after. */
  readonly repaired: readonly DriftItem[];
  /** Items still there after (those reconcile does not repair, or whose repair failed). */
  readonly remaining: readonly DriftItem[];
  readonly failures: readonly ReconcileFailure[];
}

export interface StartReconcileResult {
  readonly workflowId: string;
  /** True when a reconcile was already running: this call joined it. */
  readonly joined: boolean;
  readonly agents: number;
}

export const startReconcileUpdate = defineUpdate<StartReconcileResult, []>('startReconcile');
