/**
 * reconcilePlane (id `reconcile/<plane>/<n>`, started by the plane entity, which refuses removals,
 * destroy and upgrades while it runs) — puts a plane back to what design §4 says:
 *   1. inspect drift (what is wrong before)
 *   2. re-run the plane's ensure steps: they re-create what is missing and restore altered firewall rules
 *   3. for each agent, ten at a time, re-run its ensure steps (service account, secrets with their
 *      exact grants, owner grants; for a Ready agent also its VM), start its VM if it was stopped by
 *      hand, and wait for a healthy heartbeat
 *   4. inspect again: repaired = before − after
 * No undos: every step only creates what is missing, and a failure must never remove a working agent.
 * A failing step stops that agent's repair (later steps build on it), is reported, and the rest go on.
 * A Paused agent's VM is neither created nor started (it is meant to be stopped).
 */
import { workflowInfo } from '@temporalio/workflow';
import { driftKey, INSPECTED_AGENT_STATES, type DriftItem } from '../domain/drift.js';
import type { AgentTarget } from '../domain/targets.js';
import { batches } from '../domain/upgrade-spec.js';
import { boot, compute } from './activity-policies.js';
import type { DriftInspectionInput, InspectedAgent, ReconcileFailure, ReconcileReport } from './drift-messages.js';
import { agentSteps, planeSteps } from './gcp-steps.js';
import { inspectDrift } from './inspect-plane-drift.js';
import { ProgressTracker } from './progress.js';
import { describeFailure, type SagaStep } from './saga.js';

export interface ReconcilePlaneInput extends DriftInspectionInput {
  /** How long a VM started by the reconcile may take to report healthy. */
  readonly bootTimeoutMs: number;
}

const AGENTS_AT_ONCE = 10;
/** The agent steps that act on its VM (skipped for a Paused agent whose VM is gone). */
const VM_STEPS = new Set(['instance', 'owner-os-login', 'owner-iap-tunnel']);

/** Runs steps in order; the first failure is recorded and stops the rest (they build on it). */
async function runInOrder(steps: readonly SagaStep[], agent: string | undefined, failures: ReconcileFailure[]): Promise<boolean> {
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      failures.push({ ...(agent ? { agent } : {}), step: step.name, error: describeFailure(error) });
      return false;
    }
  }
  return true;
}

function agentRepairSteps(t: AgentTarget, agent: InspectedAgent, before: readonly DriftItem[], bootDeadline: number): SagaStep[] {
  const ensure = agentSteps(t, { bootDeadline }).filter((s) => s.name !== 'first-heartbeat');
  if (agent.state !== 'Ready') {
    const vmGone = before.some((d) => d.agent === t.agent.name && d.kind === 'missing' && d.resource.startsWith('instance '));
    return ensure.filter((s) => s.name !== 'instance' && !(vmGone && VM_STEPS.has(s.name)));
  }
  return [
    ...ensure,
    { name: 'start-stopped-vm', run: () => compute.startStoppedAgentInstance(t) },
    { name: 'healthy-heartbeat', run: () => boot.waitForFirstHeartbeat(t, bootDeadline) },
  ];
}

export async function reconcilePlane(input: ReconcilePlaneInput): Promise<ReconcileReport> {
  const progress = new ProgressTracker('reconcile-plane', ['inspect', 'plane-resources', 'agents', 're-inspect']);
  const failures: ReconcileFailure[] = [];

  progress.enter(0);
  const before = (await inspectDrift(input)).drift;

  progress.enter(1);
  await runInOrder(planeSteps(input.plane), undefined, failures);

  progress.enter(2);
  const bootDeadline = Date.now() + input.bootTimeoutMs;
  const agents = input.agents.filter((a) => INSPECTED_AGENT_STATES.includes(a.state));
  for (const group of batches(agents, AGENTS_AT_ONCE)) {
    await Promise.all(
      group.map((a) => {
        const t: AgentTarget = { plane: input.plane, agent: a.spec };
        return runInOrder(agentRepairSteps(t, a, before, bootDeadline), a.spec.name, failures);
      }),
    );
  }

  progress.enter(3);
  const after = (await inspectDrift(input)).drift;
  const still = new Set(after.map(driftKey));
  progress.finish(failures.length === 0);
  return {
    plane: input.plane.name,
    workflowId: workflowInfo().workflowId,
    before,
    repaired: before.filter((d) => !still.has(driftKey(d))),
    remaining: after,
    failures,
  };
}
