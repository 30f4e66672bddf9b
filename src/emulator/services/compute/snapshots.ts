/**
 * Disk snapshots (global), made by disks.createSnapshot: CREATING until the operation is DONE, then
 * READY; labels with a fingerprint (stale → 412); delete.
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import type { ComputeEnv, ComputeKind } from './env.js';
import { conditionNotMet, notFound, resourceNotReady } from './errors.js';
import { labelFingerprint, validateLabels } from './fields.js';
import { globalScope, url } from './links.js';
import { listPage } from './listing.js';
import type { ComputeState, DiskRecord, GuestSoftware, SnapshotRecord } from './state.js';

export const snapshotName = (project: string, name: string) => `projects/${project}/global/snapshots/${name}`;

/** The software on a disk: its instance's guest while attached, else what the disk was made with. */
export function guestSoftwareOf(state: ComputeState, disk: DiskRecord): GuestSoftware | undefined {
  for (const user of disk.users) {
    const [, p, , z, , n] = user.split('/') as [string, string, string, string, string, string];
    const i = state.instances.get(`projects/${p}/zones/${z}`, n);
    if (i && i.disks.some((d) => d.boot && d.source === `projects/${disk.project}/zones/${disk.zone}/disks/${disk.name}`)) {
      return { nodeInstalled: i.guest.nodeInstalled, installed: [...i.guest.installed], ...(i.guest.stateFormat ? { stateFormat: i.guest.stateFormat } : {}) };
    }
  }
  return disk.guestSoftware;
}

export const STALE_LABELS = 'Labels fingerprint either invalid or resource labels have changed';

export function snapshotKind(env: ComputeEnv): ComputeKind {
  const { state } = env;

  function render(s: SnapshotRecord) {
    return {
      kind: 'compute#snapshot',
      id: s.id,
      creationTimestamp: s.creationTimestamp,
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
      status: s.status,
      sourceDisk: url(s.sourceDisk),
      sourceDiskId: s.sourceDiskId,
      diskSizeGb: String(s.diskSizeGb),
      storageBytes: String(s.storageBytes),
      storageBytesStatus: 'UP_TO_DATE',
      selfLink: url(snapshotName(s.project, s.name)),
      ...(Object.keys(s.labels).length ? { labels: s.labels } : {}),
      labelFingerprint: s.labelFingerprint,
      storageLocations: s.storageLocations,
      snapshotType: 'STANDARD',
      autoCreated: false,
      architecture: 'X86_64',
    };
  }

  function find(req: RouteRequest, param: string): SnapshotRecord {
    const project = req.params.project!;
    const name = req.params[param]!;
    const s = state.snapshots.get(globalScope(project), name);
    if (!s) throw notFound(snapshotName(project, name));
    return s;
  }

  const base = '/compute/v1/projects/{project}/global/snapshots';
  const routes: Route[] = [
    {
      method: 'GET',
      path: `${base}/{snapshot}`,
      id: 'compute.snapshots.get',
      handle: (req) => ({ body: render(find(req, 'snapshot')) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.snapshots.list',
      handle(req) {
        const scope = globalScope(req.params.project!);
        return { body: listPage('compute#snapshotList', url(`${scope}/snapshots`), state.snapshots.list(scope).map(render), req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{snapshot}`,
      id: 'compute.snapshots.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const s = find(req, 'snapshot');
        const rel = snapshotName(project, s.name);
        if (s.status !== 'READY') throw resourceNotReady(rel);
        s.status = 'DELETING';
        const op = env.ops.start(
          {
            project,
            scope: globalScope(project),
            methodId: 'compute.snapshots.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: s.id,
            effect: { kind: 'snapshot.delete', args: { project, name: s.name, id: s.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'POST',
      path: `${base}/{resource}/setLabels`,
      id: 'compute.snapshots.setLabels',
      bodyType: 'google.cloud.compute.v1.GlobalSetLabelsRequest',
      bodyName: 'global_set_labels_request',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const s = find(req, 'resource');
        const body = req.body as { labels?: Record<string, string>; labelFingerprint?: string };
        if (body.labelFingerprint !== s.labelFingerprint) throw conditionNotMet(STALE_LABELS);
        const labels = validateLabels(body.labels, 'labels');
        if (!req.operationFault) {
          s.labels = labels;
          s.labelFingerprint = labelFingerprint(labels);
        }
        const op = env.ops.start(
          {
            project,
            scope: globalScope(project),
            methodId: 'compute.snapshots.setLabels',
            operationType: 'setLabels',
            targetLink: snapshotName(project, s.name),
            targetId: s.id,
            effect: { kind: 'noop', args: {} },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const s = state.snapshots.get(globalScope(args.project as string), args.name as string);
    return s && s.id === args.id ? s : undefined;
  };

  return {
    routes,
    effects: {
      'snapshot.create': {
        apply(args) {
          const s = recordOf(args);
          if (!s) return;
          s.status = 'READY';
          // A fresh Debian boot disk holds about 2 GB; incremental snapshots much less.
          const [, p, , z, , d] = (args.disk as string).split('/') as [string, string, string, string, string, string];
          const disk = state.disks.get(`projects/${p}/zones/${z}`, d);
          s.storageBytes = disk && disk.snapshotCount > 0 ? 64 * 1024 * 1024 : 2 * 1024 * 1024 * 1024;
          if (disk) disk.snapshotCount++;
          // The snapshot holds what the guest installed on the disk, so a disk made from it boots with it.
          const software = disk ? guestSoftwareOf(state, disk) : undefined;
          if (software) s.guestSoftware = software;
        },
        abort(args) {
          const s = recordOf(args);
          if (s) state.snapshots.delete(globalScope(s.project), s.name);
        },
      },
      'snapshot.delete': {
        apply(args) {
          const s = recordOf(args);
          if (s) state.snapshots.delete(globalScope(s.project), s.name);
        },
        abort(args) {
          const s = recordOf(args);
          if (s) s.status = 'READY';
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.snapshots.entries()].map(([, s]) => ({
        kind: 'compute.snapshots',
        name: snapshotName(s.project, s.name),
        labels: { ...s.labels },
        attributes: { status: s.status, sourceDisk: s.sourceDisk, diskSizeGb: s.diskSizeGb, storageBytes: s.storageBytes },
      }));
    },
  };
}
