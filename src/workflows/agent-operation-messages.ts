/**
 * Messages of the operations on running agents. To the plane entity: the `pauseAgents`, `resumeAgents`,
 * `restartAgent` and `rotateSecrets` Updates (validated there) and the `agentHealth` Signal the health
 * watch sends when an agent's verdict changes. To the health watch (`health/<plane>`): the `watchAgents`
 * Signal with the agents it must watch. Names, versions and secret version numbers only, never a value.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HealthWatchSettings } from '../domain/health-watch.js';
import type { AgentSpec, PlaneSpec } from '../domain/specs.js';

export type AgentOperationKind = 'pause' | 'resume' | 'restart' | 'rotate-secrets';

/** What the plane remembers of the operations on one agent (carried in its roster entry). */
export interface AgentOperationsRecord {
  /** Operations started on the agent so far (the n of `agent/<plane>/<agent>/<operation>/<n>`). */
  readonly count: number;
  /** Restarts that completed (automatic, by an admin, or to pick up rotated secrets). */
  readonly restarts: number;
  /** Epoch ms of each automatic restart still inside the watch's window. */
  readonly autoRestarts: readonly number[];
  /** The running restart was started by the health watch. */
  readonly automatic?: boolean;
  /** Why the health watch last found the agent unhealthy. */
  readonly unhealthyReason?: string;
}

/** `agent` absent: every agent of the plane the operation applies to. */
export interface AgentOperationRequest {
  readonly agent?: string;
}

export interface RestartAgentRequest {
  readonly agent: string;
  /** How long the agent may take to report healthy again (default: the plane's boot timeout). */
  readonly healthTimeoutMs?: number;
}

export interface AgentOperationStarted {
  readonly name: string;
  /** The agent's roster state right after the Update (e.g. Pausing, or Paused when already paused). */
  readonly state: string;
  readonly operationId?: string;
  /** True when the same operation was already running: this call joined it (or it was already done). */
  readonly joined: boolean;
}

export interface AgentOperationsResult {
  readonly agents: readonly AgentOperationStarted[];
  /** Agents left alone (e.g. still provisioning), with why. */
  readonly skipped: readonly { readonly name: string; readonly state: string }[];
}

export const pauseAgentsUpdate = defineUpdate<AgentOperationsResult, [AgentOperationRequest]>('pauseAgents');
export const resumeAgentsUpdate = defineUpdate<AgentOperationsResult, [AgentOperationRequest]>('resumeAgents');
export const restartAgentUpdate = defineUpdate<AgentOperationsResult, [RestartAgentRequest]>('restartAgent');
export const rotateSecretsUpdate = defineUpdate<AgentOperationsResult, [AgentOperationRequest]>('rotateSecrets');

export interface WatchedAgent {
  readonly spec: AgentSpec;
  /** The plane's current verdict: the watch reports only changes from it. */
  readonly unhealthy: boolean;
}

export interface WatchAgentsMessage {
  readonly agents: readonly WatchedAgent[];
  /** The plane is being destroyed: the watch ends. */
  readonly stop?: boolean;
}

export interface HealthChange {
  readonly agent: string;
  readonly healthy: boolean;
  readonly reason?: string;
}

export const watchAgentsSignal = defineSignal<[WatchAgentsMessage]>('watchAgents');
export const agentHealthSignal = defineSignal<[{ readonly changes: readonly HealthChange[] }]>('agentHealth');

export interface HealthWatchInput {
  readonly plane: PlaneSpec;
  readonly settings: HealthWatchSettings;
  readonly agents: readonly WatchedAgent[];
  /** Carried across continue-as-new: consecutive bad checks and the last verdict reported, per agent. */
  readonly memory?: readonly {
    readonly agent: string;
    readonly bad: number;
    readonly unhealthy: boolean;
    /** The month and highest budget threshold already reported (runtime profiles with a budget). */
    readonly budget?: { readonly month: string; readonly level: number };
  }[];
}

/** One rotated secret: its id and version numbers; the value never leaves the activity that made it. */
export interface RotatedSecret {
  readonly key: string;
  readonly secretId: string;
  readonly version: number;
  /** Older versions disabled once the agent was healthy on the new one. */
  readonly disabled: readonly number[];
}

export interface RotationResult {
  readonly secrets: readonly RotatedSecret[];
}
