/**
 * Upgrades as the dashboard sees them: upgradePlane workflows of this deployment's task queue found
 * through Temporal visibility (one list call for the whole fleet, grouped by the PlaneName search
 * attribute), each asked for its `progress` Query, whose answer is UpgradeProgress
 * (src/workflows/upgrade-messages.ts): OperationProgress plus versions, canary, waves, per-agent states,
 * paused/aborted/halted/rolled back. The answer crosses a process boundary from whatever worker build
 * runs, so it is read field by field: a missing or mistyped field takes a neutral default instead of
 * breaking the page.
 *
 * A finished upgrade stays on the page for RECENT_WINDOW_MS; its final progress is read once and kept
 * (a closed run never changes), so showing it costs no replay per refresh.
 */
import type { Client, WorkflowExecutionInfo, WorkflowExecutionStatusName } from '@temporalio/client';
import { PLANE_NAME } from '../temporal/search-attributes.js';
import { taskQueueFromEnv } from '../temporal/task-queue.js';
import { upgradeProgressQuery, type AgentUpgradeState } from '../workflows/upgrade-messages.js';
import { webUiWorkflowUrl, type StepState, type UpgradeAgentView, type UpgradeView, type UpgradeWaveView } from './fleet-snapshot.js';

/** The workflow type of src/workflows/upgrade-plane.ts (its function name). */
export const UPGRADE_WORKFLOW_TYPE = 'upgradePlane';
export const RECENT_WINDOW_MS = 60 * 60 * 1000;

export interface UpgradeSources {
  readonly temporal: Client;
  readonly namespace: string;
  readonly webUiUrl: string | null;
  readonly queryTimeoutMs: number;
  /** Only upgrades of this task queue are this deployment's (default: taskQueueFromEnv(), as the CLI). */
  readonly taskQueue?: string;
}

const STATUS_NAMES: Readonly<Partial<Record<WorkflowExecutionStatusName, UpgradeView['status']>>> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  TIMED_OUT: 'TimedOut',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
};

const STEP_STATES: readonly StepState[] = ['pending', 'running', 'done', 'failed', 'rolled-back'];
const AGENT_STATES: readonly AgentUpgradeState[] = ['pending', 'snapshotting', 'upgrading', 'upgraded', 'failed', 'rolling-back', 'rolled-back', 'rollback-failed'];

export class UpgradeTracker {
  /** Final views of closed runs, by run id. */
  private readonly closed = new Map<string, UpgradeView>();

  private readonly taskQueue: string;

  constructor(private readonly sources: UpgradeSources) {
    this.taskQueue = sources.taskQueue ?? taskQueueFromEnv();
  }

  /**
   * The upgrade to show per plane: the running one, else the most recent one closed within the window.
   * Visibility is one query; only running upgrades are queried on every refresh.
   */
  async byPlane(now: number): Promise<Map<string, UpgradeView>> {
    const since = new Date(now - RECENT_WINDOW_MS).toISOString();
    // The task queue keeps another deployment's upgrades (sharing the namespace) off this fleet's page.
    const query =
      `WorkflowType = '${UPGRADE_WORKFLOW_TYPE}' AND TaskQueue = '${this.taskQueue}'` +
      ` AND (ExecutionStatus = 'Running' OR CloseTime > '${since}')`;
    const newest = new Map<string, WorkflowExecutionInfo>();
    for await (const info of this.sources.temporal.workflow.list({ query })) {
      const plane = info.typedSearchAttributes.get(PLANE_NAME) ?? planeFromWorkflowId(info.workflowId);
      if (!plane) continue;
      const current = newest.get(plane);
      if (!current || rank(info) > rank(current)) newest.set(plane, info);
    }
    const views = new Map<string, UpgradeView>();
    await Promise.all(
      [...newest].map(async ([plane, info]) => {
        views.set(plane, await this.view(info));
      }),
    );
    // Forget closed runs that left the window.
    const shown = new Set([...newest.values()].map((i) => i.runId));
    for (const runId of this.closed.keys()) if (!shown.has(runId)) this.closed.delete(runId);
    return views;
  }

