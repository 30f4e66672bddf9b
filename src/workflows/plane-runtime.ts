/**
 * The plane entity's part in agents' runtime profiles: the `updateAgent` Update (validated: a known,
 * Ready agent, a Ready plane, no upgrade or reconcile on it, a valid profile change), the
 * reconfigureAgent child it starts (id `agent/<plane>/<agent>/reconfigure/<n>`, in place: same VM),
 * the roster while it runs (`Reconfiguring`) and when it reports, and the budget: alerts the health
 * watch raises at 80%, 95% and 100% of an agent's monthly cap are recorded once per month and threshold,
 * and at 100% the profile's action runs (degrade: economy tier through the same reconfiguration; pause:
 * the pause operation). Every alert and action is in the roster, so `planes status` shows it.
 */
import { ApplicationFailure, ParentClosePolicy, log, setHandler, startChild } from '@temporalio/workflow';
import { thresholdLabel, type BudgetAlert } from '../domain/budget.js';
import { InvalidInputError } from '../domain/invalid-input.js';
import { parseAgentName } from '../domain/names.js';
import { renderRuntime } from '../domain/runtime-metadata.js';
import {
  effectiveRuntimeProfile,
  hasRuntimeFields,
  MODEL_TIER_MODELS,
  parseRuntimeProfile,
  runtimeProfileJson,
  type AgentRuntimeProfile,
} from '../domain/runtime-profile.js';
import { agentOperationWorkflowId } from '../domain/workflow-ids.js';
import { agentSearchAttributes } from '../temporal/search-attributes.js';
import type { PlaneView } from './plane-agent-operations.js';
import type { AgentOperationOutcome, AgentState, RosterEntry, RuntimeRecord } from './plane-messages.js';
import { reconfigureAgent } from './reconfigure-agent.js';
import { budgetAlertSignal, updateAgentUpdate, type BudgetAlertMessage, type UpdateAgentRequest, type UpdateAgentResult } from './runtime-messages.js';
import { invalidInputFailure as invalid } from './invalid-input-failure.js';

/** What the entity shows this part: the same view as the agent operations' (its bootTimeoutMs bounds a profile's apply), and a pause. */
export interface PlaneRuntimeView extends Omit<PlaneView, 'health'> {
  /** Starts the pause operation for `agent` (a budget's pause action); its workflow id, or undefined when it cannot. */
  pause(agent: string, reason: string): Promise<string | undefined>;
}

/** States a profile can be changed in: the VM runs (an Unhealthy agent may be fixed by a new profile). */
const RECONFIGURABLE: readonly AgentState[] = ['Ready', 'Unhealthy'];

export class PlaneRuntime {
  constructor(private readonly plane: PlaneRuntimeView) {
    setHandler(updateAgentUpdate, (r) => this.update(r), { validator: (r) => void this.validate(r) });
    setHandler(budgetAlertSignal, (m) => this.budgetAlert(m));
  }

  /** The validated new profile of the agent named in `r`. */
  private validate(r: UpdateAgentRequest): { entry: RosterEntry; profile: AgentRuntimeProfile } {
    const spec = this.plane.spec();
    if (this.plane.phase() !== 'Ready') {
      throw ApplicationFailure.nonRetryable(`plane ${spec.name} is ${this.plane.phase()}; its agents can be updated once it is Ready`, 'PLANE_NOT_READY');
    }
    try {
      parseAgentName(r?.agent, '--name');
    } catch (error) {
      if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
      throw error;
    }
    const entry = this.plane.roster.get(r.agent);
    if (!entry) throw invalid('--name', `no agent named ${r.agent} in plane ${spec.name}`);
    if (!r.runtime || !hasRuntimeFields(r.runtime)) {
      throw invalid('--name', 'nothing to change: give at least one profile flag (--channels, --model-tier, --heartbeat, ...)');
    }
    let profile: AgentRuntimeProfile;
    try {
      profile = parseRuntimeProfile(r.runtime, effectiveRuntimeProfile(entry.spec.runtime));
    } catch (error) {
      if (error instanceof InvalidInputError) throw invalid(error.field, error.rule);
      throw error;
    }
    if (this.plane.activeUpgrade()) {
      throw ApplicationFailure.nonRetryable(`an upgrade is running on plane ${spec.name} (${this.plane.activeUpgrade()}); update the agent once it ends`, 'UPGRADE_RUNNING');
    }
    const busy = this.plane.busyWith?.(r.agent);
    if (busy) throw busy;
    if (!RECONFIGURABLE.includes(entry.state)) {
      throw ApplicationFailure.nonRetryable(`agent ${r.agent} is ${entry.state}; update-agent needs it ${RECONFIGURABLE.join(' or ')}`, 'AGENT_NOT_READY');
    }
    return { entry, profile };
  }

