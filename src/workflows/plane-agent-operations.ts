/**
 * The plane entity's part in operating running agents: the pause / resume / restart / rotate-secrets
 * Updates (validated: a known agent, a Ready plane, no upgrade running), their child workflows with
 * deterministic ids (`agent/<plane>/<agent>/<operation>/<n>`), the roster transitions when they report
 * back, and the link to the plane's health watch (`health/<plane>`): which agents it watches, and what
 * the plane does with its verdicts (restart within the budget, then mark Unhealthy and leave it).
 * Lives beside plane.ts so that the entity file stays a runbook; it holds no state of its own beyond
 * what it can rebuild (the roster carries the rest across continue-as-new).
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  startChild,
  type Workflow,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { DEFAULT_HEALTH_WATCH, mayAutoRestart, restartsInWindow, type HealthWatchSettings } from '../domain/health-watch.js';
import { InvalidInputError } from '../domain/invalid-input.js';
import { parseAgentName } from '../domain/names.js';
import { runtimeProfileJson } from '../domain/runtime-profile.js';
import type { PlaneSpec } from '../domain/specs.js';
import { agentOperationWorkflowId, healthWatchWorkflowId } from '../domain/workflow-ids.js';
import { agentSearchAttributes, OPERATION, PLANE_NAME } from '../temporal/search-attributes.js';
import {
  agentHealthSignal,
  pauseAgentsUpdate,
  restartAgentUpdate,
  resumeAgentsUpdate,
  rotateSecretsUpdate,
  watchAgentsSignal,
  type AgentOperationKind,
  type AgentOperationRequest,
  type AgentOperationsRecord,
  type AgentOperationStarted,
  type AgentOperationsResult,
  type WatchedAgent,
} from './agent-operation-messages.js';
import { pauseAgent, restartAgent, resumeAgent, rotateAgentSecrets, type AgentOperationInput } from './agent-operations.js';
import { healthWatch } from './health-watch.js';
import type { AgentOperationOutcome, AgentState, PlanePhase, RosterEntry } from './plane-messages.js';
import { describeFailure } from './saga.js';
import { invalidInputFailure as invalid } from './invalid-input-failure.js';

/** Marks, in a plane's history, that it runs the health watch (older histories replay without it). */
export const HEALTH_WATCH_PATCH = 'health-watch';

export interface PlaneView {
  readonly roster: Map<string, RosterEntry>;
  spec(): PlaneSpec;
  phase(): PlanePhase;
  /** The running upgrade's workflow id, if any. */
  activeUpgrade(): string | undefined;
  /** Why an operation on `agent` must wait for another plane operation (a reconcile repairing it), if it must. */
  busyWith?(agent: string | undefined): ApplicationFailure | undefined;
  readonly bootTimeoutMs: number;
  readonly health?: HealthWatchSettings;
}

interface OperationPlan {
  readonly workflow: Workflow;
  /** Roster state while it runs. */
  readonly running: AgentState;
  /** States it may start from; `done` means there is nothing to do. */
  readonly from: readonly AgentState[];
  readonly done?: AgentState;
  readonly success: AgentState;
  readonly searchName: string;
}

const PLANS: Record<AgentOperationKind, OperationPlan> = {
  pause: { workflow: pauseAgent, running: 'Pausing', from: ['Ready', 'Unhealthy'], done: 'Paused', success: 'Paused', searchName: 'pause-agent' },
  resume: { workflow: resumeAgent, running: 'Resuming', from: ['Paused', 'Unhealthy'], done: 'Ready', success: 'Ready', searchName: 'resume-agent' },
  restart: { workflow: restartAgent, running: 'Restarting', from: ['Ready', 'Unhealthy'], success: 'Ready', searchName: 'restart-agent' },
  'rotate-secrets': { workflow: rotateAgentSecrets, running: 'Restarting', from: ['Ready', 'Unhealthy'], success: 'Ready', searchName: 'rotate-secrets' },
};

/** Is `entry` running this very kind of operation (ids end `/<kind>/<n>`)? */
const running = (entry: RosterEntry, kind: AgentOperationKind) =>
  entry.state === PLANS[kind].running && (entry.operationId ?? '').endsWith(`/${kind}/${entry.operations?.count ?? 0}`);

