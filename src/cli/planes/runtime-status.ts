/**
 * The runtime-profile part of `planes status` (and cost-report's spend column): the profile, whether the
 * guest has applied it, this month's spend against the budget and the alerts raised. Built from the
 * roster (desired profile, alerts) and the guest's report (applied digest, spend).
 */
import { budgetUsedFraction, thresholdLabel } from '../../domain/budget.js';
import { renderRuntime } from '../../domain/runtime-metadata.js';
import type { AgentRuntimeProfile, ReportedSpend } from '../../domain/runtime-profile.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import type { GcpClients } from '../../gcp/clients.js';
import { readGuestReport, type GuestReport } from '../../gcp/guest-health.js';
import type { PlaneStatus, RosterEntry } from '../../workflows/plane-messages.js';
import { table } from '../command.js';

export interface BudgetAlertView {
  readonly month: string;
  readonly threshold: number;
  /** `80%`, `95%`, `100%`. */
  readonly label: string;
  readonly usd: number;
  readonly capUsdPerMonth: number;
  /** ISO time the plane recorded it. */
  readonly at: string;
  readonly action: string | null;
  readonly actionOutcome: string | null;
}

export interface AgentRuntimeStatus {
  readonly profile: AgentRuntimeProfile;
  /** Digest of the profile the plane wants, and of the one the guest reports applied (null: none yet). */
  readonly desiredDigest: string;
  readonly appliedDigest: string | null;
  readonly applied: boolean;
  /** OpenClaw's heartbeat cadence the guest reports, in seconds. */
  readonly heartbeatSeconds: number | null;
  /** This month's spend the guest reports. */
  readonly spend: ReportedSpend | null;
  readonly budget: { readonly capUsdPerMonth: number; readonly action: string; readonly usedFraction: number } | null;
  readonly alerts: readonly BudgetAlertView[];
  readonly lastReconfigureError: string | null;
}

export function agentRuntimeStatus(entry: RosterEntry, guest: GuestReport): AgentRuntimeStatus | null {
  const profile = entry.spec.runtime;
  if (!profile) return null;
  const desiredDigest = renderRuntime(profile).digest;
  const spend = guest.spend ?? null;
  return {
    profile,
    desiredDigest,
    appliedDigest: guest.runtime?.digest ?? null,
    applied: guest.runtime?.digest === desiredDigest,
    heartbeatSeconds: guest.runtime?.heartbeatSeconds ?? null,
    spend,
    budget: profile.budget ? { ...profile.budget, usedFraction: budgetUsedFraction(spend ?? undefined, profile.budget) } : null,
    // The month the agent reports spending in: last month's alerts no longer apply.
    alerts: (entry.runtime?.alerts ?? []).filter((a) => !spend || a.month === spend.month).map((a) => ({
      month: a.month,
      threshold: a.threshold,
      label: thresholdLabel(a.threshold),
      usd: a.usd,
      capUsdPerMonth: a.capUsdPerMonth,
      at: new Date(a.at).toISOString(),
      action: a.action ?? null,
      actionOutcome: a.actionOutcome ?? null,
    })),
    lastReconfigureError: entry.runtime?.lastReconfigureError ? `${entry.runtime.lastReconfigureError.type}: ${entry.runtime.lastReconfigureError.message}` : null,
  };
}

/** `$4.20/$10 (42%)`, `$4.20`, or `-`. */
export function spendCell(runtime: AgentRuntimeStatus | null): string {
  if (!runtime?.spend) return runtime?.budget ? `$0.00/$${runtime.budget.capUsdPerMonth}` : '-';
  const usd = `$${runtime.spend.usd.toFixed(2)}`;
  return runtime.budget ? `${usd}/$${runtime.budget.capUsdPerMonth} (${Math.round(runtime.budget.usedFraction * 100)}%)` : usd;
}

/** One line per alert, under the status table: never silent. */
export function renderBudgetAlerts(agents: readonly { name: string; runtime: AgentRuntimeStatus | null }[]): string {
  return agents
    .flatMap((a) =>
      (a.runtime?.alerts ?? []).map(
        (al) =>
          `ALERT ${a.name}: ${al.label} of its $${al.capUsdPerMonth} monthly budget reached ($${al.usd.toFixed(2)} in ${al.month})` +
          (al.actionOutcome ? `; ${al.action}: ${al.actionOutcome}` : ''),
      ),
    )
    .join('\n');
}

/** cost-report's spend column: per agent with a runtime profile, what it reports spending this month. */
export interface AgentSpendRow {
  readonly agent: string;
  readonly month: string | null;
  readonly usd: number;
  readonly tokens: number;
  readonly capUsdPerMonth: number | null;
  readonly alerts: readonly string[];
}

/** Guest reads for the agents that have a profile only: a plane without profiles costs no extra call. */
export async function readAgentSpend(gcp: Pick<GcpClients, 'instances'>, status: PlaneStatus): Promise<AgentSpendRow[]> {
  const { project, zone, name } = status.spec;
  const withProfile = status.agents.filter((e) => e.spec.runtime);
  return Promise.all(
    withProfile.map(async (e) => {
      const guest = await readGuestReport(gcp as GcpClients, { project, zone, instance: agentResourceNames(project, name, e.spec.name).instance });
      return {
        agent: e.spec.name,
        month: guest.spend?.month ?? null,
        usd: guest.spend?.usd ?? 0,
        tokens: guest.spend?.tokens ?? 0,
        capUsdPerMonth: e.spec.runtime?.budget?.capUsdPerMonth ?? null,
        alerts: (e.runtime?.alerts ?? []).map((a) => thresholdLabel(a.threshold)),
      };
    }),
  );
}

export function renderSpend(rows: readonly AgentSpendRow[]): string {
  const lines = rows.map((r) =>
    [r.agent, r.month ?? '-', `$${r.usd.toFixed(2)}`, String(r.tokens), r.capUsdPerMonth === null ? '-' : `$${r.capUsdPerMonth}`, r.alerts.join(',') || '-'],
  );
  return ['model spend reported by the agents (this month):', table(['AGENT', 'MONTH', 'SPEND', 'TOKENS', 'CAP', 'ALERTS'], lines)].join('\n');
}