  private async update(r: UpdateAgentRequest): Promise<UpdateAgentResult> {
    const { entry, profile } = this.validate(r);
    const digest = renderRuntime(profile).digest;
    if (entry.spec.runtime && runtimeProfileJson(entry.spec.runtime) === runtimeProfileJson(profile)) {
      return { operationId: entry.operationId ?? '', profile, digest, unchanged: true };
    }
    const operationId = await this.startReconfigure(entry, profile, 'planes update-agent');
    return { operationId, profile, digest, unchanged: false };
  }

  private async startReconfigure(entry: RosterEntry, profile: AgentRuntimeProfile, reason: string): Promise<string> {
    const spec = this.plane.spec();
    const previous = entry.operations ?? { count: 0, restarts: 0, autoRestarts: [] };
    const count = previous.count + 1;
    const workflowId = agentOperationWorkflowId(spec.name, entry.spec.name, 'reconfigure', count);
    const agent = { ...entry.spec, runtime: profile };
    // The roster holds the desired profile from now on; the agent is back to Ready when the guest has it.
    this.plane.roster.set(agent.name, { ...entry, spec: agent, state: 'Reconfiguring', operationId: workflowId, since: Date.now(), operations: { ...previous, count } });
    await startChild(reconfigureAgent, {
      workflowId,
      args: [{ plane: spec, agent, applyTimeoutMs: this.plane.bootTimeoutMs, reason }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: agentSearchAttributes(spec.name, agent, 'reconfigure-agent'),
    });
    return workflowId;
  }

  handles(outcome: AgentOperationOutcome): boolean {
    return outcome.kind === 'reconfigure';
  }

  /** The reconfiguration ended: Ready either way (the VM never stopped); a failure is recorded. */
  finished(outcome: AgentOperationOutcome): void {
    const entry = this.plane.roster.get(outcome.agent);
    if (!entry || entry.state !== 'Reconfiguring') return;
    const { lastReconfigureError: _previous, ...record } = entry.runtime ?? { alerts: [] };
    const runtime: RuntimeRecord = { ...record, ...(outcome.ok ? {} : { lastReconfigureError: outcome.error ?? { type: 'FAILED', message: 'reconfiguration failed' } }) };
    this.plane.roster.set(outcome.agent, { ...entry, state: 'Ready', since: Date.now(), runtime });
  }

  /** Thresholds the health watch saw crossed: each recorded once per month; at 100% the action runs. */
  private async budgetAlert(m: BudgetAlertMessage): Promise<void> {
    const entry = this.plane.roster.get(m.agent);
    const budget = entry?.spec.runtime?.budget;
    if (!entry || !budget) return;
    // Alerts of an earlier month are dropped: a new month starts from zero.
    const alerts = (entry.runtime?.alerts ?? []).filter((a) => a.month === m.spend.month);
    const raised = alerts.reduce((top, a) => Math.max(top, a.threshold), 0);
    const fresh = m.thresholds.filter((t) => t > raised).sort((a, b) => a - b);
    if (fresh.length === 0) return;
    let current = entry;
    for (const threshold of fresh) {
      let alert: BudgetAlert = { month: m.spend.month, threshold, usd: m.spend.usd, capUsdPerMonth: budget.capUsdPerMonth, at: Date.now() };
      if (threshold >= 1) alert = { ...alert, action: budget.action, actionOutcome: await this.capReached(current, budget.action) };
      log.warn('budget alert', { agent: m.agent, threshold: thresholdLabel(threshold), usd: m.spend.usd, cap: budget.capUsdPerMonth, outcome: alert.actionOutcome });
      alerts.push(alert);
      current = this.plane.roster.get(m.agent) ?? current;
      this.plane.roster.set(m.agent, { ...current, runtime: { ...(current.runtime ?? {}), alerts: [...alerts] } });
      current = this.plane.roster.get(m.agent) ?? current;
    }
  }

  /** The profile's action at 100% of the cap; what came of it, in words for status. */
  private async capReached(entry: RosterEntry, action: 'degrade' | 'pause'): Promise<string> {
    if (action === 'pause') {
      const id = await this.plane.pause(entry.spec.name, 'budget: 100% of the monthly cap reached');
      return id ? `pausing the agent (${id}); resume it with planes resume` : `could not pause: agent is ${entry.state}`;
    }
    const profile = effectiveRuntimeProfile(entry.spec.runtime);
    if (profile.modelTier === 'economy' && !profile.thinkingClock?.model) return 'already on the economy tier: nothing cheaper to switch to';
    if (!RECONFIGURABLE.includes(entry.state) || this.plane.activeUpgrade() || this.plane.busyWith?.(entry.spec.name)) {
      return `could not switch to the economy tier: agent is ${entry.state}; run planes update-agent --model-tier economy`;
    }
    const { model: _cheap, ...clock } = profile.thinkingClock ?? { intervalMs: 0 };
    const degraded: AgentRuntimeProfile = { ...profile, modelTier: 'economy', ...(profile.thinkingClock ? { thinkingClock: clock } : {}) };
    const id = await this.startReconfigure(entry, degraded, 'budget: 100% of the monthly cap reached');
    return `switched to the economy tier (${MODEL_TIER_MODELS.economy}) by ${id}`;
  }
}
