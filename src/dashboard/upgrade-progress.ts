/**
 * Upgrades as the dashboard sees them: upgradePlane workflows found through Temporal visibility (one list
 * call for the whole fleet, grouped by the PlaneName search attribute), each asked for its `progress`
 * Query. The Query's base shape is OperationProgress (src/workflows/progress.ts); the upgrade adds
 * optional fields, read here tolerantly so that the page shows whatever the workflow reports:
 *
 *   fromVersion?, toVersion?: string
 *   canary?: { agents: string[]; state: 'pending' | 'running' | 'done' | 'failed' | 'rolled-back' }
 *   waves?: { index: number; agents: string[]; state: <same> }[]
 *   halted?: boolean; haltReason?: string; paused?: boolean; rolledBack?: boolean
 *
 * A finished upgrade stays on the page for RECENT_WINDOW_MS; its final progress is read once and kept
 * (a closed run never changes), so showing it costs no replay per refresh.
 */
import type { Client, WorkflowExecutionInfo, WorkflowExecutionStatusName } from '@temporalio/client';
import { PLANE_NAME } from '../temporal/search-attributes.js';
import { webUiWorkflowUrl, type StepState, type UpgradeView, type UpgradeWaveView } from './fleet-snapshot.js';

export const UPGRADE_WORKFLOW_TYPE = 'upgradePlane';
export const RECENT_WINDOW_MS = 60 * 60 * 1000;

export interface UpgradeSources {
  readonly temporal: Client;
  readonly namespace: string;
  readonly webUiUrl: string | null;
  readonly queryTimeoutMs: number;
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

export class UpgradeTracker {
  /** Final views of closed runs, by run id. */
  private readonly closed = new Map<string, UpgradeView>();

  constructor(private readonly sources: UpgradeSources) {}

  /**
   * The upgrade to show per plane: the running one, else the most recent one closed within the window.
   * Visibility is one query; only running upgrades are queried on every refresh.
   */
  async byPlane(now: number): Promise<Map<string, UpgradeView>> {
    const since = new Date(now - RECENT_WINDOW_MS).toISOString();
    const query = `WorkflowType = '${UPGRADE_WORKFLOW_TYPE}' AND (ExecutionStatus = 'Running' OR CloseTime > '${since}')`;
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
      progress = await this.sources.temporal.connection.withDeadline(Date.now() + this.sources.queryTimeoutMs, () => handle.query<unknown>('progress'));
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
  const error = isRecord(p.error) ? [text(p.error.type), text(p.error.message)].filter(Boolean).join(': ') || null : null;
  return {
    ...known,
    state: text(p.state) ?? (known.status === 'Running' ? 'running' : known.status.toLowerCase()),
    step: whole(p.step) ?? 0,
    totalSteps: whole(p.totalSteps) ?? 0,
    stepName: text(p.stepName) ?? '',
    steps: names(p.steps),
    fromVersion: text(p.fromVersion),
    toVersion: text(p.toVersion),
    canary: isRecord(p.canary) ? { agents: names(p.canary.agents), state: stepState(p.canary.state) } : null,
    waves: Array.isArray(p.waves) ? p.waves.flatMap((w: unknown, i) => (isRecord(w) ? [wave(w, i)] : [])) : [],
    halted: p.halted === true,
    haltReason: text(p.haltReason),
    paused: p.paused === true,
    rolledBack: p.rolledBack === true,
    error,
  };
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
