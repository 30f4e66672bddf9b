/**
 * plane — the entity workflow of one plane (id `plane/<name>`). It holds the plane's spec and its agent
 * roster, accepts validated Updates (add, remove, destroy), answers the status Query, and runs every
 * operation as a child workflow with a deterministic id. It continues-as-new when its history grows,
 * carrying the roster; children report back by signal, so none is lost across runs.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  log,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { InvalidInputError } from '../domain/invalid-input.js';
import { parseUpgradeRequest, type RawUpgradeRequest, type UpgradeRequest } from '../domain/upgrade-spec.js';
import { parseRestoreRequest, snapshotStamp, type RestoreRequest } from '../domain/backups.js';
import { parseAgentSpec } from '../domain/specs.js';
import type { AgentName } from '../domain/names.js';
import type { AgentRequest, AgentSpec, PlaneSpec } from '../domain/specs.js';
import {
  agentDeprovisionWorkflowId,
  agentProvisionWorkflowId,
  agentRestoreWorkflowId,
  planeDeprovisionWorkflowId,
  planeProvisionWorkflowId,
  reconcileWorkflowId,
  upgradeWorkflowId,
} from '../domain/workflow-ids.js';
import { INSPECTED_AGENT_STATES } from '../domain/drift.js';
import { agentSearchAttributes, OPERATION, PLANE_NAME } from '../temporal/search-attributes.js';
import {
  answerBackupTargets,
  backupTargetsRequestSignal,
  RESTORE_FAILED,
  RESTORE_ROLLED_BACK,
  restoreAgentUpdate,
  type RestoreAgentResult,
} from './backup-messages.js';
import { deprovisionAgent } from './deprovision-agent.js';
import { startReconcileUpdate, type StartReconcileResult } from './drift-messages.js';
import {
  addAgentUpdate,
  addAgentsUpdate,
  agentOperationFinishedSignal,
  MAX_AGENTS_PER_BATCH,
  destroyPlaneUpdate,
  planeStatusQuery,
  removeAgentUpdate,
  type AddAgentResult,
  type AgentOperationOutcome,
  type RemoveAgentResult,
  type PlanePhase,
  type RosterEntry,
} from './plane-messages.js';
import { provisionAgent } from './provision-agent.js';
import { reconcilePlane } from './reconcile-plane.js';
import { deprovisionPlane, provisionPlane } from './provision-plane.js';
import { restoreAgent } from './restore-agent.js';
import { describeFailure } from './saga.js';
import { PlaneAgentOperations } from './plane-agent-operations.js';
import { PlaneAgentResize } from './plane-agent-resize.js';
import { PlaneRuntime } from './plane-runtime.js';
import type { HealthWatchSettings } from '../domain/health-watch.js';
import { activeUpgradeQuery, startUpgradeUpdate, upgradeReportSignal, type StartUpgradeResult } from './upgrade-messages.js';
import { upgradePlane } from './upgrade-plane.js';
import {
  lastScheduledUpgradeQuery,
  requestScheduledUpgradeSignal,
  type ScheduledUpgradeOutcome,
} from './upgrade-window-messages.js';
import { invalidInputFailure as invalid } from './invalid-input-failure.js';

export interface PlaneSettings {
  /** How long an agent may take from VM creation to its first healthy heartbeat. */
  readonly bootTimeoutMs: number;
  /** The health watch's intervals and restart budget (absent: the defaults of domain/health-watch.ts). */
  readonly health?: HealthWatchSettings;
}

export interface PlaneInput {
  readonly spec: PlaneSpec;
  readonly settings: PlaneSettings;
  /** Carried across continue-as-new. */
  readonly phase?: PlanePhase;
  readonly roster?: readonly RosterEntry[];
  /** Agents whose removal waits for their provisioning to stop. */
  readonly pendingRemovals?: readonly AgentName[];
  /** Upgrades started so far (the n of `upgrade/<plane>/<n>`) and the one running, if any. */
  readonly upgrades?: number;
  readonly activeUpgrade?: string;
  /** Reconciles started so far (the n of `reconcile/<plane>/<n>`). */
  readonly reconciles?: number;
  /** What the latest upgrade window asked for and what came of it. */
  readonly lastScheduledUpgrade?: ScheduledUpgradeOutcome;
}

