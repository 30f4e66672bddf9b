/**
 * A plane's billable compute resources, found by their `agents-plane-plane` label through list calls
 * only (instances and disks of the plane's zone, the project's snapshots): what the cost report prices.
 * The label is matched here rather than in a list filter, so that any label key spelling works alike on
 * GCP and the emulator; a list page holds 500 items, so a plane of hundreds of agents is a few calls.
 */
import type { ObservedDisk, ObservedInstance, ObservedSnapshot } from '../domain/cost-report.js';
import { LABEL_KEYS } from '../domain/labels.js';
import type { GcpClients } from './clients.js';
import { normalizeGcpError } from './errors.js';

export interface PlaneResources {
  readonly instances: ObservedInstance[];
  readonly disks: ObservedDisk[];
  readonly snapshots: ObservedSnapshot[];
}

export interface PlaneLocation {
  readonly project: string;
  readonly zone: string;
  readonly plane: string;
}

type Labels = Readonly<Record<string, string>>;

/** `.../machineTypes/e2-small` → `e2-small` (compute answers with full or partial URLs). */
const lastSegment = (url: string | null | undefined): string => (url ? (url.split('/').pop() ?? url) : '');

export async function readPlaneResources(gcp: GcpClients, where: PlaneLocation): Promise<PlaneResources> {
  const ours = (labels: Labels | null | undefined): labels is Labels => labels?.[LABEL_KEYS.plane] === where.plane;
  const list = async <T>(what: string, read: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await read();
    } catch (error) {
      throw normalizeGcpError(error, `list ${what}`);
    }
  };
  const [instances, disks, snapshots] = await Promise.all([
    // `list` pages through everything (autoPaginate) and, unlike the async iterators, is retried.
    list('instances', async () => (await gcp.instances.list({ project: where.project, zone: where.zone }))[0]),
    list('disks', async () => (await gcp.disks.list({ project: where.project, zone: where.zone }))[0]),
    list('snapshots', async () => (await gcp.snapshots.list({ project: where.project }))[0]),
  ]);
  return {
    instances: instances.flatMap((i) => {
      const labels = i.labels as Labels | null | undefined;
      return ours(labels) ? [{ name: i.name ?? '', labels, machineType: lastSegment(i.machineType), status: i.status ?? 'UNKNOWN' }] : [];
    }),
    disks: disks.flatMap((d) => {
      const labels = d.labels as Labels | null | undefined;
      return ours(labels) ? [{ name: d.name ?? '', labels, sizeGb: Number(d.sizeGb ?? 0), type: lastSegment(d.type) }] : [];
    }),
    snapshots: snapshots.flatMap((s) => {
      const labels = s.labels as Labels | null | undefined;
      if (!ours(labels)) return [];
      return [
        {
          name: s.name ?? '',
          labels,
          storageBytes: Number(s.storageBytes ?? 0),
          storageLocations: s.storageLocations ?? [],
          sourceDisk: s.sourceDisk ? lastSegment(s.sourceDisk) : null,
        },
      ];
    }),
  };
}
