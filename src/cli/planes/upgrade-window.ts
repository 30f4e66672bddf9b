/**
 * Upgrade windows: `planes upgrade --plane --version --window "<cron>"` keeps a Temporal Schedule
 * `upgrade-window/<plane>` whose action starts an `upgradeWindow` workflow on this deployment's task queue;
 * that workflow asks the plane entity to start the rolling upgrade (which refuses, and records, a second
 * one while one runs). Overlap policy SKIP: a window never queues behind a previous one. `--list-windows`
 * shows it with its next run and what the last window did; `--remove-window` deletes it; `planes destroy`
 * deletes it too.
 */
import {
  isGrpcServiceError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Command } from 'commander';
import { parseCronWindow, type CronWindow } from '../../domain/cron.js';
import { InvalidInputError } from '../../domain/invalid-input.js';
import { parsePlaneName, type PlaneName } from '../../domain/names.js';
import type { UpgradeRequest } from '../../domain/upgrade-spec.js';
import { planeWorkflowId, upgradeWindowScheduleId } from '../../domain/workflow-ids.js';
import { OPERATION, PLANE_NAME } from '../../temporal/search-attributes.js';
import { taskQueueFromEnv } from '../../temporal/task-queue.js';
import { lastScheduledUpgradeQuery, type ScheduledUpgradeOutcome, type UpgradeWindowInput } from '../../workflows/upgrade-window-messages.js';
import type { upgradeWindow } from '../../workflows/upgrade-window.js';
import { runCommand, table, type CommandResult } from '../command.js';
import { runningPlane } from './plane-handle.js';
import { withSession } from './session.js';
import { upgradeRequestFromFlags, type UpgradeFlags } from './upgrade-flags.js';

/** A window missed while Temporal was down still runs if it is back within this long; later, it waits for the next one. */
export const WINDOW_CATCHUP = '15 minutes';

/** The window's cron travels in the action's input (a schedule's memo cannot be updated; its input can). */
export interface WindowActionInput extends UpgradeWindowInput {
  readonly window: CronWindow;
}

export interface UpgradeWindowView {
  readonly scheduleId: string;
  readonly window: string;
  readonly toVersion: string;
  readonly canary: number | null;
  readonly maxUnavailable: number | null;
  readonly healthTimeoutMs: number | null;
  readonly taskQueue: string | null;
  readonly paused: boolean;
  /** ISO times of the next firings (the first few). */
  readonly nextRuns: readonly string[];
  readonly lastFiredAt: string | null;
  /** What the plane did with the latest window's request (from its `lastScheduledUpgrade` Query). */
  readonly lastOutcome: ScheduledUpgradeOutcome | null;
}

export interface UpgradeWindowResult {
  readonly plane: string;
  readonly action: 'created' | 'updated' | 'listed' | 'removed' | 'absent';
  readonly windows: readonly UpgradeWindowView[];
}

function scheduleAction(plane: PlaneName, window: CronWindow, request: UpgradeRequest): ScheduleOptionsStartWorkflowAction<typeof upgradeWindow> {
  const input: WindowActionInput = { plane, request, window };
  return {
    type: 'startWorkflow',
    workflowType: 'upgradeWindow',
    args: [input],
    taskQueue: taskQueueFromEnv(),
    workflowId: upgradeWindowScheduleId(plane),
    typedSearchAttributes: [
      { key: PLANE_NAME, value: plane },
      { key: OPERATION, value: 'upgrade-window' },
    ],
  };
}

const GRPC_INVALID_ARGUMENT = 3;