function notNow(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'PLANE_NOT_READY');
}

export async function plane(input: PlaneInput): Promise<PlanePhase> {
  // The plane's version for new agents moves when an upgrade completes.
  let spec = input.spec;
  let phase: PlanePhase = input.phase ?? 'Creating';
  let planeError: RosterEntry['lastError'];
  let planeOperationId: string | undefined;
  const roster = new Map<string, RosterEntry>((input.roster ?? []).map((e) => [e.spec.name, e]));
  const pendingRemovals = new Set<AgentName>(input.pendingRemovals ?? []);
  let upgrades = input.upgrades ?? 0;
  let activeUpgrade = input.activeUpgrade;
  let reconciles = input.reconciles ?? 0;
  // The running reconcile and the agents it repairs: they are not removed under it.
  let activeReconcile: { workflowId: string; agents: Set<string> } | undefined;
  const reconcileRefusal = (what: string, agent?: string) =>
    activeReconcile && (agent === undefined || activeReconcile.agents.has(agent))
      ? ApplicationFailure.nonRetryable(
          `a reconcile is running on plane ${spec.name} (${activeReconcile.workflowId}); ${what} once it ends`,
          'RECONCILE_RUNNING',
        )
      : undefined;
  let lastScheduledUpgrade = input.lastScheduledUpgrade;

  const set = (entry: RosterEntry) => roster.set(entry.spec.name, entry);
  const childSearchAttributes = (agent: AgentSpec, operation: string) => agentSearchAttributes(spec.name, agent, operation);

  async function startProvision(agent: AgentSpec): Promise<string> {
    const workflowId = agentProvisionWorkflowId(spec.name, agent.name);
    set({ spec: agent, state: 'Provisioning', operationId: workflowId, since: Date.now() });
    await startChild(provisionAgent, {
      workflowId,
      args: [{ plane: spec, agent, bootTimeoutMs: input.settings.bootTimeoutMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: childSearchAttributes(agent, 'provision-agent'),
    });
    return workflowId;
  }

  async function startDeprovision(agent: AgentSpec): Promise<string> {
    const workflowId = agentDeprovisionWorkflowId(spec.name, agent.name);
    set({ spec: agent, state: 'Removing', operationId: workflowId, since: Date.now() });
    await startChild(deprovisionAgent, {
      workflowId,
      args: [{ plane: spec, agent }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: childSearchAttributes(agent, 'deprovision-agent'),
    });
    return workflowId;
  }

  /** Removal of an agent; while it is still provisioning, that is cancelled first (its undos run). */
  async function requestRemoval(entry: RosterEntry): Promise<RosterEntry> {
    if (entry.state === 'Removing') return entry;
    if (entry.state === 'Restoring') {
      // The restore runs to its end (it never leaves the agent without a VM); its report starts the removal.
      pendingRemovals.add(entry.spec.name);
      set({ ...entry, state: 'Removing', since: Date.now() });
      return roster.get(entry.spec.name) ?? entry;
    }
    if (entry.state === 'Provisioning') {
      pendingRemovals.add(entry.spec.name);
      set({ ...entry, state: 'Removing', since: Date.now() });
      await getExternalWorkflowHandle(agentProvisionWorkflowId(spec.name, entry.spec.name)).cancel();
    } else {
      await startDeprovision(entry.spec);
    }
    return roster.get(entry.spec.name) ?? entry;
  }

  setHandler(planeStatusQuery, () => ({
    spec,
    phase,
    ...(planeOperationId ? { operationId: planeOperationId } : {}),
    ...(planeError ? { lastError: planeError } : {}),
    agents: [...roster.values()],
  }));

  // Adding an agent, shared by the one-agent Update and the batch one (a fleet from `planes apply`).
  const addAgent = async (raw: AgentRequest): Promise<AddAgentResult> => {
    const agent = parseAgentSpec(raw, spec);
    const existing = roster.get(agent.name);
    if (existing && existing.state !== 'Failed') {
      return { operationId: existing.operationId ?? '', joined: true, state: existing.state };
    }
    const operationId = await startProvision(agent);
    return { operationId, joined: false, state: 'Provisioning' };
  };
  const validateAddAgent = (raw: AgentRequest, field = (name: string) => name): void => {
    let agent: AgentSpec;
    try {
      agent = parseAgentSpec(raw, spec);
    } catch (error) {
      if (error instanceof InvalidInputError) throw invalid(field(error.field), error.rule);
      throw error;
    }
    if (agent.plane !== spec.name) throw invalid(field('--plane'), `this is plane ${spec.name}`);
    if (phase !== 'Ready') throw notNow(`plane ${spec.name} is ${phase}; agents can be added once it is Ready`);
    const existing = roster.get(agent.name);
    if (existing && existing.spec.owner !== agent.owner) {
      throw invalid(field('--name'), `agent ${agent.name} already exists in plane ${spec.name} with another owner`);
    }
    if (existing?.state === 'Removing') throw notNow(`agent ${agent.name} is being removed; add it again once it is gone`);
  };
  setHandler(addAgentUpdate, addAgent, { validator: (raw) => validateAddAgent(raw) });

  /**
   * Many agents in one Update: validated all together (one bad request refuses the whole batch, naming
   * its index), then every provisioning child is started in the same workflow task. Temporal admits only
   * a few Updates in flight per workflow, so a fleet added one Update per agent waits on round trips.
   */
  setHandler(addAgentsUpdate, (raws) => Promise.all(raws.map(addAgent)), {
    validator: (raws) => {
      if (!Array.isArray(raws) || raws.length === 0 || raws.length > MAX_AGENTS_PER_BATCH) {
        throw invalid('agents', `must be a list of 1 to ${MAX_AGENTS_PER_BATCH} agents`);
      }
      const seen = new Set<string>();
      raws.forEach((raw, i) => {
        validateAddAgent(raw, (name) => `agents[${i}] ${name}`);
        if (seen.has(String(raw.name))) throw invalid(`agents[${i}] --name`, `agent ${String(raw.name)} is in the batch twice`);
        seen.add(String(raw.name));
      });
    },
  });

  setHandler(
    removeAgentUpdate,
    async (name: AgentName): Promise<RemoveAgentResult> => {
      const entry = roster.get(name);
      if (!entry) return { state: 'Absent' };
      const after = await requestRemoval(entry);
      return { state: after.state, ...(after.operationId ? { operationId: after.operationId } : {}) };
    },
    {
      validator: (name: AgentName) => {
        if (phase === 'Creating') throw notNow(`plane ${spec.name} is still being created`);
        const reconciling = reconcileRefusal(`remove agent ${name}`, name);
        if (reconciling) throw reconciling;
      },
    },
  );

  setHandler(
    destroyPlaneUpdate,
    async () => {
      if (phase === 'Ready' || phase === 'Failed') {
        phase = 'Destroying';
        for (const entry of roster.values()) await requestRemoval(entry);
      }
      return phase;
    },
    {
      validator: () => {
        if (phase === 'Creating') throw notNow(`plane ${spec.name} is still being created`);
        const reconciling = reconcileRefusal('destroy the plane');
        if (reconciling) throw reconciling;
      },
    },
  );

  /**
   * A rolling upgrade of the Ready agents not yet on the version (one at a time per plane). Agents added
   * while it runs get the plane's version at that moment (the old one until the upgrade completes) and
   * are not part of it; a later `planes upgrade` to the same version picks them up. A request naming
   * its agents (`planes update-agent --agent-version`) upgrades only those, under the same rules, and
   * leaves the plane's own version as it is.
   */
  const upgradeRefusal = () =>
    activeUpgrade
      ? ApplicationFailure.nonRetryable(
          `an upgrade is already running on plane ${spec.name} (${activeUpgrade}); pause, resume or abort it with \`agents-plane planes upgrade-control\``,
          'UPGRADE_RUNNING',
        )
      : undefined;
  setHandler(activeUpgradeQuery, () => ({ workflowId: activeUpgrade ?? null }));
  // The start path and its validation, shared by the Update (a person) and the Signal (an upgrade window).
  const startUpgrade = async (raw: RawUpgradeRequest): Promise<StartUpgradeResult> => {
    const refusal = upgradeRefusal();
    if (refusal) throw refusal;
    const request: UpgradeRequest = parseUpgradeRequest(raw);
    const agents = [...roster.values()]
      .filter((e) => e.state === 'Ready' && e.spec.agentVersion !== request.toVersion)
      .filter((e) => request.agents === undefined || request.agents.includes(e.spec.name))
      .map((e) => e.spec)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    upgrades += 1;
    const workflowId = upgradeWorkflowId(spec.name, upgrades);
    activeUpgrade = workflowId;
    const child = await startChild(upgradePlane, {
      workflowId,
      args: [{ plane: spec, upgradeNumber: upgrades, ...request, agents, bootTimeoutMs: input.settings.bootTimeoutMs, ...(request.agents ? { subset: request.agents } : {}) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: PLANE_NAME, value: spec.name },
        { key: OPERATION, value: 'upgrade-plane' },
      ],
    });
    // Its own report clears it first; this covers an upgrade terminated or timed out (the entity does
    // not continue-as-new while one runs, so this run sees it end).
    const ended = () => {
      if (activeUpgrade === workflowId) activeUpgrade = undefined;
    };
    void child.result().then(ended, ended);
    return { workflowId, agents: agents.length };
  };
  const validateUpgradeStart = (raw: RawUpgradeRequest): void => {
    let request: UpgradeRequest;
    try {
      request = parseUpgradeRequest(raw);
    } catch (error) {
      if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
      throw error;
    }
    for (const name of request.agents ?? []) {
      if (!roster.has(name)) throw invalid('--name', `no agent named ${name} in plane ${spec.name}`);
    }
    if (phase !== 'Ready') throw notNow(`plane ${spec.name} is ${phase}; it can be upgraded once it is Ready`);
    const notReady = (request.agents ?? []).map((name) => roster.get(name)!).find((e) => e.state !== 'Ready');
    if (notReady) {
      throw ApplicationFailure.nonRetryable(`agent ${notReady.spec.name} is ${notReady.state}; only a Ready agent can be upgraded`, 'AGENT_NOT_READY');
    }
    const refusal = upgradeRefusal();
    if (refusal) throw refusal;
    const reconciling = reconcileRefusal('upgrade it');
    if (reconciling) throw reconciling;
  };
  setHandler(startUpgradeUpdate, startUpgrade, { validator: validateUpgradeStart });

  // A signal cannot be rejected: what the Update's validator would refuse is recorded instead.
  setHandler(lastScheduledUpgradeQuery, () => lastScheduledUpgrade ?? null);
  setHandler(requestScheduledUpgradeSignal, async ({ request, requestedBy }) => {
    const base = { requestedBy, at: Date.now(), toVersion: String(request.toVersion) };
    try {
      validateUpgradeStart(request);
      const started = await startUpgrade(request);
      lastScheduledUpgrade = { ...base, outcome: 'started', ...started };
    } catch (error) {
      lastScheduledUpgrade = { ...base, outcome: 'refused', reason: describeFailure(error) };
      log.warn('scheduled upgrade refused', { requestedBy, reason: lastScheduledUpgrade.reason });
    }
  });

  /**
   * Reconcile: re-runs the ensure steps for the plane and every Ready (or Paused) agent and reports what
   * it repaired. One at a time per plane (a second request joins); not while an upgrade runs.
   */
  setHandler(
    startReconcileUpdate,
    async (): Promise<StartReconcileResult> => {
      if (activeReconcile) return { workflowId: activeReconcile.workflowId, joined: true, agents: activeReconcile.agents.size };
      const agents = [...roster.values()].filter((e) => INSPECTED_AGENT_STATES.includes(e.state)).map((e) => ({ spec: e.spec, state: e.state }));
      reconciles += 1;
      const workflowId = reconcileWorkflowId(spec.name, reconciles);
      activeReconcile = { workflowId, agents: new Set(agents.map((a) => a.spec.name)) };
      const child = await startChild(reconcilePlane, {
        workflowId,
        args: [{ plane: spec, agents, bootTimeoutMs: input.settings.bootTimeoutMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: PLANE_NAME, value: spec.name },
          { key: OPERATION, value: 'reconcile-plane' },
        ],
      });
      const ended = () => {
        if (activeReconcile?.workflowId === workflowId) activeReconcile = undefined;
      };
      void child.result().then(ended, ended);
      return { workflowId, joined: false, agents: agents.length };
    },
    {
      validator: () => {
        if (phase !== 'Ready') throw notNow(`plane ${spec.name} is ${phase}; it can be reconciled once it is Ready`);
        if (activeUpgrade) throw notNow(`an upgrade is running on plane ${spec.name} (${activeUpgrade}); reconcile once it ends`);
      },
    },
  );

  setHandler(upgradeReportSignal, (r) => {
    for (const { agent, version } of r.versions) {
      const entry = roster.get(agent);
      if (entry) set({ ...entry, spec: { ...entry.spec, agentVersion: version as AgentSpec['agentVersion'] } });
    }
    if (r.finished && r.workflowId === activeUpgrade) {
      activeUpgrade = undefined;
      if (r.finished.completed && !r.finished.subset) spec = { ...spec, agentVersion: r.finished.toVersion as PlaneSpec['agentVersion'] };
    }
  });

  // Pause, resume, restart, rotate-secrets and the health watch (plane-agent-operations.ts).
  const agentOperations = new PlaneAgentOperations({
    roster,
    spec: () => spec,
    phase: () => phase,
    activeUpgrade: () => activeUpgrade,
    busyWith: (agent) => reconcileRefusal('operate on it', agent),
    bootTimeoutMs: input.settings.bootTimeoutMs,
    ...(input.settings.health ? { health: input.settings.health } : {}),
  });

  // Resizing an agent's VM to another machine type (plane-agent-resize.ts).
  const agentResize = new PlaneAgentResize({
    roster,
    spec: () => spec,
    phase: () => phase,
    activeUpgrade: () => activeUpgrade,
    busyWith: (agent) => reconcileRefusal('resize it', agent),
    bootTimeoutMs: input.settings.bootTimeoutMs,
  });

  // update-agent and budget alerts (plane-runtime.ts).
  const runtimeProfiles = new PlaneRuntime({
    roster,
    spec: () => spec,
    phase: () => phase,
    activeUpgrade: () => activeUpgrade,
    busyWith: (agent) => reconcileRefusal('update it', agent),
    bootTimeoutMs: input.settings.bootTimeoutMs,
    pause: (agent, reason) => agentOperations.pauseForPlane(agent, reason),
  });

  setHandler(agentOperationFinishedSignal, async (outcome: AgentOperationOutcome) => {
    const entry = roster.get(outcome.agent);
    if (!entry) return;
    if (runtimeProfiles.handles(outcome)) {
      runtimeProfiles.finished(outcome);
      return;
    }
    if (agentOperations.handles(outcome)) {
      await agentOperations.finished(outcome);
      return;
    }
    if (agentResize.handles(outcome)) {
      agentResize.finished(outcome);
      return;
    }
    if (outcome.kind === 'deprovision') {
      if (outcome.ok) roster.delete(outcome.agent);
      else set({ ...entry, state: 'Failed', since: Date.now(), ...(outcome.error ? { lastError: outcome.error } : {}) });
      return;
    }
    if (pendingRemovals.delete(outcome.agent)) {
      // Its provisioning stopped (undone or finished): now remove whatever may remain.
      await startDeprovision(entry.spec);
      return;
    }
    if (outcome.kind === 'restore') {
      // A restore that failed but put the agent back on its previous disk leaves it Ready (with the error).
      const ready = outcome.ok || outcome.error?.type === RESTORE_ROLLED_BACK;
      if (!ready) log.warn('restore left the agent without a healthy VM', { agent: outcome.agent, error: outcome.error });
      const { lastError: _previous, ...rest } = entry;
      set({ ...rest, state: ready ? 'Ready' : 'Failed', since: Date.now(), ...(outcome.error ? { lastError: outcome.error } : {}) });
      return;
    }
    set({
      ...entry,
      state: outcome.ok ? 'Ready' : 'Failed',
      since: Date.now(),
      ...(outcome.error ? { lastError: outcome.error } : {}),
    });
  });

  // Backups (scheduled or on demand) ask for the Ready agents of this moment.
  setHandler(backupTargetsRequestSignal, (request) => answerBackupTargets(request, spec, phase, roster.values()));

  /** A restore of one Ready agent from one of its snapshots; the agent is Restoring until it reports. */
  setHandler(
    restoreAgentUpdate,
    async (raw): Promise<RestoreAgentResult> => {
      const request: RestoreRequest = parseRestoreRequest(raw);
      const entry = roster.get(request.agent)!;
      const stamp = snapshotStamp(Date.now());
      const workflowId = agentRestoreWorkflowId(spec.name, entry.spec.name, stamp);
      set({ ...entry, state: 'Restoring', operationId: workflowId, since: Date.now() });
      await startChild(restoreAgent, {
        workflowId,
        args: [{ plane: spec, agent: entry.spec, snapshot: request.snapshot, stamp, bootTimeoutMs: input.settings.bootTimeoutMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: childSearchAttributes(entry.spec, 'restore-agent'),
      });
      return { workflowId, safetySnapshotStamp: stamp };
    },
    {
      validator: (raw) => {
        let request: RestoreRequest;
        try {
          request = parseRestoreRequest(raw);
        } catch (error) {
          if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
          throw error;
        }
        if (phase !== 'Ready') throw notNow(`plane ${spec.name} is ${phase}; agents can be restored once it is Ready`);
        const entry = roster.get(request.agent);
        if (!entry) throw invalid('--agent', `no agent named ${request.agent} in plane ${spec.name}`);
        // A Failed agent too when a restore failed it (left without a VM): restoring again is the way back.
        const afterFailedRestore = entry.state === 'Failed' && entry.lastError?.type === RESTORE_FAILED;
        if (entry.state !== 'Ready' && !afterFailedRestore) throw notNow(`agent ${request.agent} is ${entry.state}; only a Ready agent can be restored`);
        const refusal = upgradeRefusal();
        if (refusal) throw refusal;
      },
    },
  );

  upsertSearchAttributes([
    { key: PLANE_NAME, value: spec.name },
    { key: OPERATION, value: 'plane' },
  ]);

  if (phase === 'Creating') {
    planeOperationId = planeProvisionWorkflowId(spec.name);
    try {
      await executeChild(provisionPlane, {
        workflowId: planeOperationId,
        args: [spec],
        typedSearchAttributes: [
          { key: PLANE_NAME, value: spec.name },
          { key: OPERATION, value: 'provision-plane' },
        ],
      });
      phase = 'Ready';
    } catch (error) {
      // Its undos have run. The closed run stays queryable (the CLI reads why); `planes create` again
      // starts a fresh run under the same id.
      phase = 'Failed';
      planeError = describeFailure(error);
      throw ApplicationFailure.nonRetryable(`plane ${spec.name} could not be created: ${planeError.message}`, planeError.type);
    }
  }

  await agentOperations.startWatch();
  for (;;) {
    // Not while an upgrade runs: this run watches it end (terminated included), which a new run cannot.
    await condition(
      () =>
        (phase === 'Destroying' && roster.size === 0) ||
        (workflowInfo().continueAsNewSuggested && allHandlersFinished() && activeUpgrade === undefined && activeReconcile === undefined) ||
        agentOperations.watchOutOfDate(),
    );
    if (agentOperations.watchOutOfDate()) {
      // The health watch follows the roster (and stops when the plane is destroyed).
      await agentOperations.syncWatch();
      continue;
    }
    if (phase === 'Destroying' && roster.size === 0) break;
    await continueAsNew<typeof plane>({
      spec,
      settings: input.settings,
      phase,
      roster: [...roster.values()],
      pendingRemovals: [...pendingRemovals],
      upgrades,
      ...(activeUpgrade ? { activeUpgrade } : {}),
      ...(reconciles > 0 ? { reconciles } : {}),
      ...(lastScheduledUpgrade ? { lastScheduledUpgrade } : {}),
    });
  }

  planeOperationId = planeDeprovisionWorkflowId(spec.name);
  await executeChild(deprovisionPlane, {
    workflowId: planeOperationId,
    args: [spec],
    typedSearchAttributes: [
      { key: PLANE_NAME, value: spec.name },
      { key: OPERATION, value: 'deprovision-plane' },
    ],
  });
  phase = 'Destroyed';
  return phase;
}
