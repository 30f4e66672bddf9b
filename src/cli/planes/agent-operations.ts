/**
 * What `planes pause`, `resume`, `restart-agent` and `rotate-secrets` share: sending the plane's Update,
 * following every operation it started (live progress per agent) until its workflow closes, and the
 * result rows: each agent's final roster state, its operation and whether it failed. Exit 1 when any
 * operation failed; the rows are still printed on stderr so the person sees which.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { PlaneName } from '../../domain/names.js';
import type { AgentOperationsResult } from '../../workflows/agent-operation-messages.js';
import { planeStatusQuery, type AgentState } from '../../workflows/plane-messages.js';
import { OperationFailedError, table, type Output } from '../command.js';
import { runningPlane, updateError, type PlaneHandle } from './plane-handle.js';
import { ProgressView, sleep } from './progress.js';
import { withSession } from './session.js';

export interface AgentOperationRow {
  readonly name: string;
  readonly state: string;
  readonly operationId: string | null;
  /** True when this command joined an operation already running (or found it already done). */
  readonly joined: boolean;
  readonly error: string | null;
}

export interface AgentOperationsView<R = unknown> {
  readonly plane: string;
  readonly operation: string;
  readonly agents: readonly (AgentOperationRow & { readonly result?: R })[];
  readonly skipped: readonly { readonly name: string; readonly state: string }[];
}

/** The innermost failure's message: the activity's own words, not the wrappers'. */
function failureMessage(error: unknown): string {
  let e: unknown = error instanceof WorkflowFailedError ? error.cause : error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** Follows one operation workflow until it closes, showing its steps. */
async function follow<R>(client: Client, operationId: string, out: Output, label: string): Promise<{ result?: R; error?: string }> {
  const handle = client.workflow.getHandle(operationId);
  let closed = false;
  const outcome = handle.result().then(
    (result: R) => ({ result }),
    (error: unknown) => ({ error: failureMessage(error) }),
  );
  void outcome.finally(() => (closed = true));
  const view = new ProgressView(client, out, label);
  while (!closed) {
    await view.show(operationId);
    await Promise.race([sleep(500), outcome]);
  }
  return outcome;
}

const TRANSITIONAL: readonly AgentState[] = ['Pausing', 'Resuming', 'Restarting', 'Resizing'];

export async function followAgentOperations<R>(
  client: Client,
  handle: PlaneHandle,
  plane: string,
  operation: string,
  started: AgentOperationsResult,
  out: Output,
  wait: boolean,
): Promise<AgentOperationsView<R>> {
  for (const s of started.skipped) out.info(`agent ${s.name} is ${s.state}: left alone`);
  const rows = await Promise.all(
    started.agents.map(async (a) => {
      if (!wait || !a.operationId) return { ...a, result: undefined as R | undefined, error: null as string | null };
      const { result, error } = await follow<R>(client, a.operationId, out, `agent ${a.name}`);
      return { ...a, result, error: error ?? null };
    }),
  );
  // The operation reports to the plane just before it closes: give the roster a moment to show it.
  let states = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    const status = await handle.query(planeStatusQuery);
    states = new Map(status.agents.map((e) => [e.spec.name as string, e.state as string]));
    if (!wait || rows.every((r) => !TRANSITIONAL.includes(states.get(r.name) as AgentState))) break;
    await sleep(250);
  }
  const view: AgentOperationsView<R> = {
    plane,
    operation,
    agents: rows.map((r) => ({
      name: r.name,
      state: states.get(r.name) ?? 'Absent',
      operationId: r.operationId ?? null,
      joined: r.joined,
      error: r.error,
      ...(r.result === undefined ? {} : { result: r.result }),
    })),
    skipped: started.skipped,
  };
  const failed = view.agents.filter((a) => a.error);
  if (failed.length > 0) {
    out.info(renderAgentOperations(view));
    // A resize that was rolled back leaves its agent Ready (on its old machine type).
    const after = failed.every((a) => a.state === 'Ready')
      ? 'the agent is Ready as it was before'
      : 'the agent is marked Unhealthy until it reports healthy or an admin acts';
    throw new OperationFailedError(
      `${operation} failed for ${failed.map((a) => `agent ${a.name} (${a.error})`).join('; ')}; ${after}`,
      'AGENT_OPERATION_FAILED',
    );
  }
  return view;
}

export function renderAgentOperations(view: AgentOperationsView, extra?: (row: AgentOperationsView['agents'][number]) => string): string {
  if (view.agents.length === 0) return `${view.operation}: no agent of plane ${view.plane} to act on`;
  const rows = view.agents.map((a) => [a.name, a.state, a.operationId ?? '-', a.error ?? (extra ? extra(a) : '')]);
  return table(['AGENT', 'STATE', 'OPERATION', extra ? 'DETAIL' : 'ERROR'], rows);
}

/**
 * A whole command: the plane's Update with `request`, one line per agent it started (`starting(name)`)
 * or joined, then (unless --no-wait) every operation followed to its end.
 */
export async function runAgentOperation<Req, R = unknown>(
  update: UpdateDefinition<AgentOperationsResult, [Req]>,
  request: Req,
  target: { readonly plane: PlaneName; readonly operation: string; readonly wait: boolean },
  out: Output,
  starting: (name: string) => string,
): Promise<AgentOperationsView<R>> {
  return withSession(async (session) => {
    const client = await session.temporal();
    const { handle } = await runningPlane(client, target.plane);
    let started: AgentOperationsResult;
    try {
      started = await handle.executeUpdate(update, { args: [request] });
    } catch (error) {
      throw updateError(error);
    }
    for (const a of started.agents) {
      out.info(a.joined ? `agent ${a.name} is ${a.state}${a.operationId ? ` (${a.operationId}); following it` : ''}` : `${starting(a.name)} (workflow ${a.operationId})`);
    }
    return followAgentOperations<R>(client, handle, target.plane, target.operation, started, out, target.wait);
  });
}
