/**
 * Persistent disks (zonal). Disks are made by instances.insert (boot disk `initializeParams`, from an
 * image or from a READY snapshot, at least the snapshot's size) and live on after their instance when
 * autoDelete is off. A disk attached to an instance cannot be deleted.
 * createSnapshot makes a global snapshot (the first of a disk takes longer than the incremental ones;
 * at most 6 per disk per hour of emulated time); addResourcePolicies attaches a snapshot schedule.
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import type { Capacity } from './capacity.js';
import { DEFAULT_IMAGE_SIZE_GB, DISK_TYPES } from './catalog.js';
import { regionOfKnownZone, type ComputeEnv, type ComputeKind } from './env.js';
import { ApiError } from '../../core/contract.js';
import { alreadyExists, invalidField, notFound, requiredField, resourceInUse, resourceNotReady } from './errors.js';
import { labelFingerprint, newId, timestamp, validateLabels, validateName } from './fields.js';
import { globalScope, parseRef, url, zoneScope } from './links.js';
import { listPage } from './listing.js';
import { requireResourcePolicy } from './resource-policies.js';
import { snapshotName } from './snapshots.js';
import type { ComputeState, DiskRecord, SnapshotRecord } from './state.js';

export const diskName = (project: string, zone: string, name: string) => `projects/${project}/zones/${zone}/disks/${name}`;

/** GCP's documented snapshot rate per disk: a burst of 6 per hour. */
const SNAPSHOTS_PER_HOUR = 6;
const HOUR_MS = 3_600_000;
const IMAGE = /^(?:projects\/[a-z][-a-z0-9]*\/)?global\/images\/(?:family\/)?[a-z][-a-z0-9]*$/;

export interface InitializeParams {
  diskName?: string;
  sourceImage?: string;
  sourceSnapshot?: string;
  diskSizeGb?: string | number;
  diskType?: string;
  labels?: Record<string, string>;
  resourcePolicies?: string[];
  architecture?: string;
  description?: string;
}

