/**
 * The plane entity's messages: Updates that change the roster (validated before they are accepted), the
 * status Query, and the Signal operation workflows send back when they end. Clients import these
 * definitions; they carry names and specs only, never secret values.
 */
import {
  CancellationScope,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  log,
} from '@temporalio/workflow';
import type { AgentName, MachineType, OwnerEmail } from '../domain/names.js';
import type { AgentRequest, AgentSpec, PlaneSpec } from '../domain/specs.js';
import type { AgentTarget } from '../domain/targets.js';
import type { AgentOperationKind, AgentOperationsRecord } from './agent-operation-messages.js';
import type { BudgetAlert } from '../domain/budget.js';
import { planeWorkflowId } from '../domain/workflow-ids.js';
import { describeFailure } from './saga.js';

export type PlanePhase = 'Creating' | 'Ready' | 'Failed' | 'Destroying' | 'Destroyed';
export type AgentState =
  | 'Provisioning'
  | 'Ready'
  | 'Failed'
  | 'Removing'
  // Operations on running agents (agent-operation-messages.ts): Paused means its VM is stopped on purpose.
  | 'Pausing'
  | 'Paused'
  | 'Resuming'
  | 'Restarting'
  | 'Unhealthy'
  // A restore rebuilding its VM from a snapshot (restore-agent.ts).
  | 'Restoring'
  // Its VM stopped, moved to another machine type and started again (resize-agent.ts).
  | 'Resizing'
  // A new runtime profile being applied in place (reconfigure-agent.ts): same VM, gateway restarted.
  | 'Reconfiguring';

export interface RosterEntry {
  readonly spec: AgentSpec;
  readonly state: AgentState;
  /** The operation workflow currently (or last) acting on the agent. */
  readonly operationId?: string;
  readonly lastError?: { readonly type: string; readonly message: string };
  /** Epoch ms of the last state change. */
  readonly since: number;
  /** Pause, resume, restarts and secret rotations of the agent (absent until the first). */
  readonly operations?: AgentOperationsRecord;
  /** While Resizing: the machine type the spec takes when the resize succeeds. */
  readonly resizingTo?: MachineType;
  /** Runtime profile changes and budget alerts (plane-runtime.ts; absent until the first). */
  readonly runtime?: RuntimeRecord;
}

export interface RuntimeRecord {
  /** Budget alerts of the current month (80%, 95%, 100% of the cap), oldest first. */
  readonly alerts: readonly BudgetAlert[];
  /** The last reconfiguration's outcome, when it failed (the agent keeps running on its previous profile). */
  readonly lastReconfigureError?: { readonly type: string; readonly message: string };
}

export interface PlaneStatus {
  readonly spec: PlaneSpec;
  readonly phase: PlanePhase;
  readonly operationId?: string;
  readonly lastError?: { readonly type: string; readonly message: string };
  readonly agents: readonly RosterEntry[];
}

export interface AddAgentResult {
  readonly operationId: string;
  /** True when the same agent was already in the roster: this call joined it. */
  readonly joined: boolean;
  readonly state: AgentState;
}

export interface RemoveAgentResult {
  readonly operationId?: string;
  readonly state: AgentState | 'Absent';
}

export const planeStatusQuery = defineQuery<PlaneStatus>('status');
export const addAgentUpdate = defineUpdate<AddAgentResult, [AgentRequest]>('addAgent');
/** The most agents one addAgents Update takes (its history events stay well under Temporal's limits). */
export const MAX_AGENTS_PER_BATCH = 200;
/** Several agents at once (`planes apply`, a benchmark's fleet): one result per request, in order. */
export const addAgentsUpdate = defineUpdate<AddAgentResult[], [AgentRequest[]]>('addAgents');
export const removeAgentUpdate = defineUpdate<RemoveAgentResult, [AgentName]>('removeAgent');
export const destroyPlaneUpdate = defineUpdate<PlanePhase, []>('destroy');

export interface AgentOperationOutcome {
  readonly agent: AgentName;
  readonly owner: OwnerEmail;
  readonly kind: 'provision' | 'deprovision' | 'restore' | 'resize' | 'reconfigure' | AgentOperationKind;
  readonly ok: boolean;
  readonly cancelled: boolean;
  readonly error?: { readonly type: string; readonly message: string };
}

export const agentOperationFinishedSignal = defineSignal<[AgentOperationOutcome]>('agentOperationFinished');

/**
 * Runs an agent operation and, whatever its end, tells the plane entity. A signal (not the child's
 * result) so that the entity can continue-as-new while children run.
 */
export async function reportToPlane(t: AgentTarget, kind: AgentOperationOutcome['kind'], body: () => Promise<void>): Promise<void> {
  let outcome: Omit<AgentOperationOutcome, 'agent' | 'owner' | 'kind'> = { ok: true, cancelled: false };
  try {
    await body();
  } catch (error) {
    const failure = describeFailure(error);
    outcome = { ok: false, cancelled: failure.type === 'CANCELLED', error: failure };
    throw error;
  } finally {
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(planeWorkflowId(t.plane.name)).signal(agentOperationFinishedSignal, {
          agent: t.agent.name,
          owner: t.agent.owner,
          kind,
          ...outcome,
        });
      } catch (error) {
        // The plane entity is gone (destroyed, or this operation was started on its own): nothing to tell.
        log.warn('could not report to the plane entity', { error: describeFailure(error) });
      }
    });
  }
}
