/**
 * Last backup per agent: the newest READY snapshot whose source is the agent's boot disk, from compute's
 * snapshot list (a list call, one per project). Snapshots are taken at most every few minutes (GCP
 * allows one per disk per 10 min), so the list is refreshed far less often than health.
 */
import type { GcpClients } from '../gcp/clients.js';
import { normalizeGcpError } from '../gcp/errors.js';

export const BACKUP_REFRESH_MS = 60_000;

interface ProjectBackups {
  readonly readAt: number;
  /** `zones/<zone>/disks/<disk>` → ISO time of its newest ready snapshot. */
  readonly newest: ReadonlyMap<string, string>;
}

export class BackupIndex {
  private readonly projects = new Map<string, ProjectBackups>();

  constructor(
    private readonly gcp: GcpClients,
    private readonly refreshMs = BACKUP_REFRESH_MS,
  ) {}

  /** Refreshes the projects whose list is older than the refresh period; the rest come from memory. */
  async refresh(projects: Iterable<string>, now: number): Promise<void> {
    const due = [...new Set(projects)].filter((p) => {
      const known = this.projects.get(p);
      return !known || now - known.readAt >= this.refreshMs;
    });
    await Promise.all(due.map(async (project) => this.projects.set(project, { readAt: now, newest: await this.list(project) })));
  }

  lastBackup(project: string, zone: string, disk: string): string | null {
    return this.projects.get(project)?.newest.get(diskKey(zone, disk)) ?? null;
  }

  /** Calls of the last refresh round, for pacing: one list per project. */
  get projectCount(): number {
    return this.projects.size;
  }

  private async list(project: string): Promise<Map<string, string>> {
    const newest = new Map<string, string>();
    try {
      for await (const snapshot of this.gcp.snapshots.listAsync({ project }, { autoPaginate: false })) {
        if (snapshot.status !== 'READY' || !snapshot.sourceDisk || !snapshot.creationTimestamp) continue;
        const key = diskKeyFromUrl(snapshot.sourceDisk);
        if (!key) continue;
        const at = new Date(snapshot.creationTimestamp).toISOString();
        const seen = newest.get(key);
        if (!seen || at > seen) newest.set(key, at);
      }
    } catch (error) {
      throw normalizeGcpError(error, 'list snapshots');
    }
    return newest;
  }
}

function diskKey(zone: string, disk: string): string {
  return `zones/${zone}/disks/${disk}`;
}

/** Compute gives source disks as full or partial URLs; the zone and disk name identify them in a project. */
function diskKeyFromUrl(url: string): string | undefined {
  const match = /zones\/([^/]+)\/disks\/([^/?#]+)$/.exec(url);
  return match ? diskKey(match[1]!, match[2]!) : undefined;
}
