/**
 * A plane's snapshots as compute lists them, filtered server-side by the plane's (and an agent's)
 * labels and checked again here (only ours count): what retention prunes, what `planes backup --list`
 * shows and where `planes restore` finds an agent's newest backup. One list call, paginated.
 */
import { BACKUP_LABEL, RESTORE_LABEL, snapshotKind, type SnapshotKind } from '../domain/backups.js';
import { LABEL_KEYS, labelsMatch, planeLabels } from '../domain/labels.js';
import type { AgentName, PlaneName } from '../domain/names.js';
import type { GcpClients } from './clients.js';
import { normalizeGcpError } from './errors.js';

export interface PlaneSnapshot {
  readonly name: string;
  readonly agent: string;
  readonly kind: SnapshotKind;
  /** Orders an agent's snapshots: the backup or restore stamp, else the creation time. */
  readonly stamp: string;
  readonly status: string;
  readonly createdAt: string;
  readonly storageBytes: number;
  readonly diskSizeGb: number;
  readonly labels: Readonly<Record<string, string>>;
}

export async function listPlaneSnapshots(clients: GcpClients, project: string, plane: PlaneName, agent?: AgentName): Promise<PlaneSnapshot[]> {
  const filter = [`labels.${LABEL_KEYS.plane} = ${plane}`, ...(agent ? [`labels.${LABEL_KEYS.agent} = ${agent}`] : [])].map((t) => `(${t})`).join(' ');
  const found: PlaneSnapshot[] = [];
  try {
    for await (const s of clients.snapshots.listAsync({ project, filter }, { autoPaginate: false })) {
      const labels = (s.labels ?? {}) as Record<string, string>;
      if (!labelsMatch(labels, planeLabels(plane)) || (agent && labels[LABEL_KEYS.agent] !== agent)) continue;
      const kind = snapshotKind(labels);
      if (!kind || !s.name) continue;
      const createdAt = s.creationTimestamp ? new Date(s.creationTimestamp).toISOString() : '';
      found.push({
        name: s.name,
        agent: labels[LABEL_KEYS.agent] ?? '',
        kind,
        stamp: labels[BACKUP_LABEL] ?? labels[RESTORE_LABEL] ?? createdAt.replace(/[-:TZ.]/g, ''),
        status: s.status ?? 'UNKNOWN',
        createdAt,
        storageBytes: Number(s.storageBytes ?? 0),
        diskSizeGb: Number(s.diskSizeGb ?? 0),
        labels,
      });
    }
  } catch (error) {
    throw normalizeGcpError(error, 'list snapshots');
  }
  return found.sort((a, b) => (a.agent === b.agent ? (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0) : a.agent < b.agent ? -1 : 1));
}
