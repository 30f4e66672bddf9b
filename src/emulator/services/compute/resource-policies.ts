/**
 * Resource policies (regional), the snapshot-schedule kind: one schedule (hourly, daily or weekly,
 * starting on the hour in UTC), a retention policy and snapshot properties. A policy attached to a
 * disk cannot be deleted.
 */
import type { InventoryResource, Route, RouteRequest } from '../../core/contract.js';
import { isRegion } from './catalog.js';
import { knownRegion, type ComputeEnv, type ComputeKind } from './env.js';
import { alreadyExists, invalidField, notFound, requiredField, resourceInUse, resourceNotReady } from './errors.js';
import { newId, timestamp, validateLabels, validateName } from './fields.js';
import { parseRef, regionScope, relativeName, url } from './links.js';
import { listPage } from './listing.js';
import type { ResourcePolicyRecord } from './state.js';

export const resourcePolicyName = (project: string, region: string, name: string) => `projects/${project}/regions/${region}/resourcePolicies/${name}`;

const POLICY_KINDS = ['snapshotSchedulePolicy', 'instanceSchedulePolicy', 'groupPlacementPolicy', 'diskConsistencyGroupPolicy', 'workloadPolicy'] as const;
const HOUR = /^([01]\d|2[0-3]):00$/;
const DAYS = new Set(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']);
const ON_DELETE = new Set(['KEEP_AUTO_SNAPSHOTS', 'APPLY_RETENTION_POLICY', 'UNSPECIFIED_ON_SOURCE_DISK_DELETE']);
const MULTI_REGIONS = new Set(['us', 'eu', 'asia']);

interface SnapshotSchedule {
  schedule?: {
    hourlySchedule?: { hoursInCycle?: number; startTime?: string };
    dailySchedule?: { daysInCycle?: number; startTime?: string };
    weeklySchedule?: { dayOfWeeks?: { day?: string; startTime?: string }[] };
  };
  retentionPolicy?: { maxRetentionDays?: number; onSourceDiskDelete?: string };
  snapshotProperties?: { labels?: Record<string, string>; storageLocations?: string[]; guestFlush?: boolean; chainName?: string };
}

function validateSnapshotSchedule(p: SnapshotSchedule): Record<string, unknown> {
  const f = 'resource.snapshotSchedulePolicy';
  const s = p.schedule;
  if (!s) throw requiredField(`${f}.schedule`);
  const kinds = (['hourlySchedule', 'dailySchedule', 'weeklySchedule'] as const).filter((k) => s[k] !== undefined);
  if (kinds.length !== 1) throw invalidField(`${f}.schedule`, '', 'Exactly one of hourlySchedule, dailySchedule or weeklySchedule must be set.');
  const out = structuredClone(p) as Record<string, unknown> & { schedule: Record<string, Record<string, unknown>> };
  if (s.dailySchedule) {
    if (s.dailySchedule.daysInCycle !== 1) throw invalidField(`${f}.schedule.dailySchedule.daysInCycle`, s.dailySchedule.daysInCycle ?? '', 'Must be 1.');
    if (!HOUR.test(s.dailySchedule.startTime ?? '')) {
      throw invalidField(`${f}.schedule.dailySchedule.startTime`, s.dailySchedule.startTime ?? '', 'Start time must be on the hour, in UTC, formatted HH:00.');
    }
    out.schedule.dailySchedule!.duration = 'PT14400S';
  }
  if (s.hourlySchedule) {
    const hours = s.hourlySchedule.hoursInCycle ?? 0;
    if (!Number.isInteger(hours) || hours < 1 || hours > 23) throw invalidField(`${f}.schedule.hourlySchedule.hoursInCycle`, hours, 'Must be between 1 and 23.');
    if (!HOUR.test(s.hourlySchedule.startTime ?? '')) {
      throw invalidField(`${f}.schedule.hourlySchedule.startTime`, s.hourlySchedule.startTime ?? '', 'Start time must be on the hour, in UTC, formatted HH:00.');
    }
    out.schedule.hourlySchedule!.duration = 'PT14400S';
  }
  if (s.weeklySchedule) {
    const days = s.weeklySchedule.dayOfWeeks ?? [];
    if (days.length === 0) throw requiredField(`${f}.schedule.weeklySchedule.dayOfWeeks`);
    days.forEach((d, i) => {
      if (!DAYS.has(d.day ?? '')) throw invalidField(`${f}.schedule.weeklySchedule.dayOfWeeks[${i}].day`, d.day ?? '', '');
      if (!HOUR.test(d.startTime ?? '')) throw invalidField(`${f}.schedule.weeklySchedule.dayOfWeeks[${i}].startTime`, d.startTime ?? '', 'Start time must be on the hour.');
    });
  }
  const r = p.retentionPolicy;
  if (r) {
    if (!Number.isInteger(r.maxRetentionDays) || r.maxRetentionDays! < 1) {
      throw invalidField(`${f}.retentionPolicy.maxRetentionDays`, r.maxRetentionDays ?? '', 'Must be at least 1.');
    }
    if (r.onSourceDiskDelete !== undefined && !ON_DELETE.has(r.onSourceDiskDelete)) {
      throw invalidField(`${f}.retentionPolicy.onSourceDiskDelete`, r.onSourceDiskDelete, '');
    }
  }
  const props = p.snapshotProperties;
  if (props) {
    validateLabels(props.labels, `${f}.snapshotProperties.labels`);
    for (const loc of props.storageLocations ?? []) {
      if (!isRegion(loc) && !MULTI_REGIONS.has(loc)) throw invalidField(`${f}.snapshotProperties.storageLocations`, loc, 'Unknown storage location.');
    }
  }
  return out;
}

/** A resource policy referenced by a disk, READY, in the disk's region. */
export function requireResourcePolicy(env: ComputeEnv, ref: unknown, field: string, project: string, region: string): string {
  const parsed = typeof ref === 'string' ? parseRef(ref, 'resourcePolicies', { project, location: region, locationKind: 'regions' }) : undefined;
  const record = parsed ? env.state.resourcePolicies.get(regionScope(parsed.project, parsed.location), parsed.name) : undefined;
  if (!parsed || !record || record.state === 'CREATING') throw invalidField(field, ref ?? '', 'The referenced resourcePolicy resource cannot be found.');
  if (record.state === 'DELETING') throw resourceNotReady(relativeName(parsed));
  if (parsed.location !== region) throw invalidField(field, ref, `Resource policy must be in the same region as the disk (${region}).`);
  return relativeName(parsed);
}

export function resourcePolicyKind(env: ComputeEnv): ComputeKind {
  const { state } = env;

  function render(p: ResourcePolicyRecord) {
    return {
      kind: 'compute#resourcePolicy',
      id: p.id,
      creationTimestamp: p.creationTimestamp,
      name: p.name,
      ...(p.description ? { description: p.description } : {}),
      region: url(`projects/${p.project}/regions/${p.region}`),
      selfLink: url(resourcePolicyName(p.project, p.region, p.name)),
      status: 'READY',
      ...p.policy,
    };
  }

  function visible(req: RouteRequest): ResourcePolicyRecord {
    const { project, region, resource_policy: name } = req.params as { project: string; region: string; resource_policy: string };
    const p = state.resourcePolicies.get(regionScope(project, region), name);
    if (!p || p.state === 'CREATING') throw notFound(resourcePolicyName(project, region, name));
    return p;
  }

  const base = '/compute/v1/projects/{project}/regions/{region}/resourcePolicies';
  const routes: Route[] = [
    {
      method: 'POST',
      path: base,
      id: 'compute.resourcePolicies.insert',
      bodyType: 'google.cloud.compute.v1.ResourcePolicy',
      bodyName: 'resource_policy',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const region = knownRegion(req.params.region!);
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const body = req.body as Record<string, unknown> & { name?: string; description?: string };
        const name = validateName(body.name);
        const scope = regionScope(project, region);
        const rel = resourcePolicyName(project, region, name);
        if (state.resourcePolicies.get(scope, name)) throw alreadyExists(rel);
        const kinds = POLICY_KINDS.filter((k) => body[k] !== undefined);
        if (kinds.length !== 1) throw invalidField('resource', '', 'Exactly one policy type must be specified.');
        const kind = kinds[0]!;
        const policy = kind === 'snapshotSchedulePolicy' ? validateSnapshotSchedule(body[kind] as SnapshotSchedule) : structuredClone(body[kind] as Record<string, unknown>);
        const record: ResourcePolicyRecord = {
          id: newId(),
          name,
          project,
          creationTimestamp: timestamp(),
          ...(body.description ? { description: body.description } : {}),
          state: 'CREATING',
          region,
          policy: { [kind]: policy },
        };
        state.resourcePolicies.set(scope, record);
        const op = env.ops.start(
          {
            project,
            scope,
            methodId: 'compute.resourcePolicies.insert',
            operationType: 'insert',
            targetLink: rel,
            targetId: record.id,
            effect: { kind: 'resourcePolicy.create', args: { project, region, name, id: record.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{resource_policy}`,
      id: 'compute.resourcePolicies.get',
      handle: (req) => ({ body: render(visible(req)) }),
    },
    {
      method: 'GET',
      path: base,
      id: 'compute.resourcePolicies.list',
      handle(req) {
        const scope = regionScope(req.params.project!, knownRegion(req.params.region!));
        const items = state.resourcePolicies.list(scope).filter((p) => p.state !== 'CREATING').map(render);
        return { body: listPage('compute#resourcePolicyList', url(`${scope}/resourcePolicies`), items, req.query) };
      },
    },
    {
      method: 'DELETE',
      path: `${base}/{resource_policy}`,
      id: 'compute.resourcePolicies.delete',
      operation: true,
      handle(req) {
        const project = req.params.project!;
        const replay = env.ops.replay(req, project);
        if (replay) return { body: env.ops.render(replay) };
        const p = visible(req);
        const rel = resourcePolicyName(project, p.region, p.name);
        if (p.state === 'DELETING') throw resourceNotReady(rel);
        const user = state.resourcePolicyUsers.firstUser(rel);
        if (user) throw resourceInUse('resource_policy', rel, user);
        p.state = 'DELETING';
        const op = env.ops.start(
          {
            project,
            scope: regionScope(project, p.region),
            methodId: 'compute.resourcePolicies.delete',
            operationType: 'delete',
            targetLink: rel,
            targetId: p.id,
            effect: { kind: 'resourcePolicy.delete', args: { project, region: p.region, name: p.name, id: p.id } },
          },
          req,
        );
        return { body: env.ops.render(op) };
      },
    },
  ];

  const recordOf = (args: Record<string, unknown>) => {
    const p = state.resourcePolicies.get(regionScope(args.project as string, args.region as string), args.name as string);
    return p && p.id === args.id ? p : undefined;
  };

  return {
    routes,
    effects: {
      'resourcePolicy.create': {
        apply(args) {
          const p = recordOf(args);
          if (p) p.state = 'READY';
        },
        abort(args) {
          const p = recordOf(args);
          if (p) state.resourcePolicies.delete(regionScope(p.project, p.region), p.name);
        },
      },
      'resourcePolicy.delete': {
        apply(args) {
          const p = recordOf(args);
          if (p) state.resourcePolicies.delete(regionScope(p.project, p.region), p.name);
        },
        abort(args) {
          const p = recordOf(args);
          if (p) p.state = 'READY';
        },
      },
    },
    inventory(): InventoryResource[] {
      return [...state.resourcePolicies.entries()].map(([, p]) => ({
        kind: 'compute.resourcePolicies',
        name: resourcePolicyName(p.project, p.region, p.name),
        labels: {},
        attributes: { state: p.state, description: p.description ?? '', ...p.policy },
      }));
    },
  };
}
