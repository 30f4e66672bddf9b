/**
 * upgradePlane — a rolling upgrade of a plane's agents to one OpenClaw version (id `upgrade/<plane>/<n>`,
 * started by the plane entity, which owns the counter and refuses a second concurrent upgrade):
 *   for the canary, then each wave (planUpgrade: name order, canary N, then waves of maxUnavailable),
 *   at most maxUnavailable agents at a time:
 *     1. read the agent's state format, snapshot its boot disk (before anything touches it)
 *     2. set its version in instance metadata (the guest's version follower installs it in place)
 *     3. wait until its heartbeat reports the new version and healthy, within the health timeout
 *   after each stage, tell the plane which agents now run the new version.
 * A failure (or `abort`) halts the rollout and rolls every touched agent back to its previous version,
 * newest first, again at most maxUnavailable at a time; the workflow then fails with UPGRADE_HALTED
 * (or UPGRADE_ABORTED). Each agent's state format (guest-contract.ts) is read before its snapshot; at
 * rollback an agent whose state format changed (the new version migrated its on-disk state) is restored
 * from its pre-upgrade snapshot, the others only get their previous version back in metadata
 * (upgrade-rollback.ts). Upgrades started before this (no 'rollback-restores-state' patch marker in
 * their history) keep the metadata-only rollback.
 * `pause` takes effect before the next group of agents (the running group finishes); `resume` continues.
 * With `subset` (a request naming its agents, e.g. `planes update-agent --agent-version`) only those are
 * planned and the end report says so: the plane's own version stays.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentSpec, PlaneSpec } from '../domain/specs.js';
import type { AgentVersion } from '../domain/names.js';
import { batches, planUpgrade } from '../domain/upgrade-spec.js';
import { planeWorkflowId } from '../domain/workflow-ids.js';
import { OPERATION, PLANE_NAME } from '../temporal/search-attributes.js';
import { api, boot, compute } from './activity-policies.js';
import { describeFailure } from './saga.js';
import {
  abortUpgradeUpdate,
  pauseUpgradeUpdate,
  resumeUpgradeUpdate,
  upgradeReportSignal,
  type UpgradeProgress,
  type UpgradeReport,
} from './upgrade-messages.js';
import { UpgradeTracker } from './upgrade-tracker.js';
import { chooseRollback, restorePreUpgradeSnapshot } from './upgrade-rollback.js';

export interface UpgradePlaneInput {
  readonly plane: PlaneSpec;
  /** This upgrade's number in the plane (the n of its workflow id; names its snapshots). */
  readonly upgradeNumber: number;
  readonly toVersion: AgentVersion;
  readonly canary: number;
  readonly maxUnavailable: number;
  readonly healthTimeoutMs: number;
  /** The agents to upgrade, as the roster had them when the upgrade started. */
  readonly agents: readonly AgentSpec[];
  /** How long a VM rebuilt from its pre-upgrade snapshot may take to boot healthy (default: the health timeout). */
  readonly bootTimeoutMs?: number;
  /**
   * Set when the request named its agents (e.g. `planes update-agent --agent-version`): only these are
   * planned, and the end report says so, so the plane keeps its own version. Absent: the whole plane.
   */
  readonly subset?: readonly string[];
}

async function report(plane: PlaneSpec, body: UpgradeReport): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(planeWorkflowId(plane.name)).signal(upgradeReportSignal, body);
    } catch (error) {
      // The plane entity is gone (or this upgrade was started on its own): nothing to tell.
      log.warn('could not report to the plane entity', { error: describeFailure(error) });
    }
  });
}