const byName = (a: RosterEntry, b: RosterEntry) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0);

export class PlaneAgentOperations {
  private watching = false;
  private sentWatchKey: string | undefined;
  private readonly health: HealthWatchSettings;

  constructor(private readonly plane: PlaneView) {
    this.health = plane.health ?? DEFAULT_HEALTH_WATCH;
    const update = (kind: AgentOperationKind, field: string) => ({
      handler: (request: AgentOperationRequest & { healthTimeoutMs?: number }) => this.start(kind, request.agent, request.healthTimeoutMs),
      validator: (request: AgentOperationRequest) => this.validate(kind, request?.agent, field),
    });
    for (const [definition, kind, field] of [
      [pauseAgentsUpdate, 'pause', '--agent'],
      [resumeAgentsUpdate, 'resume', '--agent'],
      [rotateSecretsUpdate, 'rotate-secrets', '--agent'],
    ] as const) {
      const u = update(kind, field);
      setHandler(definition, u.handler, { validator: u.validator });
    }
    setHandler(restartAgentUpdate, (r) => this.start('restart', r.agent, r.healthTimeoutMs), {
      validator: (r) => {
        if (r?.agent === undefined) throw invalid('--name', 'is required');
        if (r.healthTimeoutMs !== undefined && !(Number.isInteger(r.healthTimeoutMs) && r.healthTimeoutMs > 0)) {
          throw invalid('--health-timeout', 'must be greater than zero');
        }
        this.validate('restart', r.agent, '--name');
      },
    });
    setHandler(agentHealthSignal, async ({ changes }) => {
      for (const change of changes) await this.healthChanged(change.agent, change.healthy, change.reason);
    });
  }

  private validate(kind: AgentOperationKind, agent: string | undefined, field: string): void {
    const { roster } = this.plane;
    const spec = this.plane.spec();
    if (this.plane.phase() !== 'Ready') {
      throw ApplicationFailure.nonRetryable(`plane ${spec.name} is ${this.plane.phase()}; its agents can be operated once it is Ready`, 'PLANE_NOT_READY');
    }
    if (this.plane.activeUpgrade()) {
      throw ApplicationFailure.nonRetryable(
        `an upgrade is running on plane ${spec.name} (${this.plane.activeUpgrade()}); wait for it to end or abort it with \`agents-plane planes upgrade-control\``,
        'UPGRADE_RUNNING',
      );
    }
    const busy = this.plane.busyWith?.(agent);
    if (busy) throw busy;
    if (agent === undefined) return;
    try {
      parseAgentName(agent, field);
    } catch (error) {
      if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
      throw error;
    }
    const entry = roster.get(agent);
    if (!entry) throw invalid(field, `no agent named ${agent} in plane ${spec.name}`);
    const plan = PLANS[kind];
    const joinable = running(entry, kind) || entry.state === plan.done;
    if (!joinable && !plan.from.includes(entry.state)) {
      throw ApplicationFailure.nonRetryable(`agent ${agent} is ${entry.state}; ${kind} needs it ${plan.from.join(' or ')}`, 'AGENT_NOT_READY');
    }
  }

  private async start(kind: AgentOperationKind, agent: string | undefined, healthTimeoutMs?: number): Promise<AgentOperationsResult> {
    const plan = PLANS[kind];
    const names = agent === undefined ? [...this.plane.roster.values()].sort(byName).map((e) => e.spec.name as string) : [agent];
    const started: AgentOperationStarted[] = [];
    const skipped: { name: string; state: string }[] = [];
    for (const name of names) {
      // Read again each time: another handler may have run while the previous child started.
      const entry = this.plane.roster.get(name);
      if (!entry) {
        skipped.push({ name, state: 'Absent' });
        continue;
      }
      // A rotation while a restart runs (both Restarting) is not a join: the running one is another operation.
      if (running(entry, kind)) {
        started.push({ name: entry.spec.name, state: entry.state, ...(entry.operationId ? { operationId: entry.operationId } : {}), joined: true });
      } else if (entry.state === plan.done) {
        started.push({ name: entry.spec.name, state: entry.state, joined: true });
      } else if (plan.from.includes(entry.state)) {
        const operationId = await this.startOperation(entry, kind, { healthTimeoutMs: healthTimeoutMs ?? this.plane.bootTimeoutMs });
        started.push({ name: entry.spec.name, state: plan.running, operationId, joined: false });
      } else {
        skipped.push({ name: entry.spec.name, state: entry.state });
      }
    }
    return { agents: started, skipped };
  }