/** Validates a new disk from `initializeParams` and answers its record (not stored yet). */
export function planDisk(env: ComputeEnv, project: string, zone: string, params: InitializeParams, defaultName: string, field: string, boot: boolean): DiskRecord {
  const region = regionOfKnownZone(zone);
  const name = validateName(params.diskName ?? defaultName, `${field}.diskName`);
  if (env.state.disks.get(zoneScope(project, zone), name)) throw alreadyExists(diskName(project, zone, name));
  let sourceImage: string | undefined;
  if (params.sourceImage !== undefined) {
    const image = params.sourceImage.replace(/^https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\//, '');
    if (!IMAGE.test(image)) throw invalidField(`${field}.sourceImage`, params.sourceImage, 'The referenced image resource cannot be found.');
    sourceImage = image.startsWith('projects/') ? image : `projects/${project}/${image}`;
  }
  const snapshot = params.sourceSnapshot === undefined ? undefined : requireSnapshot(env, params.sourceSnapshot, `${field}.sourceSnapshot`, project);
  if (sourceImage && snapshot) throw invalidField(`${field}.sourceSnapshot`, params.sourceSnapshot, 'Only one of sourceImage and sourceSnapshot may be specified.');
  if (!sourceImage && !snapshot && boot) {
    throw invalidField(`${field}.sourceImage`, '', 'Source image must be specified for a boot disk.');
  }
  const typeRef = params.diskType ?? 'pd-standard';
  const typeParsed = parseRef(typeRef, 'diskTypes', { project, location: zone, locationKind: 'zones' });
  const type = typeParsed && typeParsed.location === zone ? typeParsed.name : undefined;
  const typeSpec = type ? DISK_TYPES[type] : undefined;
  if (!type || !typeSpec) throw invalidField(`${field}.diskType`, typeRef, 'The referenced diskType resource cannot be found.');
  const sizeRaw = params.diskSizeGb ?? (snapshot ? snapshot.diskSizeGb : sourceImage ? DEFAULT_IMAGE_SIZE_GB : 500);
  const sizeGb = Number(sizeRaw);
  if (!Number.isInteger(sizeGb) || sizeGb < typeSpec.minGb || sizeGb > typeSpec.maxGb) {
    throw invalidField(`${field}.diskSizeGb`, String(sizeRaw), `Disk size must be between ${typeSpec.minGb} and ${typeSpec.maxGb} GB for ${type}.`);
  }
  if (sourceImage && sizeGb < DEFAULT_IMAGE_SIZE_GB) {
    throw invalidField(`${field}.diskSizeGb`, String(sizeRaw), `Requested disk size cannot be smaller than the image size (${DEFAULT_IMAGE_SIZE_GB} GB).`);
  }
  if (snapshot && sizeGb < snapshot.diskSizeGb) {
    throw invalidField(`${field}.diskSizeGb`, String(sizeRaw), `Requested disk size cannot be smaller than the snapshot size (${snapshot.diskSizeGb} GB).`);
  }
  const labels = validateLabels(params.labels, `${field}.labels`);
  const resourcePolicies = (params.resourcePolicies ?? []).map((ref, i) => requireResourcePolicy(env, ref, `${field}.resourcePolicies[${i}]`, project, region));
  return {
    id: newId(),
    name,
    project,
    creationTimestamp: timestamp(),
    ...(params.description ? { description: params.description } : {}),
    zone,
    status: 'CREATING',
    sizeGb,
    type,
    ...(sourceImage ? { sourceImage } : {}),
    ...(snapshot
      ? {
          sourceSnapshot: snapshotName(snapshot.project, snapshot.name),
          sourceSnapshotId: snapshot.id,
          ...(snapshot.guestSoftware ? { guestSoftware: snapshot.guestSoftware } : {}),
        }
      : {}),
    labels,
    labelFingerprint: labelFingerprint(labels),
    resourcePolicies,
    users: [],
    snapshotTimes: [],
    snapshotCount: 0,
    architecture: params.architecture ?? 'X86_64',
  };
}

/** A READY snapshot named by full URL, `projects/p/global/snapshots/s`, `global/snapshots/s` or bare name. */
function requireSnapshot(env: ComputeEnv, ref: string, field: string, project: string): SnapshotRecord {
  const parsed = parseRef(ref, 'snapshots', { project, location: 'global', locationKind: 'global' });
  const snapshot = parsed && parsed.locationKind === 'global' ? env.state.snapshots.get(globalScope(parsed.project), parsed.name) : undefined;
  if (!parsed || !snapshot) throw invalidField(field, ref, 'The referenced snapshot resource cannot be found.');
  if (snapshot.status !== 'READY') throw resourceNotReady(snapshotName(snapshot.project, snapshot.name));
  return snapshot;
}

export function storeDisk(state: ComputeState, capacity: Capacity, disk: DiskRecord): void {
  state.disks.set(zoneScope(disk.project, disk.zone), disk);
  const rel = diskName(disk.project, disk.zone, disk.name);
  for (const p of disk.resourcePolicies) state.resourcePolicyUsers.link(p, rel);
  capacity.addDisk(disk.project, regionOfKnownZone(disk.zone), disk, 1);
}

export function dropDisk(state: ComputeState, capacity: Capacity, disk: DiskRecord): void {
  const rel = diskName(disk.project, disk.zone, disk.name);
  for (const p of disk.resourcePolicies) state.resourcePolicyUsers.unlink(p, rel);
  if (state.disks.delete(zoneScope(disk.project, disk.zone), disk.name)) capacity.addDisk(disk.project, regionOfKnownZone(disk.zone), disk, -1);
}

export function diskKind(env: ComputeEnv): ComputeKind {
  const { state, capacity } = env;

  function render(d: DiskRecord) {
    return {
      kind: 'compute#disk',
      id: d.id,
      creationTimestamp: d.creationTimestamp,
      name: d.name,
      ...(d.description ? { description: d.description } : {}),
      sizeGb: String(d.sizeGb),
      zone: url(`projects/${d.project}/zones/${d.zone}`),
      status: d.status,
      selfLink: url(diskName(d.project, d.zone, d.name)),
      ...(d.sourceImage ? { sourceImage: url(d.sourceImage) } : {}),
      ...(d.sourceSnapshot ? { sourceSnapshot: url(d.sourceSnapshot), sourceSnapshotId: d.sourceSnapshotId } : {}),
      type: url(`projects/${d.project}/zones/${d.zone}/diskTypes/${d.type}`),
      ...(Object.keys(d.labels).length ? { labels: d.labels } : {}),
      labelFingerprint: d.labelFingerprint,
      ...(d.users.length ? { users: d.users.map(url) } : {}),
      ...(d.resourcePolicies.length ? { resourcePolicies: d.resourcePolicies.map(url) } : {}),
      physicalBlockSizeBytes: '4096',
      architecture: d.architecture,
    };
  }

  function find(req: RouteRequest): DiskRecord {
    const { project, zone, disk } = req.params as { project: string; zone: string; disk: string };
    regionOfKnownZone(zone);
    const d = state.disks.get(zoneScope(project, zone), disk);
    if (!d) throw notFound(diskName(project, zone, disk));
    return d;
  }

  const base = '/compute/v1/projects/{project}/zones/{zone}/disks';
  const routes: Route[] = [
    {
      method: 'GET',
      path: `${base}/{disk}`,
      id: 'compute.disks.get',
      handle: (req) => ({ body: render(find(req)) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.disks.list',
      handle(req) {
        regionOfKnownZone(req.params.zone!);
        const scope = zoneScope(req.params.project!, req.params.zone!);
        return { body: listPage('compute#diskList', url(`${scope}/disks`), state.disks.list(scope).map(render), req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{disk}`,
      id: 'compute.disks.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const d = find(req);
        const rel = diskName(project, d.zone, d.name);
        if (d.status !== 'READY') throw resourceNotReady(rel);
        if (d.users.length) throw resourceInUse('disk', rel, d.users[0]!);
        d.status = 'DELETING';
        const op = env.ops.start(
          {
            project,
            scope: zoneScope(project, d.zone),
            methodId: 'compute.disks.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: d.id,
            effect: { kind: 'disk.delete', args: { project, zone: d.zone, name: d.name, id: d.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'POST',
      path: `${base}/{disk}/createSnapshot`,
      id: 'compute.disks.createSnapshot',
      bodyType: 'google.cloud.compute.v1.Snapshot',
      bodyName: 'snapshot',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const d = find(req);
        const diskRel = diskName(project, d.zone, d.name);
        if (d.status !== 'READY') throw resourceNotReady(diskRel);
        const body = req.body as { name?: string; description?: string; labels?: Record<string, string>; storageLocations?: string[] };
        const name = validateName(body.name);
        const rel = snapshotName(project, name);
        if (state.snapshots.get(globalScope(project), name)) throw alreadyExists(rel);
        const labels = validateLabels(body.labels);
        const region = regionOfKnownZone(d.zone);
        const snapshot: SnapshotRecord = {
          id: newId(),
          name,
          project,
          creationTimestamp: timestamp(),
          ...(body.description ? { description: body.description } : {}),
          status: 'CREATING',
          sourceDisk: diskRel,
          sourceDiskId: d.id,
          diskSizeGb: d.sizeGb,
          storageBytes: 0,
          labels,
          labelFingerprint: labelFingerprint(labels),
          storageLocations: body.storageLocations?.length ? [...body.storageLocations] : [region.split('-')[0] === 'europe' ? 'eu' : region.startsWith('us') ? 'us' : 'asia'],
        };
        // GCP's snapshot rate per disk, in emulated time.
        const now = Date.now();
        const windowMs = HOUR_MS * env.ctx.config.latencyScale;
        d.snapshotTimes = d.snapshotTimes.filter((t) => now - t < windowMs);
        const fault =
          windowMs > 0 && d.snapshotTimes.length >= SNAPSHOTS_PER_HOUR
            ? new ApiError(429, 'RESOURCE_EXHAUSTED', `Operation rate exceeded for resource '${diskRel}'. Too frequent operations from the source resource.`, 'RESOURCE_OPERATION_RATE_EXCEEDED')
            : req.operationFault;
        if (!fault) d.snapshotTimes.push(now);
        state.snapshots.set(globalScope(project), snapshot);
        const op = env.ops.start(
          {
            project,
            scope: zoneScope(project, d.zone),
            methodId: 'compute.disks.createSnapshot',
            ...(d.snapshotCount > 0 ? { durationKey: 'compute.disks.createSnapshot#incremental' } : {}),
            operationType: 'createSnapshot',
            targetLink: diskRel,
            targetId: d.id,
            effect: { kind: 'snapshot.create', args: { project, name, id: snapshot.id, disk: diskRel } },
            ...(fault ? { fault } : {}),
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'POST',
      path: `${base}/{disk}/addResourcePolicies`,
      id: 'compute.disks.addResourcePolicies',
      bodyType: 'google.cloud.compute.v1.DisksAddResourcePoliciesRequest',
      bodyName: 'disks_add_resource_policies_request',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const d = find(req);
        const rel = diskName(project, d.zone, d.name);
        if (d.status !== 'READY') throw resourceNotReady(rel);
        const refs = (req.body as { resourcePolicies?: string[] }).resourcePolicies ?? [];
        if (refs.length === 0) throw requiredField('resourcePolicies');
        const region = regionOfKnownZone(d.zone);
        const policies = refs.map((ref, i) => requireResourcePolicy(env, ref, `resourcePolicies[${i}]`, project, region));
        const added = policies.filter((p) => !d.resourcePolicies.includes(p));
        const schedules = [...d.resourcePolicies, ...added].filter((p) => {
          const [, pp, , r, , n] = p.split('/') as [string, string, string, string, string, string];
          return state.resourcePolicies.get(`projects/${pp}/regions/${r}`, n)?.policy.snapshotSchedulePolicy !== undefined;
        });
        if (schedules.length > 1) throw invalidField('resourcePolicies', refs.join(','), 'A disk can have at most one snapshot schedule attached.');
        const op = env.ops.start(
          {
            project,
            scope: zoneScope(project, d.zone),
            methodId: 'compute.disks.addResourcePolicies',
            operationType: 'addResourcePolicies',
            targetLink: rel,
            targetId: d.id,
            effect: { kind: 'disk.addResourcePolicies', args: { project, zone: d.zone, name: d.name, id: d.id, policies: added } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const d = state.disks.get(zoneScope(args.project as string, args.zone as string), args.name as string);
    return d && d.id === args.id ? d : undefined;
  };

  return {
    routes,
    effects: {
      'disk.delete': {
        apply(args) {
          const d = recordOf(args);
          if (d) dropDisk(state, capacity, d);
        },
        abort(args) {
          const d = recordOf(args);
          if (d) d.status = 'READY';
        },
      },
      'disk.addResourcePolicies': {
        apply(args) {
          const d = recordOf(args);
          if (!d) return;
          const rel = diskName(d.project, d.zone, d.name);
          for (const p of args.policies as string[]) {
            if (d.resourcePolicies.includes(p)) continue;
            d.resourcePolicies.push(p);
            state.resourcePolicyUsers.link(p, rel);
          }
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.disks.entries()].map(([, d]) => ({
        kind: 'compute.disks',
        name: diskName(d.project, d.zone, d.name),
        labels: { ...d.labels },
        attributes: { status: d.status, sizeGb: d.sizeGb, type: d.type, users: d.users, resourcePolicies: d.resourcePolicies, sourceImage: d.sourceImage ?? '', sourceSnapshot: d.sourceSnapshot ?? '' },
      }));
    },
    reindex() {
      for (const [, d] of state.disks.entries()) {
        const rel = diskName(d.project, d.zone, d.name);
        for (const p of d.resourcePolicies) state.resourcePolicyUsers.link(p, rel);
        capacity.addDisk(d.project, regionOfKnownZone(d.zone), d, 1);
      }
    },
  };
}