export async function upgradePlane(input: UpgradePlaneInput): Promise<UpgradeProgress> {
  const { plane, toVersion, maxUnavailable } = input;
  const subset = input.subset ? new Set(input.subset) : undefined;
  const planned = subset ? input.agents.filter((a) => subset.has(a.name)) : input.agents;
  const byName = new Map(planned.map((a) => [a.name as string, a]));
  const plan = planUpgrade([...byName.keys()], input.canary, maxUnavailable);
  const tracker = new UpgradeTracker(toVersion, maxUnavailable, plan, new Map(planned.map((a) => [a.name, a.agentVersion])));
  const scope = subset ? { subset: true } : {};
  const selfId = workflowInfo().workflowId;
  const target = (agent: AgentSpec) => ({ plane, agent });
  let paused = false;
  let aborted = false;
  let finished = false;
  // Histories recorded before rollbacks could restore state replay without it (and without the reads).
  const restoresState = patched('rollback-restores-state');
  /** Per touched agent: the state format before the upgrade (null: none published) and its snapshot. */
  const before = new Map<string, { stateFormat: string | null; snapshot: string }>();

  const notFinished = () => {
    if (finished) throw ApplicationFailure.nonRetryable('this upgrade has already ended', 'UPGRADE_FINISHED');
  };
  setHandler(pauseUpgradeUpdate, () => {
    paused = true;
    tracker.setPaused(true);
    return tracker.snapshot();
  }, { validator: notFinished });
  setHandler(resumeUpgradeUpdate, () => {
    paused = false;
    tracker.setPaused(false);
    return tracker.snapshot();
  }, { validator: notFinished });
  setHandler(abortUpgradeUpdate, () => {
    aborted = true;
    tracker.setAborted();
    return tracker.snapshot();
  }, { validator: notFinished });

  upsertSearchAttributes([
    { key: PLANE_NAME, value: plane.name },
    { key: OPERATION, value: 'upgrade-plane' },
  ]);

  /** Agents whose version was (or may have been) changed, in order: the rollback set. */
  const touched: AgentSpec[] = [];

  async function upgradeOne(agent: AgentSpec): Promise<void> {
    try {
      tracker.agent(agent.name, 'snapshotting');
      const stateFormat = restoresState ? await api.readAgentStateFormat(target(agent)) : null;
      const snapshot = await compute.snapshotAgentDisk(target(agent), input.upgradeNumber);
      before.set(agent.name, { stateFormat, snapshot });
      // Registered before the change: a change that fails half-way is rolled back too (idempotent).
      touched.push(agent);
      tracker.agent(agent.name, 'upgrading', { snapshot, ...(stateFormat ? { stateFormat } : {}) });
      tracker.unavailableFrom(agent.name, Date.now());
      await compute.setAgentVersion(target(agent), toVersion);
      await boot.waitForAgentVersion(target(agent), toVersion, Date.now() + input.healthTimeoutMs);
      tracker.availableAt(agent.name, Date.now());
      tracker.agent(agent.name, 'upgraded');
    } catch (error) {
      tracker.agent(agent.name, 'failed', { error: describeFailure(error) });
      throw error;
    }
  }

  async function rollBackOne(agent: AgentSpec): Promise<boolean> {
    tracker.rollingBack(agent.name);
    tracker.agent(agent.name, 'rolling-back');
    tracker.unavailableFrom(agent.name, Date.now());
    try {
      const was = before.get(agent.name);
      const rollback = restoresState && was ? await chooseRollback(target(agent), was.stateFormat) : undefined;
      if (rollback) tracker.agent(agent.name, 'rolling-back', { rollback });
      if (rollback?.kind === 'restore' && was) {
        const restored = await restorePreUpgradeSnapshot(target(agent), was.snapshot, input.bootTimeoutMs ?? input.healthTimeoutMs);
        tracker.agent(agent.name, 'rolling-back', { rollback: { ...rollback, ...restored } });
      } else {
        await compute.setAgentVersion(target(agent), agent.agentVersion);
      }
      await boot.waitForAgentVersion(target(agent), agent.agentVersion, Date.now() + input.healthTimeoutMs);
      tracker.availableAt(agent.name, Date.now());
      tracker.agent(agent.name, 'rolled-back');
      return true;
    } catch (error) {
      log.error('rollback of an agent failed; continuing with the others', { agent: agent.name, error: describeFailure(error) });
      tracker.agent(agent.name, 'rollback-failed', { error: describeFailure(error) });
      return false;
    }
  }

  /** Runs one group to the end (never leaving a sibling in flight), then raises its first failure. */
  async function group(agents: readonly AgentSpec[]): Promise<void> {
    const results = await Promise.allSettled(agents.map(upgradeOne));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  try {
    for (let stage = 0; stage < tracker.stageCount; stage++) {
      const agents = tracker.stageAgents(stage).map((n) => byName.get(n)!);
      tracker.enterStage(stage);
      for (const batch of batches(agents, maxUnavailable)) {
        await condition(() => !paused || aborted);
        if (aborted) throw ApplicationFailure.nonRetryable('aborted by request', 'UPGRADE_ABORTED');
        await group(batch);
      }
      tracker.stageDone(stage);
      await report(plane, { workflowId: selfId, versions: agents.map((a) => ({ agent: a.name, version: toVersion })) });
    }
  } catch (error) {
    const failure = describeFailure(error);
    tracker.halt(aborted ? 'aborted' : `${failure.type}: ${failure.message}`, failure);
    const rolledBack = await CancellationScope.nonCancellable(async () => {
      let ok = true;
      for (const batch of batches([...touched].reverse(), maxUnavailable)) {
        const results = await Promise.all(batch.map(rollBackOne));
        ok = ok && results.every(Boolean);
      }
      tracker.rollingBack(undefined);
      return ok;
    });
    tracker.finish(false, rolledBack);
    finished = true;
    await report(plane, {
      workflowId: selfId,
      versions: touched.map((a) => ({ agent: a.name, version: a.agentVersion })),
      finished: { completed: false, toVersion, ...scope },
    });
    const restored = tracker.restoredAgents();
    throw ApplicationFailure.nonRetryable(
      `upgrade to ${toVersion} ${aborted ? 'aborted' : 'halted'}: ${failure.message}; ` +
        (rolledBack ? `${touched.length} touched agent(s) rolled back to their previous version` : 'some agents could not be rolled back (see progress)') +
        (restored.length > 0 ? ` (restored from the pre-upgrade snapshot, the new version had changed their state: ${restored.join(', ')})` : ''),
      aborted ? 'UPGRADE_ABORTED' : 'UPGRADE_HALTED',
    );
  }
  tracker.finish(true, false);
  finished = true;
  await report(plane, { workflowId: selfId, versions: [], finished: { completed: true, toVersion, ...scope } });
  return tracker.snapshot();
}
