/**
 * healthWatch — one per plane (id `health/<plane>`), started by the plane entity. Every check interval
 * it reads the watched agents' instance status and guest heartbeat in one activity, and tells the plane
 * (Signal `agentHealth`) only when an agent's verdict changes: Ready → unhealthy after
 * `unhealthyAfterChecks` bad checks in a row (stale heartbeat, health not ok, VM not RUNNING), or an
 * Unhealthy agent → healthy again. The plane decides what to do (restart within budget, or mark
 * Unhealthy) and keeps the watch's list current (Signal `watchAgents`): only Ready and Unhealthy agents,
 * none while an upgrade runs, so Paused, Provisioning, Removing or restarting agents are never touched.
 * Continues-as-new with its memory every CHECKS_PER_RUN checks; ends when the plane says stop or is gone.
 */
import { condition, continueAsNew, getExternalWorkflowHandle, log, patched, setHandler } from '@temporalio/workflow';
import { thresholdsReached } from '../domain/budget.js';
import { unhealthyReason } from '../domain/health-watch.js';
import type { AgentSpec } from '../domain/specs.js';
import { planeWorkflowId } from '../domain/workflow-ids.js';
import { watch } from './activity-policies.js';
import { agentHealthSignal, watchAgentsSignal, type HealthChange, type HealthWatchInput, type WatchedAgent } from './agent-operation-messages.js';
import { budgetAlertSignal, type BudgetAlertMessage } from './runtime-messages.js';
import { describeFailure } from './saga.js';

/** Marks a watch that reports budget thresholds (histories from before it replay without). */
export const BUDGET_ALERTS_PATCH = 'runtime-budget-alerts';

interface Watched {
  spec: AgentSpec;
  /** The verdict the plane holds (the last one reported, or the one it sent). */
  unhealthy: boolean;
  /** Consecutive bad checks. */
  bad: number;
  /** Bumped when the agent (re)joins the list: a check that started before is not about it. */
  generation: number;
  /** The highest budget threshold reported for `month` (the plane records each once anyway). */
  budget?: { month: string; level: number };
}

/**
 * A long plane life is many checks: a fresh run every this many keeps the history small (a check is
 * about 8 events). Counted rather than following continueAsNewSuggested, so the run changes at a
 * predictable pace (2 h at the default interval) instead of whenever a test server suggests it.
 */
const CHECKS_PER_RUN = 240;

export async function healthWatch(input: HealthWatchInput): Promise<void> {
  const { plane, settings } = input;
  let generation = 0;
  let stopped = false;
  const memory = new Map((input.memory ?? []).map((m) => [m.agent, m]));
  const fresh = (w: WatchedAgent, bad = 0, unhealthy = w.unhealthy): Watched => ({ spec: w.spec, unhealthy, bad, generation: ++generation });
  let watched = new Map<string, Watched>(
    input.agents.map((w) => {
      const m = memory.get(w.spec.name);
      const kept = m && m.unhealthy === w.unhealthy ? fresh(w, m.bad) : fresh(w);
      return [w.spec.name, m?.budget ? { ...kept, budget: m.budget } : kept];
    }),
  );

  setHandler(watchAgentsSignal, (message) => {
    if (message.stop) {
      stopped = true;
      return;
    }
    const next = new Map<string, Watched>();
    for (const w of message.agents) {
      const previous = watched.get(w.spec.name);
      // Same agent, same verdict on both sides: keep counting; otherwise it starts over.
      next.set(w.spec.name, previous && previous.unhealthy === w.unhealthy ? { ...previous, spec: w.spec } : fresh(w));
    }
    watched = next;
  });

  /**
   * Budget thresholds newly reached by what the agents report spending, sent to the plane (which records
   * each once a month and runs the cap's action). Only agents whose profile has a budget ever send.
   */
  async function reportBudgets(observations: readonly { agent: string; spend?: BudgetAlertMessage['spend']; readError?: string }[], asked: Map<string, number>) {
    const alerts: BudgetAlertMessage[] = [];
    for (const o of observations) {
      const w = watched.get(o.agent);
      const budget = w?.spec.runtime?.budget;
      if (!w || !budget || !o.spend || o.readError || w.generation !== asked.get(o.agent)) continue;
      const raised = w.budget?.month === o.spend.month ? w.budget.level : 0;
      const reached = thresholdsReached(o.spend, budget, raised);
      if (reached.length === 0) continue;
      w.budget = { month: o.spend.month, level: Math.max(...reached) };
      alerts.push({ agent: o.agent, spend: o.spend, thresholds: reached });
    }
    if (alerts.length === 0 || !patched(BUDGET_ALERTS_PATCH)) return;
    for (const alert of alerts) {
      try {
        await getExternalWorkflowHandle(planeWorkflowId(plane.name)).signal(budgetAlertSignal, alert);
      } catch (error) {
        log.warn('could not report a budget alert to the plane', { agent: alert.agent, error: describeFailure(error) });
      }
    }
  }

  /** One check of every watched agent; false when the plane is gone. */
  async function check(): Promise<boolean> {
    if (watched.size === 0) return true;
    const asked = new Map([...watched.values()].map((w) => [w.spec.name as string, w.generation]));
    let observations;
    try {
      observations = await watch.observeAgents(plane, [...watched.values()].map((w) => w.spec));
    } catch (error) {
      // Reads that failed past their retries: no verdict this round, the watch goes on.
      log.warn('health check failed; trying again next interval', { error: describeFailure(error) });
      return true;
    }
    await reportBudgets(observations, asked);
    const changes: HealthChange[] = [];
    for (const o of observations) {
      const w = watched.get(o.agent);
      if (!w || w.generation !== asked.get(o.agent) || o.readError) continue;
      const reason = unhealthyReason(o, o.observedAt, settings.staleAfterMs);
      w.bad = reason ? w.bad + 1 : 0;
      const unhealthy = reason ? w.bad >= settings.unhealthyAfterChecks || w.unhealthy : false;
      if (unhealthy !== w.unhealthy) {
        w.unhealthy = unhealthy;
        changes.push({ agent: o.agent, healthy: !unhealthy, ...(reason ? { reason } : {}) });
      }
    }
    if (changes.length === 0) return true;
    try {
      await getExternalWorkflowHandle(planeWorkflowId(plane.name)).signal(agentHealthSignal, { changes });
      return true;
    } catch (error) {
      log.warn('the plane entity is gone; the health watch ends', { error: describeFailure(error) });
      return false;
    }
  }

  for (let checks = 0; checks < CHECKS_PER_RUN; checks++) {
    if (await condition(() => stopped, settings.checkIntervalMs)) return;
    if (!(await check())) return;
  }
  await continueAsNew<typeof healthWatch>({
    plane,
    settings,
    agents: [...watched.values()].map((w) => ({ spec: w.spec, unhealthy: w.unhealthy })),
    memory: [...watched.values()].map((w) => ({ agent: w.spec.name, bad: w.bad, unhealthy: w.unhealthy, ...(w.budget ? { budget: w.budget } : {}) })),
  });
}