  private async startOperation(
    entry: RosterEntry,
    kind: AgentOperationKind,
    options: { healthTimeoutMs: number; reason?: string; automatic?: boolean; autoRestarts?: readonly number[] },
  ): Promise<string> {
    const spec = this.plane.spec();
    const plan = PLANS[kind];
    const previous = entry.operations ?? { count: 0, restarts: 0, autoRestarts: [] };
    const count = previous.count + 1;
    const workflowId = agentOperationWorkflowId(spec.name, entry.spec.name, kind, count);
    const operations: AgentOperationsRecord = {
      count,
      restarts: previous.restarts,
      autoRestarts: options.autoRestarts ?? previous.autoRestarts,
      ...(options.automatic ? { automatic: true } : {}),
      ...(previous.unhealthyReason ? { unhealthyReason: previous.unhealthyReason } : {}),
    };
    this.plane.roster.set(entry.spec.name, { ...entry, state: plan.running, operationId: workflowId, since: Date.now(), operations });
    const input: AgentOperationInput = {
      plane: spec,
      agent: entry.spec,
      healthTimeoutMs: options.healthTimeoutMs,
      ...(options.reason ? { reason: options.reason } : {}),
    };
    await startChild(plan.workflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: agentSearchAttributes(spec.name, entry.spec, plan.searchName),
    });
    return workflowId;
  }

  /** Pauses an agent on the plane's own initiative (a budget's pause action): its workflow id, if it could start. */
  async pauseForPlane(agent: string, reason: string): Promise<string | undefined> {
    const entry = this.plane.roster.get(agent);
    if (!entry || !PLANS.pause.from.includes(entry.state)) return undefined;
    return this.startOperation(entry, 'pause', { healthTimeoutMs: this.plane.bootTimeoutMs, reason });
  }

  /** Whether `outcome` is the end of one of the operations of this file. */
  handles(outcome: AgentOperationOutcome): boolean {
    return outcome.kind in PLANS;
  }

  /** Roster transition when an operation of this file reports its end. */
  async finished(outcome: AgentOperationOutcome): Promise<void> {
    if (!(outcome.kind in PLANS)) return;
    const entry = this.plane.roster.get(outcome.agent);
    const plan = PLANS[outcome.kind as AgentOperationKind];
    // Removed meanwhile, or removal has taken over: its own report decides.
    if (!entry || entry.state !== plan.running) return;
    const { lastError: _lastError, ...rest } = entry;
    const previous = entry.operations ?? { count: 0, restarts: 0, autoRestarts: [] };
    const restarted = outcome.kind === 'restart' || outcome.kind === 'rotate-secrets';
    if (outcome.ok) {
      const operations: AgentOperationsRecord = {
        count: previous.count,
        restarts: previous.restarts + (restarted ? 1 : 0),
        // Recovered: an automatic restart keeps its place in the window; an admin's action clears it.
        autoRestarts: previous.automatic ? previous.autoRestarts : [],
      };
      this.plane.roster.set(outcome.agent, { ...rest, state: plan.success, since: Date.now(), operations });
      return;
    }
    if (outcome.kind === 'restart' && previous.automatic && mayAutoRestart(previous.autoRestarts, Date.now(), this.health)) {
      await this.autoRestart(entry, previous.unhealthyReason ?? outcome.error?.message ?? 'unhealthy');
      return;
    }
    const { automatic: _automatic, ...kept } = previous;
    this.plane.roster.set(outcome.agent, {
      ...rest,
      state: 'Unhealthy',
      since: Date.now(),
      operations: kept,
      ...(outcome.error ? { lastError: outcome.error } : {}),
    });
  }

  private async autoRestart(entry: RosterEntry, reason: string): Promise<void> {
    const now = Date.now();
    const recent = restartsInWindow(entry.operations?.autoRestarts ?? [], now, this.health.restartWindowMs);
    await this.startOperation(entry, 'restart', {
      healthTimeoutMs: this.plane.bootTimeoutMs,
      reason: `automatic: ${reason}`,
      automatic: true,
      autoRestarts: [...recent, now],
    });
  }

  private async healthChanged(agent: string, healthy: boolean, reason: string | undefined): Promise<void> {
    const entry = this.plane.roster.get(agent);
    if (!entry || this.plane.activeUpgrade() || this.plane.phase() !== 'Ready') return;
    const previous = entry.operations ?? { count: 0, restarts: 0, autoRestarts: [] };
    if (!healthy && entry.state === 'Ready') {
      const withReason = { ...entry, operations: { ...previous, unhealthyReason: reason ?? 'unhealthy' } };
      if (mayAutoRestart(previous.autoRestarts, Date.now(), this.health)) {
        await this.autoRestart(withReason, reason ?? 'unhealthy');
        return;
      }
      const recent = restartsInWindow(previous.autoRestarts, Date.now(), this.health.restartWindowMs).length;
      this.plane.roster.set(agent, {
        ...withReason,
        state: 'Unhealthy',
        since: Date.now(),
        lastError: { type: 'AGENT_UNHEALTHY', message: `${reason ?? 'unhealthy'} after ${recent} automatic restart(s); left for an admin (planes restart-agent)` },
      });
    } else if (healthy && entry.state === 'Unhealthy') {
      const { lastError: _lastError, ...rest } = entry;
      this.plane.roster.set(agent, { ...rest, state: 'Ready', since: Date.now(), operations: { count: previous.count, restarts: previous.restarts, autoRestarts: [] } });
    }
  }

  /** The agents the watch must look at: Ready and Unhealthy ones, none while an upgrade runs. */
  private watchList(): WatchedAgent[] {
    if (this.plane.phase() !== 'Ready' || this.plane.activeUpgrade()) return [];
    return [...this.plane.roster.values()]
      .filter((e) => e.state === 'Ready' || e.state === 'Unhealthy')
      .sort(byName)
      .map((e) => ({ spec: e.spec, unhealthy: e.state === 'Unhealthy' }));
  }

  private watchKey(): string {
    if (this.plane.phase() === 'Destroying') return 'stop';
    // The runtime profile too when there is one (its budget is watched); older rosters keep their key.
    return JSON.stringify(
      this.watchList().map((w) => [w.spec.name, w.spec.agentVersion, w.unhealthy, ...(w.spec.runtime ? [runtimeProfileJson(w.spec.runtime)] : [])]),
    );
  }

  /**
   * Starts the plane's health watch (or finds it running from an earlier run of the entity). Histories
   * recorded before the watch existed replay without it.
   */
  async startWatch(): Promise<void> {
    if (this.plane.phase() !== 'Ready' || !patched(HEALTH_WATCH_PATCH)) return;
    this.watching = true;
    const spec = this.plane.spec();
    // Taken before the start: a roster change while it starts is sent by the next sync.
    const key = this.watchKey();
    try {
      await startChild(healthWatch, {
        workflowId: healthWatchWorkflowId(spec.name),
        args: [{ plane: spec, settings: this.health, agents: this.watchList() }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: PLANE_NAME, value: spec.name },
          { key: OPERATION, value: 'health-watch' },
        ],
      });
      this.sentWatchKey = key;
    } catch (error) {
      // Started by an earlier run of this entity and still watching: the next sync brings it up to date.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** True when the watch's list no longer matches the roster. */
  watchOutOfDate(): boolean {
    return this.watching && this.watchKey() !== this.sentWatchKey;
  }

  async syncWatch(): Promise<void> {
    const key = this.watchKey();
    this.sentWatchKey = key;
    try {
      await getExternalWorkflowHandle(healthWatchWorkflowId(this.plane.spec().name)).signal(
        watchAgentsSignal,
        key === 'stop' ? { agents: [], stop: true } : { agents: this.watchList() },
      );
    } catch (error) {
      // Terminated from outside: agents go unwatched until the entity's next run starts it again.
      log.warn('could not reach the health watch', { error: describeFailure(error) });
    }
  }
}
