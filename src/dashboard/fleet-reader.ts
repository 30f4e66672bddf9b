/**
 * One read of the whole fleet for the dashboard: the planes from Temporal visibility, each plane's
 * status through the same code as `planes status` (plane Query + instance describe + guest attributes),
 * running upgrades and their progress, and the last backup per agent. Reads only; a plane that cannot be
 * read this round is reported with its error and the others still show.
 */
import type { Client } from '@temporalio/client';
import { listPlaneNames } from '../cli/planes/list.js';
import { planeStatusView, type AgentStatusRow, type PlaneStatusView } from '../cli/planes/status.js';
import { HEARTBEAT_STALE_AFTER_MS } from '../domain/guest-contract.js';
import type { AgentName, PlaneName, ProjectId } from '../domain/names.js';
import { agentResourceNames } from '../domain/resource-names.js';
import { agentDeprovisionWorkflowId, agentProvisionWorkflowId, planeWorkflowId } from '../domain/workflow-ids.js';
import type { GcpClients } from '../gcp/clients.js';
import { BackupIndex } from './backups.js';
import { webUiWorkflowUrl, type AgentHealth, type AgentView, type PlaneView, type UpgradeView } from './fleet-snapshot.js';
import { UpgradeTracker } from './upgrade-progress.js';

export interface FleetSources {
  readonly temporal: Client;
  /** Describe-only clients (describe-only-gcp.ts). */
  readonly gcp: GcpClients;
  readonly namespace: string;
  readonly webUiUrl: string | null;
  /** Bound on each Query, so a plane whose worker is gone cannot stall the refresh (default 5 s). */
  readonly queryTimeoutMs?: number;
}

export interface FleetRead {
  readonly planes: readonly PlaneView[];
  /** GCP read calls this round made, for pacing the next one. */
  readonly gcpReads: number;
}

export class FleetReader {
  private readonly upgrades: UpgradeTracker;
  private readonly backups: BackupIndex;
  private readonly queryTimeoutMs: number;

  constructor(private readonly sources: FleetSources) {
    this.queryTimeoutMs = sources.queryTimeoutMs ?? 5_000;
    this.upgrades = new UpgradeTracker({ ...sources, queryTimeoutMs: this.queryTimeoutMs });
    this.backups = new BackupIndex(sources.gcp);
  }

  /** Throws only when the fleet cannot be listed at all (Temporal unreachable). */
  async read(): Promise<FleetRead> {
    const now = Date.now();
    const names = await this.withinTimeout(() => listPlaneNames(this.sources.temporal));
    const [statuses, upgrades] = await Promise.all([
      Promise.all(names.map((name) => this.planeStatus(name))),
      // Upgrades are extra information: when visibility fails, the planes still show.
      this.withinTimeout(() => this.upgrades.byPlane(now), 2).catch(() => new Map<string, UpgradeView>()),
    ]);
    const projects = statuses.flatMap((s) => ('view' in s ? [s.view.project] : []));
    const backupsBefore = this.backups.projectCount;
    const backupError = await this.backups.refresh(projects, now).then(
      () => null,
      (error: unknown) => firstLine(error),
    );
    const planes = statuses.map((s) => ('view' in s ? this.planeView(s.view, upgrades.get(s.view.name) ?? null, backupError) : this.failedPlane(s.name, s.error)));
    const agentReads = planes.reduce((sum, p) => sum + p.agents.length * 2, 0);
    return { planes, gcpReads: agentReads + Math.max(0, this.backups.projectCount - backupsBefore) };
  }

  /** Every Temporal call inside `call` shares one deadline of `factor` query timeouts. */
  private withinTimeout<T>(call: () => Promise<T>, factor = 1): Promise<T> {
    return this.sources.temporal.connection.withDeadline(Date.now() + this.queryTimeoutMs * factor, call);
  }

  private async planeStatus(name: PlaneName): Promise<{ view: PlaneStatusView } | { name: PlaneName; error: string }> {
    try {
      // Describe + two queries: twice the single-query bound.
      const view = await this.withinTimeout(() => planeStatusView(this.sources.temporal, this.sources.gcp, name), 2);
      return { view };
    } catch (error) {
      return { name, error: firstLine(error) };
    }
  }

  private link(workflowId: string) {
    return { workflowId, url: webUiWorkflowUrl(this.sources.webUiUrl, this.sources.namespace, workflowId) };
  }

