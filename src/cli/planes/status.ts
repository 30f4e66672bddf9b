/**
 * `planes status [--plane] [--json]`: per agent its owner, state, heartbeat age, running version, VM type
 * and estimated monthly cost; per plane the totals. State comes from the plane's roster; a Ready agent
 * whose guest is silent, failing or not running is shown Unhealthy. Channels are as the guest reports
 * them (guest attribute `channels`). The JSON shape is in the README.
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { estimateAgentMonthlyCost } from '../../domain/cost.js';
import { HEARTBEAT_STALE_AFTER_MS } from '../../domain/guest-contract.js';
import { parsePlaneName, type PlaneName } from '../../domain/names.js';
import type { ChannelKind, ChannelState } from '../../domain/runtime-profile.js';
import { agentResourceNames } from '../../domain/resource-names.js';
import type { GcpClients } from '../../gcp/clients.js';
import { readGuestReport, readInstanceStatus } from '../../gcp/guest-health.js';
import { planeStatusQuery, type AgentState, type PlaneStatus, type RosterEntry } from '../../workflows/plane-messages.js';
import { runCommand, table } from '../command.js';
import { planeDriftView, renderDriftViews, type PlaneDriftView } from './drift.js';
import { listPlaneNames } from './list.js';
import { runningPlane } from './plane-handle.js';
import { withSession } from './session.js';
import { agentRuntimeStatus, renderBudgetAlerts, spendCell, type AgentRuntimeStatus } from './runtime-status.js';

/** The roster's state (Paused, Unhealthy, ... included), with Ready refined to Unhealthy by the guest's health. */
export type AgentStatusState = AgentState;

export interface AgentStatusRow {
  readonly name: string;
  readonly owner: string;
  readonly state: AgentStatusState;
  /** Seconds since the last heartbeat; null when none was ever seen. */
  readonly heartbeatAgeSeconds: number | null;
  /** The OpenClaw version the guest reports running (null before the first heartbeat). */
  readonly agentVersion: string | null;
  /** The version the plane wants the agent on. */
  readonly desiredVersion: string;
  readonly vmType: string;
  readonly instanceStatus: string | null;
  readonly monthlyCostUsd: number;
  readonly lastError: string | null;
  /** Restarts that completed (automatic, by an admin, or after a secret rotation). */
  readonly restarts: number;
  /** Per channel of the agent's runtime profile, as its guest reports it; {} when none is reported. */
  readonly channels: Partial<Record<ChannelKind, ChannelState>>;
  /** Its runtime profile, what the guest applied, spend and budget alerts; null for agents without a profile. */
  readonly runtime: AgentRuntimeStatus | null;
}

export interface PlaneStatusView {
  readonly name: string;
  readonly project: string;
  readonly region: string;
  readonly zone: string;
  readonly phase: string;
  readonly agents: readonly AgentStatusRow[];
  readonly totals: { readonly agents: number; readonly ready: number; readonly unhealthy: number; readonly monthlyCostUsd: number };
}

async function agentRow(gcp: GcpClients, plane: PlaneStatus, entry: RosterEntry, now: number): Promise<AgentStatusRow> {
  const ref = {
    project: plane.spec.project,
    zone: plane.spec.zone,
    instance: agentResourceNames(plane.spec.project, plane.spec.name, entry.spec.name).instance,
  };
  const [guest, instanceStatus] = await Promise.all([readGuestReport(gcp, ref), readInstanceStatus(gcp, ref)]);
  const age = guest.heartbeatAt ? Math.max(0, Math.round((now - guest.heartbeatAt) / 1000)) : null;
  let state: AgentStatusState = entry.state;
  if (entry.state === 'Ready') {
    const silent = !guest.heartbeatAt || now - guest.heartbeatAt > HEARTBEAT_STALE_AFTER_MS;
    if (silent || guest.health !== 'ok' || instanceStatus !== 'RUNNING') state = 'Unhealthy';
  }
  return {
    name: entry.spec.name,
    owner: entry.spec.owner,
    state,
    heartbeatAgeSeconds: age,
    agentVersion: guest.version ?? null,
    desiredVersion: entry.spec.agentVersion,
    vmType: entry.spec.machineType,
    instanceStatus: instanceStatus ?? null,
    monthlyCostUsd: estimateAgentMonthlyCost({ machineType: entry.spec.machineType, paused: instanceStatus === 'TERMINATED' }).totalUsd,
    lastError: entry.lastError ? `${entry.lastError.type}: ${entry.lastError.message}` : null,
    restarts: entry.operations?.restarts ?? 0,
    channels: guest.channels ?? {},
    runtime: agentRuntimeStatus(entry, guest),
  };
}

