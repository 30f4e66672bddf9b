/**
 * The state machine behind an upgrade's `progress` Query: stages (canary, waves), each agent's state
 * and its unavailable intervals, paused/halted/rolled back. Every change is also published as the
 * workflow's current details and the OperationStep search attribute, so the Web UI shows it live.
 */
import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { UpgradePlan } from '../domain/upgrade-spec.js';
import { OPERATION_STEP } from '../temporal/search-attributes.js';
import type { OperationState } from './progress.js';
import {
  upgradeProgressQuery,
  type AgentRollback,
  type AgentUpgradeProgress,
  type AgentUpgradeState,
  type StageState,
  type UnavailableInterval,
  type UpgradeProgress,
} from './upgrade-messages.js';

interface Stage {
  readonly name: string;
  readonly agents: readonly string[];
  state: StageState;
}

interface AgentRecord {
  fromVersion: string;
  state: AgentUpgradeState;
  snapshot?: string;
  stateFormat?: string;
  rollback?: AgentRollback;
  unavailable: UnavailableInterval[];
  error?: { type: string; message: string };
}

export class UpgradeTracker {
  private readonly stages: Stage[];
  private readonly agents = new Map<string, AgentRecord>();
  private readonly hasCanary: boolean;
  private state: OperationState = 'running';
  private step = 0;
  private paused = false;
  private aborted = false;
  private halted = false;
  private haltReason: string | undefined;
  private rolledBack = false;
  private undoing: string | undefined;
  private error: { type: string; message: string } | undefined;

  constructor(
    private readonly toVersion: string,
    private readonly maxUnavailable: number,
    plan: UpgradePlan,
    fromVersions: ReadonlyMap<string, string>,
  ) {
    this.hasCanary = plan.canary.length > 0;
    this.stages = [
      ...(this.hasCanary ? [{ name: 'canary', agents: plan.canary, state: 'pending' as StageState }] : []),
      ...plan.waves.map((agents, i) => ({ name: `wave ${i + 1}`, agents, state: 'pending' as StageState })),
    ];
    for (const [name, version] of fromVersions) this.agents.set(name, { fromVersion: version, state: 'pending', unavailable: [] });
    setHandler(upgradeProgressQuery, () => this.snapshot());
  }

  get stageCount(): number {
    return this.stages.length;
  }

  stageAgents(index: number): readonly string[] {
    return this.stages[index]?.agents ?? [];
  }

  snapshot(): UpgradeProgress {
    const stage = (s: Stage) => ({ agents: s.agents, state: s.state });
    const versions = [...new Set([...this.agents.values()].map((a) => a.fromVersion))].sort();
    return {
      operation: 'upgrade-plane',
      state: this.state,
      step: this.step,
      totalSteps: this.stages.length,
      stepName: this.stages[this.step - 1]?.name ?? '',
      steps: this.stages.map((s) => s.name),
      ...(this.undoing ? { undoing: this.undoing } : {}),
      ...(this.error ? { error: this.error } : {}),
      fromVersion: versions.join(','),
      toVersion: this.toVersion,
      maxUnavailable: this.maxUnavailable,
      canary: this.hasCanary && this.stages[0] ? stage(this.stages[0]) : null,
      waves: this.stages.slice(this.hasCanary ? 1 : 0).map((s, i) => ({ index: i + 1, ...stage(s) })),
      agents: [...this.agents].map(([name, a]): AgentUpgradeProgress => ({
        name,
        fromVersion: a.fromVersion,
        state: a.state,
        ...(a.snapshot ? { snapshot: a.snapshot } : {}),
        ...(a.stateFormat ? { stateFormat: a.stateFormat } : {}),
        ...(a.rollback ? { rollback: { ...a.rollback } } : {}),
        unavailable: a.unavailable.map((i) => ({ ...i })),
        ...(a.error ? { error: a.error } : {}),
      })),
      paused: this.paused,
      aborted: this.aborted,
      halted: this.halted,
      ...(this.haltReason ? { haltReason: this.haltReason } : {}),
      rolledBack: this.rolledBack,
    };
  }

  enterStage(index: number): void {
    this.step = index + 1;
    const s = this.stages[index];
    if (s) s.state = 'running';
    this.publish(`${s?.name ?? ''} (${this.step}/${this.stages.length}): ${s?.agents.join(', ') ?? ''}`, s?.name.replace(' ', '-') ?? '');
  }

  stageDone(index: number): void {
    const s = this.stages[index];
    if (s) s.state = 'done';
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.publish('paused (the running wave finishes first)', 'paused');
    else if (this.step > 0) this.enterStage(this.step - 1);
  }

  setAborted(): void {
    this.aborted = true;
  }

  agent(
    name: string,
    state: AgentUpgradeState,
    extra: { snapshot?: string; stateFormat?: string; rollback?: AgentRollback; error?: { type: string; message: string } } = {},
  ): void {
    const a = this.agents.get(name);
    if (!a) return;
    a.state = state;
    if (extra.snapshot) a.snapshot = extra.snapshot;
    if (extra.stateFormat) a.stateFormat = extra.stateFormat;
    if (extra.rollback) a.rollback = extra.rollback;
    if (extra.error) a.error = extra.error;
  }

  /** The agent stops serving its current version (now, in workflow time). */
  unavailableFrom(name: string, now: number): void {
    const a = this.agents.get(name);
    if (a && !a.unavailable.some((i) => i.to === undefined)) a.unavailable.push({ from: now });
  }

  /** The agent reported healthy again. */
  availableAt(name: string, now: number): void {
    const a = this.agents.get(name);
    if (!a) return;
    a.unavailable = a.unavailable.map((i) => (i.to === undefined ? { from: i.from, to: now } : i));
  }

  halt(reason: string, error: { type: string; message: string } | undefined): void {
    this.halted = true;
    this.haltReason = reason;
    this.error = error;
    this.state = 'compensating';
    const s = this.stages[this.step - 1];
    if (s && s.state === 'running') s.state = 'failed';
    this.publish(`halted (${reason}); rolling back the touched agents`, 'rolling-back');
  }

  rollingBack(name: string | undefined): void {
    this.undoing = name;
    if (name) setCurrentDetails(`upgrade-plane: rolling back ${name} to its previous version`);
  }

  /** The agents rolled back by restoring their pre-upgrade snapshot (for the upgrade's final message). */
  restoredAgents(): string[] {
    return [...this.agents].filter(([, a]) => a.rollback?.kind === 'restore' && a.state === 'rolled-back').map(([name]) => name);
  }

  finish(completed: boolean, rolledBack: boolean): void {
    this.undoing = undefined;
    this.rolledBack = rolledBack;
    if (rolledBack) for (const s of this.stages) if (s.state === 'done' || s.state === 'failed') s.state = 'rolled-back';
    this.state = completed ? 'completed' : this.aborted ? 'cancelled' : 'failed';
    this.publish(completed ? `completed: every agent runs ${this.toVersion}` : this.aborted ? 'aborted and rolled back' : 'failed and rolled back', this.state);
  }

  private publish(details: string, stepKeyword: string): void {
    setCurrentDetails(`upgrade-plane to ${this.toVersion}: ${details}`);
    upsertSearchAttributes([{ key: OPERATION_STEP, value: stepKeyword }]);
  }
}