  private async view(info: WorkflowExecutionInfo): Promise<UpgradeView> {
    const cached = this.closed.get(info.runId);
    if (cached) return cached;
    const status = STATUS_NAMES[info.status.name] ?? 'Unknown';
    let progress: unknown;
    let queryError: string | null = null;
    try {
      const handle = this.sources.temporal.workflow.getHandle(info.workflowId, info.runId);
      progress = await this.sources.temporal.connection.withDeadline(Date.now() + this.sources.queryTimeoutMs, () => handle.query<unknown>(upgradeProgressQuery.name));
    } catch (error) {
      queryError = `progress query failed: ${firstLine(error)}`;
    }
    const view = upgradeView(progress, {
      workflow: { workflowId: info.workflowId, url: webUiWorkflowUrl(this.sources.webUiUrl, this.sources.namespace, info.workflowId) },
      status,
      startedAt: info.startTime.toISOString(),
      closedAt: info.closeTime?.toISOString() ?? null,
      queryError,
    });
    if (status !== 'Running' && queryError === null) this.closed.set(info.runId, view);
    return view;
  }
}

/** Running before closed; among equals the one started last. */
function rank(info: WorkflowExecutionInfo): number {
  return (info.status.name === 'RUNNING' ? 1e15 : 0) + info.startTime.getTime();
}

/** `upgrade/<plane>/<n>` → plane, for upgrades started without the search attribute. */
function planeFromWorkflowId(workflowId: string): string | undefined {
  const match = /^upgrade\/([^/]+)\//.exec(workflowId);
  return match?.[1];
}

type Known = Pick<UpgradeView, 'workflow' | 'status' | 'startedAt' | 'closedAt' | 'queryError'>;

/** Reads a `progress` answer field by field: a missing or mistyped field takes its default. */
export function upgradeView(progress: unknown, known: Known): UpgradeView {
  const p = isRecord(progress) ? progress : {};
  return {
    ...known,
    state: text(p.state) ?? (known.status === 'Running' ? 'running' : known.status.toLowerCase()),
    step: whole(p.step) ?? 0,
    totalSteps: whole(p.totalSteps) ?? 0,
    stepName: text(p.stepName) ?? '',
    steps: names(p.steps),
    fromVersion: text(p.fromVersion),
    toVersion: text(p.toVersion),
    maxUnavailable: whole(p.maxUnavailable),
    canary: isRecord(p.canary) ? { agents: names(p.canary.agents), state: stepState(p.canary.state) } : null,
    waves: Array.isArray(p.waves) ? p.waves.flatMap((w: unknown, i) => (isRecord(w) ? [wave(w, i)] : [])) : [],
    agents: Array.isArray(p.agents) ? p.agents.flatMap((a: unknown) => (isRecord(a) && text(a.name) ? [agent(a)] : [])) : [],
    halted: p.halted === true,
    haltReason: text(p.haltReason),
    paused: p.paused === true,
    aborted: p.aborted === true,
    undoing: text(p.undoing),
    rolledBack: p.rolledBack === true,
    error: failure(p.error),
  };
}

function agent(a: Record<string, unknown>): UpgradeAgentView {
  return {
    name: text(a.name) ?? '',
    fromVersion: text(a.fromVersion),
    state: AGENT_STATES.find((s) => s === a.state) ?? 'pending',
    error: failure(a.error),
  };
}

/** `{ type, message }` → "TYPE: message"; anything else → null. */
function failure(value: unknown): string | null {
  return isRecord(value) ? [text(value.type), text(value.message)].filter(Boolean).join(': ') || null : null;
}

function wave(w: Record<string, unknown>, position: number): UpgradeWaveView {
  return { index: whole(w.index) ?? position + 1, agents: names(w.agents), state: stepState(w.state) };
}

function stepState(value: unknown): StepState {
  return STEP_STATES.find((s) => s === value) ?? 'pending';
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function whole(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