  private planeView(status: PlaneStatusView, upgrade: UpgradeView | null, backupError: string | null): PlaneView {
    const plane = status.name as PlaneName;
    // By name: the roster's order is whichever add-agent finished first, which means nothing to a reader.
    const agents = status.agents.map((row) => this.agentView(status, row)).sort((a, b) => a.name.localeCompare(b.name));
    return {
      name: status.name,
      project: status.project,
      region: status.region,
      zone: status.zone,
      phase: status.phase,
      workflow: this.link(planeWorkflowId(plane)),
      agents,
      totals: {
        ...status.totals,
        provisioning: agents.filter((a) => a.state === 'Provisioning').length,
        failed: agents.filter((a) => a.state === 'Failed').length,
      },
      versions: countBy(agents.map((a) => a.agentVersion ?? 'unknown')),
      desiredVersions: countBy(agents.map((a) => a.desiredVersion)),
      upgrade,
      error: backupError ? `last backups unknown: ${backupError}` : null,
    };
  }

  private agentView(plane: PlaneStatusView, row: AgentStatusRow): AgentView {
    const names = agentResourceNames(plane.project as ProjectId, plane.name as PlaneName, row.name as AgentName);
    const workflowId =
      row.state === 'Removing'
        ? agentDeprovisionWorkflowId(plane.name as PlaneName, row.name as AgentName)
        : agentProvisionWorkflowId(plane.name as PlaneName, row.name as AgentName);
    const { health, reason } = healthOf(row);
    return {
      name: row.name,
      owner: row.owner,
      state: row.state,
      health,
      healthReason: reason,
      heartbeatAgeSeconds: row.heartbeatAgeSeconds,
      agentVersion: row.agentVersion,
      desiredVersion: row.desiredVersion,
      vmType: row.vmType,
      instanceStatus: row.instanceStatus,
      monthlyCostUsd: row.monthlyCostUsd,
      lastBackupAt: this.backups.lastBackup(plane.project, plane.zone, names.bootDisk),
      lastError: row.lastError,
      workflow: this.link(workflowId),
    };
  }

  private failedPlane(name: PlaneName, error: string): PlaneView {
    return {
      name,
      project: '',
      region: '',
      zone: '',
      phase: 'Unknown',
      workflow: this.link(planeWorkflowId(name)),
      agents: [],
      totals: { agents: 0, ready: 0, unhealthy: 0, provisioning: 0, failed: 0, monthlyCostUsd: 0 },
      versions: {},
      desiredVersions: {},
      upgrade: null,
      error,
    };
  }
}

/** The health column: the status row's state refined into what a person needs to act on. */
export function healthOf(row: AgentStatusRow): { health: AgentHealth; reason: string | null } {
  switch (row.state) {
    case 'Ready':
      return { health: 'healthy', reason: null };
    case 'Provisioning':
      return { health: 'starting', reason: row.heartbeatAgeSeconds === null ? 'waiting for the first heartbeat' : null };
    case 'Removing':
      return { health: 'unknown', reason: 'being removed' };
    case 'Restoring':
      return { health: 'starting', reason: 'being restored from a snapshot' };
    case 'Failed':
      return { health: 'unhealthy', reason: row.lastError ?? 'provisioning failed' };
    case 'Paused':
      return { health: 'unknown', reason: 'paused (VM stopped)' };
    case 'Pausing':
    case 'Resuming':
    case 'Restarting':
    case 'Resizing':
    case 'Reconfiguring':
      return { health: 'starting', reason: row.state.toLowerCase() };
    case 'Unhealthy': {
      if (row.instanceStatus !== 'RUNNING') return { health: 'unhealthy', reason: `VM ${row.instanceStatus ?? 'missing'}` };
      if (row.heartbeatAgeSeconds === null) return { health: 'unhealthy', reason: 'no heartbeat yet' };
      // The age is rounded to the second; the state was decided on the exact one (older than the limit).
      if (row.heartbeatAgeSeconds * 1000 >= HEARTBEAT_STALE_AFTER_MS) return { health: 'unhealthy', reason: `no heartbeat for ${duration(row.heartbeatAgeSeconds)}` };
      return { health: 'unhealthy', reason: 'health check failing' };
    }
  }
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