export async function planeStatusView(client: Client, gcp: GcpClients, name: PlaneName): Promise<PlaneStatusView> {
  const { handle } = await runningPlane(client, name);
  const status = await handle.query(planeStatusQuery);
  const now = Date.now();
  const agents = await Promise.all(status.agents.map((e) => agentRow(gcp, status, e, now)));
  return {
    name: status.spec.name,
    project: status.spec.project,
    region: status.spec.region,
    zone: status.spec.zone,
    phase: status.phase,
    agents,
    totals: {
      agents: agents.length,
      ready: agents.filter((a) => a.state === 'Ready').length,
      unhealthy: agents.filter((a) => a.state === 'Unhealthy').length,
      monthlyCostUsd: Math.round(agents.reduce((sum, a) => sum + a.monthlyCostUsd, 0) * 100) / 100,
    },
  };
}

/** `telegram:connected whatsapp:pairing`, or `-`. */
function renderChannels(channels: AgentStatusRow['channels']): string {
  const parts = Object.entries(channels).map(([kind, state]) => `${kind}:${state}`);
  return parts.length === 0 ? '-' : parts.join(' ');
}

function render(views: readonly PlaneStatusView[]): string {
  if (views.length === 0) return 'no planes (create one with `agents-plane planes create`)';
  return views
    .map((p) => {
      const head = `plane ${p.name}  ${p.phase}  ${p.project}/${p.zone}  agents ${p.totals.agents} (ready ${p.totals.ready}, unhealthy ${p.totals.unhealthy})  ~$${p.totals.monthlyCostUsd.toFixed(2)}/month`;
      if (p.agents.length === 0) return head;
      const rows = p.agents.map((a) => [
        a.name,
        a.owner,
        a.state,
        a.heartbeatAgeSeconds === null ? '-' : `${a.heartbeatAgeSeconds}s`,
        a.agentVersion ?? '-',
        a.vmType,
        `$${a.monthlyCostUsd.toFixed(2)}`,
        String(a.restarts),
        renderChannels(a.channels),
        spendCell(a.runtime),
      ]);
      const alerts = renderBudgetAlerts(p.agents);
      return `${head}\n${table(['AGENT', 'OWNER', 'STATE', 'HEARTBEAT', 'VERSION', 'VM TYPE', 'COST/MONTH', 'RESTARTS', 'CHANNELS', 'SPEND'], rows)}${alerts ? `\n${alerts}` : ''}`;
    })
    .join('\n\n');
}

export function registerStatus(planes: Command): void {
  planes
    .command('status')
    .description('health, versions and cost of every agent, per plane')
    .option('--plane <plane>', 'only this plane')
    .option('--drift', 'instead: what differs from what the plane says (firewall rules, grants, VMs); see `planes reconcile`')
    .action(
      runCommand<{ plane?: string; drift?: boolean }, { planes: PlaneStatusView[] | PlaneDriftView[] }>(async (o) => {
        const only = o.plane === undefined ? undefined : parsePlaneName(o.plane);
        return withSession(async (session) => {
          const client = await session.temporal();
          const names = only ? [only] : await listPlaneNames(client);
          if (o.drift) {
            const views = await Promise.all(names.map((n) => planeDriftView(client, n)));
            return { data: { planes: views }, human: () => renderDriftViews(views) };
          }
          const gcp = await session.google();
          const views = await Promise.all(names.map((n) => planeStatusView(client, gcp, n)));
          return { data: { planes: views }, human: () => render(views) };
        });
      }),
    );
}
