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
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { InvalidInputError } from '../domain/invalid-input.js';
import { parseUpgradeRequest, type UpgradeRequest } from '../domain/upgrade-spec.js';
import { parseAgentSpec } from '../domain/specs.js';
import type { AgentName } from '../domain/names.js';
import type { AgentSpec, PlaneSpec } from '../domain/specs.js';
import {
  agentDeprovisionWorkflowId,
  agentProvisionWorkflowId,
  planeDeprovisionWorkflowId,
  planeProvisionWorkflowId,
  upgradeWorkflowId,
} from '../domain/workflow-ids.js';
import { AGENT_NAME, AGENT_OWNER, OPERATION, PLANE_NAME } from '../temporal/search-attributes.js';
import { deprovisionAgent } from './deprovision-agent.js';
import {
  addAgentUpdate,
  agentOperationFinishedSignal,
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
import { deprovisionPlane, provisionPlane } from './provision-plane.js';
import { describeFailure } from './saga.js';
import { PlaneAgentOperations } from './plane-agent-operations.js';
import type { HealthWatchSettings } from '../domain/health-watch.js';
import { activeUpgradeQuery, startUpgradeUpdate, upgradeReportSignal, type StartUpgradeResult } from './upgrade-messages.js';
import { upgradePlane } from './upgrade-plane.js';

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
}

/** Errors a validator raises are the caller's fault: the CLI maps INVALID_INPUT to exit 2. */
function invalid(field: string, rule: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`invalid ${field}: ${rule}`, 'INVALID_INPUT', { field, rule });
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

  const set = (entry: RosterEntry) => roster.set(entry.spec.name, entry);
  const childSearchAttributes = (agent: AgentSpec, operation: string) => [
    { key: PLANE_NAME, value: spec.name },
    { key: AGENT_NAME, value: agent.name },
    { key: AGENT_OWNER, value: agent.owner },
    { key: OPERATION, value: operation },
  ];

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

  setHandler(
    addAgentUpdate,
    async (raw): Promise<AddAgentResult> => {
      const agent = parseAgentSpec(raw, spec);
      const existing = roster.get(agent.name);
      if (existing && existing.state !== 'Failed') {
        return { operationId: existing.operationId ?? '', joined: true, state: existing.state };
      }
      const operationId = await startProvision(agent);
      return { operationId, joined: false, state: 'Provisioning' };
    },
    {
      validator: (raw) => {
        let agent: AgentSpec;
        try {
          agent = parseAgentSpec(raw, spec);
        } catch (error) {
          if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
          throw error;
        }
        if (agent.plane !== spec.name) throw invalid('--plane', `this is plane ${spec.name}`);
        if (phase !== 'Ready') throw notNow(`plane ${spec.name} is ${phase}; agents can be added once it is Ready`);
        const existing = roster.get(agent.name);
        if (existing && existing.spec.owner !== agent.owner) {
          throw invalid('--name', `agent ${agent.name} already exists in plane ${spec.name} with another owner`);
        }
        if (existing?.state === 'Removing') throw notNow(`agent ${agent.name} is being removed; add it again once it is gone`);
      },
    },
  );

  setHandler(
    removeAgentUpdate,
    async (name: AgentName): Promise<RemoveAgentResult> => {
      const entry = roster.get(name);
      if (!entry) return { state: 'Absent' };
      const after = await requestRemoval(entry);
      return { state: after.state, ...(after.operationId ? { operationId: after.operationId } : {}) };
    },
    {
      validator: (_name: AgentName) => {
        if (phase === 'Creating') throw notNow(`plane ${spec.name} is still being created`);
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
      },
    },
  );

  /**
   * A rolling upgrade of the Ready agents not yet on the version (one at a time per plane). Agents added
   * while it runs get the plane's version at that moment (the old one until the upgrade completes) and
   * are not part of it; a later `planes upgrade` to the same version picks them up.
   */
  const upgradeRefusal = () =>
    activeUpgrade
      ? ApplicationFailure.nonRetryable(
          `an upgrade is already running on plane ${spec.name} (${activeUpgrade}); pause, resume or abort it with \`agents-plane planes upgrade-control\``,
          'UPGRADE_RUNNING',
        )
      : undefined;
  setHandler(activeUpgradeQuery, () => ({ workflowId: activeUpgrade ?? null }));
  setHandler(
    startUpgradeUpdate,
    async (raw): Promise<StartUpgradeResult> => {
      const refusal = upgradeRefusal();
      if (refusal) throw refusal;
      const request: UpgradeRequest = parseUpgradeRequest(raw);
      const agents = [...roster.values()]
        .filter((e) => e.state === 'Ready' && e.spec.agentVersion !== request.toVersion)
        .map((e) => e.spec)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      upgrades += 1;
      const workflowId = upgradeWorkflowId(spec.name, upgrades);
      activeUpgrade = workflowId;
      const child = await startChild(upgradePlane, {
        workflowId,
        args: [{ plane: spec, upgradeNumber: upgrades, ...request, agents }],
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
    },
    {
      validator: (raw) => {
        try {
          parseUpgradeRequest(raw);
        } catch (error) {
          if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
          throw error;
        }
        if (phase !== 'Ready') throw notNow(`plane ${spec.name} is ${phase}; it can be upgraded once it is Ready`);
        const refusal = upgradeRefusal();
        if (refusal) throw refusal;
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
      if (r.finished.completed) spec = { ...spec, agentVersion: r.finished.toVersion as PlaneSpec['agentVersion'] };
    }
  });

  // Pause, resume, restart, rotate-secrets and the health watch (plane-agent-operations.ts).
  const agentOperations = new PlaneAgentOperations({
    roster,
    spec: () => spec,
    phase: () => phase,
    activeUpgrade: () => activeUpgrade,
    bootTimeoutMs: input.settings.bootTimeoutMs,
    ...(input.settings.health ? { health: input.settings.health } : {}),
  });

  setHandler(agentOperationFinishedSignal, async (outcome: AgentOperationOutcome) => {
    const entry = roster.get(outcome.agent);
    if (!entry) return;
    if (agentOperations.handles(outcome)) {
      await agentOperations.finished(outcome);
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
    set({
      ...entry,
      state: outcome.ok ? 'Ready' : 'Failed',
      since: Date.now(),
      ...(outcome.error ? { lastError: outcome.error } : {}),
    });
  });

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
        (workflowInfo().continueAsNewSuggested && allHandlersFinished() && activeUpgrade === undefined) ||
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