/** Temporal refused the schedule as invalid (a cron the check above let through): still the window's fault, exit 2. */
function windowRejected(error: unknown): Error {
  const grpc = isGrpcServiceError(error) ? error : error instanceof Error && isGrpcServiceError(error.cause) ? error.cause : undefined;
  if (grpc?.code === GRPC_INVALID_ARGUMENT) {
    return new InvalidInputError('--window', `Temporal refused the schedule: ${grpc.details.split('\n')[0]}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Creates the plane's window, or replaces its cron and upgrade settings when it exists. */
export async function setUpgradeWindow(client: Client, plane: PlaneName, window: CronWindow, request: UpgradeRequest): Promise<UpgradeWindowResult> {
  await runningPlane(client, plane);
  const scheduleId = upgradeWindowScheduleId(plane);
  const spec = { cronExpressions: [window] };
  const action = scheduleAction(plane, window, request);
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: WINDOW_CATCHUP };
  let outcome: UpgradeWindowResult['action'] = 'created';
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, typedSearchAttributes: [{ key: PLANE_NAME, value: plane }] });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw windowRejected(error);
    outcome = 'updated';
    try {
      await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
    } catch (updateError) {
      throw windowRejected(updateError);
    }
  }
  return { plane, action: outcome, windows: await listUpgradeWindows(client, plane) };
}

/** The plane's window, if any. A window whose plane is gone still shows (and can be removed). */
export async function listUpgradeWindows(client: Client, plane: PlaneName): Promise<UpgradeWindowView[]> {
  let description: ScheduleDescription;
  try {
    description = await client.schedule.getHandle(upgradeWindowScheduleId(plane)).describe();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await runningPlane(client, plane);
    return [];
  }
  // A plane that is gone, or runs code without this Query yet, has nothing to say about it.
  const lastOutcome = await client.workflow
    .getHandle(planeWorkflowId(plane))
    .query(lastScheduledUpgradeQuery)
    .catch(() => null);
  return [windowView(description, lastOutcome)];
}

export function windowView(d: ScheduleDescription, lastOutcome: ScheduledUpgradeOutcome | null): UpgradeWindowView {
  const input = (d.action.args?.[0] ?? {}) as Partial<WindowActionInput>;
  const request = (input.request ?? {}) as Partial<UpgradeRequest>;
  const fired = d.info.recentActions.at(-1);
  return {
    scheduleId: d.scheduleId,
    window: input.window ?? '(unknown)',
    toVersion: String(request.toVersion ?? ''),
    canary: request.canary ?? null,
    maxUnavailable: request.maxUnavailable ?? null,
    healthTimeoutMs: request.healthTimeoutMs ?? null,
    taskQueue: d.action.taskQueue ?? null,
    paused: d.state.paused,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    lastFiredAt: fired ? fired.takenAt.toISOString() : null,
    lastOutcome,
  };
}

/** Deletes the plane's window; false when there was none. `planes destroy` calls it too. */
export async function deleteUpgradeWindow(client: Client, plane: PlaneName): Promise<boolean> {
  try {
    await client.schedule.getHandle(upgradeWindowScheduleId(plane)).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

export function renderUpgradeWindows(r: UpgradeWindowResult): string {
  if (r.action === 'removed') return `upgrade window of plane ${r.plane} removed`;
  if (r.windows.length === 0) return `plane ${r.plane} has no upgrade window`;
  const rows = r.windows.map((w) => [w.scheduleId, w.window, w.toVersion, w.paused ? 'paused' : (w.nextRuns[0] ?? '-'), outcomeText(w.lastOutcome)]);
  const head = r.action === 'listed' ? '' : `upgrade window ${r.action}\n`;
  return `${head}${table(['SCHEDULE', 'WINDOW (UTC)', 'VERSION', 'NEXT RUN', 'LAST WINDOW'], rows)}`;
}

function outcomeText(o: ScheduledUpgradeOutcome | null): string {
  if (!o) return '-';
  const at = new Date(o.at).toISOString();
  return o.outcome === 'started' ? `${at} started ${o.workflowId ?? ''}` : `${at} refused: ${o.reason?.type ?? ''}`;
}

/** The window flags, validated before anything is created; `--version` and the rest go through parseUpgradeRequest. */
export function windowMode(o: { window?: string; listWindows?: boolean; removeWindow?: boolean }): 'set' | 'list' | 'remove' | undefined {
  const modes = [o.window !== undefined ? 'set' : undefined, o.listWindows ? 'list' : undefined, o.removeWindow ? 'remove' : undefined].filter(
    (m): m is 'set' | 'list' | 'remove' => m !== undefined,
  );
  if (modes.length > 1) throw new InvalidInputError('--window', 'give one of --window, --list-windows and --remove-window');
  return modes[0];
}

interface WindowOptions extends UpgradeFlags {
  plane?: string;
  window?: string;
  listWindows?: boolean;
  removeWindow?: boolean;
}

/** Runs `upgradeNow` unless a window flag is given: then the window command (its own --json result and exit codes). */
export function withWindowFlags(upgradeNow: (...args: unknown[]) => Promise<void>): (...args: unknown[]) => Promise<void> {
  const windows = runCommand<WindowOptions, UpgradeWindowResult>(async (o) => upgradeWindowCommand(o));
  return (...args) => {
    const o = (args[args.length - 1] as Command).opts<WindowOptions>();
    return o.window !== undefined || o.listWindows || o.removeWindow ? windows(...args) : upgradeNow(...args);
  };
}

async function upgradeWindowCommand(o: WindowOptions): Promise<CommandResult<UpgradeWindowResult>> {
  const mode = windowMode(o);
  const plane = parsePlaneName(o.plane);
  const human = renderUpgradeWindows;
  if (mode === 'set') {
    const window = parseCronWindow(o.window);
    const request = upgradeRequestFromFlags(o);
    return withSession(async (session) => ({ data: await setUpgradeWindow(await session.temporal(), plane, window, request), human }));
  }
  return withSession(async (session) => {
    const client = await session.temporal();
    if (mode === 'list') return { data: { plane, action: 'listed', windows: await listUpgradeWindows(client, plane) }, human };
    if (await deleteUpgradeWindow(client, plane)) return { data: { plane, action: 'removed', windows: [] }, human };
    // Nothing to remove: fine for a plane that exists, bad input otherwise.
    await runningPlane(client, plane);
    return { data: { plane, action: 'absent', windows: [] }, human };
  });
}
