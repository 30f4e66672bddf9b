/**
 * The dashboard's JSON API: one snapshot of the whole fleet, as `GET /api/fleet` returns it and as every
 * `snapshot` event of `GET /api/events` carries it. Built only from Temporal queries and visibility and
 * from compute describe/list calls, so by construction it holds names, states and numbers, never a
 * secret value. The page's components read exactly these fields (src/dashboard/web/).
 */
import type { AgentStatusState } from '../cli/planes/status.js';
import type { AgentUpgradeState, StageState } from '../workflows/upgrade-messages.js';

export type AgentHealth = 'healthy' | 'unhealthy' | 'starting' | 'unknown';

export interface WorkflowLink {
  readonly workflowId: string;
  /** The workflow's page in the Temporal Web UI; null when no Web UI is known. */
  readonly url: string | null;
}

export interface AgentView {
  readonly name: string;
  readonly owner: string;
  readonly state: AgentStatusState;
  readonly health: AgentHealth;
  /** Why an agent is not healthy, for people ("no heartbeat for 2m 10s", "VM TERMINATED"). */
  readonly healthReason: string | null;
  readonly heartbeatAgeSeconds: number | null;
  readonly agentVersion: string | null;
  readonly desiredVersion: string;
  readonly vmType: string;
  readonly instanceStatus: string | null;
  readonly monthlyCostUsd: number;
  /** ISO time of the newest snapshot of the agent's boot disk; null when none exists. */
  readonly lastBackupAt: string | null;
  readonly lastError: string | null;
  /** The operation workflow acting (or last acting) on the agent. */
  readonly workflow: WorkflowLink;
}

export type StepState = StageState;

export interface UpgradeWaveView {
  readonly index: number;
  readonly agents: readonly string[];
  readonly state: StepState;
}

/** One agent's place in an upgrade: the version it left and where it is now. */
export interface UpgradeAgentView {
  readonly name: string;
  readonly fromVersion: string | null;
  readonly state: AgentUpgradeState;
  readonly error: string | null;
}

/**
 * A running (or just finished) upgradePlane workflow, read from its `progress` Query (UpgradeProgress in
 * src/workflows/upgrade-messages.ts). A field the answer lacks takes a neutral default, so a run the
 * worker cannot answer for still shows its status and link.
 */
export interface UpgradeView {
  readonly workflow: WorkflowLink;
  readonly status: 'Running' | 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'TimedOut' | 'ContinuedAsNew' | 'Unknown';
  readonly startedAt: string | null;
  readonly closedAt: string | null;
  readonly state: string;
  readonly step: number;
  readonly totalSteps: number;
  readonly stepName: string;
  readonly steps: readonly string[];
  /** The versions the agents ran before, comma-separated when they differed. */
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly maxUnavailable: number | null;
  readonly canary: { readonly agents: readonly string[]; readonly state: StepState } | null;
  readonly waves: readonly UpgradeWaveView[];
  readonly agents: readonly UpgradeAgentView[];
  readonly halted: boolean;
  readonly haltReason: string | null;
  readonly paused: boolean;
  readonly aborted: boolean;
  /** While rolling back after a halt: the agent being returned to its previous version. */
  readonly undoing: string | null;
  readonly rolledBack: boolean;
  readonly error: string | null;
  /** Set when the progress Query could not be answered (no worker, timeout): the rest is then defaults. */
  readonly queryError: string | null;
}

export interface PlaneView {
  readonly name: string;
  readonly project: string;
  readonly region: string;
  readonly zone: string;
  readonly phase: string;
  readonly workflow: WorkflowLink;
  readonly agents: readonly AgentView[];
  readonly totals: {
    readonly agents: number;
    readonly ready: number;
    readonly unhealthy: number;
    readonly provisioning: number;
    readonly failed: number;
    readonly monthlyCostUsd: number;
  };
  /** Running version → number of agents; agents without a heartbeat yet count under "unknown". */
  readonly versions: Readonly<Record<string, number>>;
  readonly desiredVersions: Readonly<Record<string, number>>;
  readonly upgrade: UpgradeView | null;
  /** Set when this plane could not be read this round (the previous data is not kept for it). */
  readonly error: string | null;
}

export interface FleetSnapshot {
  /** Increases by one per refresh of this server process (the event id of the stream). */
  readonly sequence: number;
  readonly generatedAt: string;
  /** How long the last refresh took and when the next one is due (the server paces itself). */
  readonly refreshMs: number;
  readonly intervalMs: number;
  readonly temporal: { readonly namespace: string; readonly webUiUrl: string | null };
  readonly planes: readonly PlaneView[];
  readonly totals: {
    readonly planes: number;
    readonly agents: number;
    readonly ready: number;
    readonly unhealthy: number;
    readonly monthlyCostUsd: number;
  };
  readonly versions: Readonly<Record<string, number>>;
  /** Set when the fleet could not be read at all (Temporal unreachable); planes then hold the last good data. */
  readonly error: string | null;
  readonly stale: boolean;
}

export function webUiWorkflowUrl(webUiUrl: string | null, namespace: string, workflowId: string): string | null {
  if (!webUiUrl) return null;
  return `${webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
